package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.group.OffsetStore.Committed;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestGroup;
import org.apache.kafka.common.message.OffsetFetchRequestData.OffsetFetchRequestTopics;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseGroup;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponsePartitions;
import org.apache.kafka.common.message.OffsetFetchResponseData.OffsetFetchResponseTopics;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.OffsetFetchResponse;
import org.apache.kafka.common.requests.RequestContext;

/** OffsetFetch: the committed offsets of one or (v8+) several groups; -1 where nothing is committed. */
final class OffsetFetchHandler extends VersionedHandler<OffsetFetchRequest> {
    private final EmbeddedBroker broker;
    private final GroupCoordinator coordinator;

    OffsetFetchHandler(EmbeddedBroker broker, GroupCoordinator coordinator) {
        super(ApiKeys.OFFSET_FETCH, 1, 10);
        this.broker = broker;
        this.coordinator = coordinator;
    }

    @Override
    public OffsetFetchResponse handle(RequestContext context, OffsetFetchRequest request) {
        boolean byId = OffsetFetchRequest.useTopicIds(context.apiVersion());
        List<OffsetFetchResponseGroup> groups = new ArrayList<>();
        for (OffsetFetchRequestGroup group : request.groups()) {
            Map<TopicPartition, Committed> committed = coordinator.committed(group.groupId());
            OffsetFetchResponseGroup result = new OffsetFetchResponseGroup().setGroupId(group.groupId())
                    .setErrorCode(Errors.NONE.code());
            groups.add(result);
            Map<String, List<Integer>> wanted = new LinkedHashMap<>();
            if (OffsetFetchRequest.requestAllOffsets(group)) {
                committed.keySet().stream().sorted(java.util.Comparator.comparing(TopicPartition::toString))
                        .forEach(tp -> wanted.computeIfAbsent(tp.topic(), t -> new ArrayList<>()).add(tp.partition()));
            } else {
                for (OffsetFetchRequestTopics topic : group.topics()) {
                    String name = byId ? broker.topicName(topic.topicId()).orElse(null) : topic.name();
                    if (name != null) {
                        wanted.put(name, topic.partitionIndexes());
                    }
                }
            }
            wanted.forEach((topic, partitions) -> {
                OffsetFetchResponseTopics topicResult = new OffsetFetchResponseTopics().setName(topic)
                        .setTopicId(broker.topic(topic).map(EmbeddedBroker.Topic::id).orElse(Uuid.ZERO_UUID));
                result.topics().add(topicResult);
                for (int partition : partitions) {
                    Committed c = committed.get(new TopicPartition(topic, partition));
                    topicResult.partitions().add(new OffsetFetchResponsePartitions().setPartitionIndex(partition)
                            .setCommittedOffset(c == null ? OffsetFetchResponse.INVALID_OFFSET : c.offset())
                            .setCommittedLeaderEpoch(c == null ? -1 : c.leaderEpoch())
                            .setMetadata(c == null ? OffsetFetchResponse.NO_METADATA : c.metadata())
                            .setErrorCode(Errors.NONE.code()));
                }
            });
        }
        return new OffsetFetchResponse.Builder(groups).build(context.apiVersion());
    }
}
