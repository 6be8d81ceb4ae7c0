package dev.oms.streaming.kafka.handler;

import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;

/** A handler's key and version range, stated once in its constructor: {@code super(ApiKeys.FETCH, 4, 18)}. */
abstract class VersionedHandler<R extends AbstractRequest> implements ApiHandler<R> {
    private final ApiKeys apiKey;
    private final short minVersion;
    private final short maxVersion;

    VersionedHandler(ApiKeys apiKey, int minVersion, int maxVersion) {
        if (minVersion < apiKey.oldestVersion() || maxVersion > apiKey.latestVersion()) {
            throw new IllegalArgumentException(apiKey + " " + minVersion + ".." + maxVersion
                    + " is outside what kafka-clients can parse (" + apiKey.oldestVersion() + ".." + apiKey.latestVersion() + ")");
        }
        this.apiKey = apiKey;
        this.minVersion = (short) minVersion;
        this.maxVersion = (short) maxVersion;
    }

    @Override
    public final ApiKeys apiKey() {
        return apiKey;
    }

    @Override
    public final short minVersion() {
        return minVersion;
    }

    @Override
    public final short maxVersion() {
        return maxVersion;
    }
}
