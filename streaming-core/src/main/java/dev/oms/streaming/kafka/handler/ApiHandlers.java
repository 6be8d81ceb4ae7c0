package dev.oms.streaming.kafka.handler;

import java.util.EnumMap;
import java.util.Map;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersion;
import org.apache.kafka.common.message.ApiVersionsResponseData.ApiVersionCollection;
import org.apache.kafka.common.protocol.ApiKeys;

/**
 * Every API the broker serves, one handler per key. The ApiVersions response is derived from
 * this registry, so a client is never offered an API or version nobody handles.
 */
public final class ApiHandlers {
    private final Map<ApiKeys, ApiHandler<?>> handlers = new EnumMap<>(ApiKeys.class);

    public ApiHandlers(EmbeddedBroker broker, GroupCoordinator groups, KafkaListenerConfig config) {
        add(new ApiVersionsHandler(this));
        add(new MetadataHandler(broker, config));
        add(new ProduceHandler(broker));
        add(new FetchHandler(broker));
        add(new ListOffsetsHandler(broker));
        add(new InitProducerIdHandler(broker));
        add(new CreateTopicsHandler(broker, config));
        add(new DescribeClusterHandler(broker, config));
        add(new DeleteTopicsHandler(broker));
        add(new CreatePartitionsHandler(broker));
        add(new DescribeConfigsHandler(broker));
        add(new IncrementalAlterConfigsHandler(broker));
        add(new AlterConfigsHandler(broker));
        add(new DeleteRecordsHandler(broker));
        add(new FindCoordinatorHandler(broker, config));
        add(new CoordinatorFence<>(new JoinGroupHandler(groups), broker));
        add(new CoordinatorFence<>(new SyncGroupHandler(groups), broker));
        add(new CoordinatorFence<>(new HeartbeatHandler(groups), broker));
        add(new CoordinatorFence<>(new LeaveGroupHandler(groups), broker));
        add(new CoordinatorFence<>(new OffsetCommitHandler(broker, groups), broker));
        add(new CoordinatorFence<>(new OffsetFetchHandler(broker, groups), broker));
        add(new DescribeGroupsHandler(groups));
        add(new ListGroupsHandler(groups));
        add(new DeleteGroupsHandler(groups));
        add(new CoordinatorFence<>(new OffsetDeleteHandler(groups), broker));
    }

    private void add(ApiHandler<?> handler) {
        handlers.put(handler.apiKey(), handler);
    }

    /** The handler for {@code key}, or null when the broker does not serve it. */
    public ApiHandler<?> get(ApiKeys key) {
        return handlers.get(key);
    }

    /** What ApiVersions advertises: each handled key with its version range. */
    ApiVersionCollection apiVersions() {
        ApiVersionCollection versions = new ApiVersionCollection();
        for (ApiHandler<?> handler : handlers.values()) {
            versions.add(new ApiVersion().setApiKey(handler.apiKey().id)
                    .setMinVersion(handler.minVersion()).setMaxVersion(handler.maxVersion()));
        }
        return versions;
    }
}
