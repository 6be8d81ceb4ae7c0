package dev.oms.api;

import java.nio.file.Path;
import java.util.Map;

import dev.oms.api.config.OmsConfig;

/** A whole oms in the test JVM on loopback with free ports, small partitions and no pinning. */
public final class TestOms {
    private TestOms() {
    }

    public static Oms start(Path dataDir) throws Exception {
        return start(dataDir, Map.of());
    }

    /** With more settings, as environment variables ({@code OMS_ENGINE_RETRY_MAX_ATTEMPTS}…). */
    public static Oms start(Path dataDir, Map<String, String> settings) throws Exception {
        Map<String, String> env = new java.util.HashMap<>(Map.of("OMS_HTTP_HOST", "127.0.0.1", "OMS_KAFKA_HOST", "127.0.0.1",
                "OMS_KAFKA_ADVERTISED_HOST", "127.0.0.1", "OMS_LOG_PARTITIONS", "4", "OMS_ENGINE_PIN_WORKERS", "false",
                "OMS_LOG_PIN_SHARDS", "false", "OMS_ENGINE_MAX_ORDERS", "100000", "OMS_GROUPS_INITIAL_REBALANCE_DELAY_MS", "0"));
        env.putAll(settings);
        return Oms.start(OmsConfig.load(new String[] {"--data-dir", dataDir.toString(), "--http-port", "0", "--kafka-port", "0"},
                env));
    }
}
