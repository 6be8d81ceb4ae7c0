package dev.oms.streaming.kafka.handler;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.group.OffsetStore.Committed;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetCommitRequestData;
import org.apache.kafka.common.message.OffsetCommitResponseData;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponsePartition;
import org.apache.kafka.common.message.OffsetCommitResponseData.OffsetCommitResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetCommitResponse;
import org.apache.kafka.common.requests.RequestContext;

/** OffsetCommit: stored durably in {@code __consumer_offsets} before the answer. */
final class OffsetCommitHandler extends VersionedHandler<OffsetCommitRequest> {
    private final EmbeddedBroker broker;
    private final GroupCoordinator coordinator;

    OffsetCommitHandler(EmbeddedBroker broker, GroupCoordinator coordinator) {
        super(ApiKeys.OFFSET_COMMIT, 2, 10);
        this.broker = broker;
        this.coordinator = coordinator;
    }

    @Override
    public OffsetCommitResponse handle(RequestContext context, OffsetCommitRequest request) {
        OffsetCommitRequestData data = request.data();
        OffsetCommitResponseData response = new OffsetCommitResponseData();
        Map<TopicPartition, Committed> commits = new LinkedHashMap<>();
        Map<TopicPartition, OffsetCommitResponsePartition> results = new LinkedHashMap<>();
        long now = System.currentTimeMillis();
        for (OffsetCommitRequestData.OffsetCommitRequestTopic topic : data.topics()) {
            Optional<String> name = topic.name() == null || topic.name().isEmpty()
                    ? broker.topicName(topic.topicId()) : Optional.of(topic.name());
            OffsetCommitResponseTopic topicResult = new OffsetCommitResponseTopic().setName(topic.name())
                    .setTopicId(topic.topicId());
            response.topics().add(topicResult);
            for (OffsetCommitRequestData.OffsetCommitRequestPartition p : topic.partitions()) {
                OffsetCommitResponsePartition result = new OffsetCommitResponsePartition().setPartitionIndex(p.partitionIndex());
                topicResult.partitions().add(result);
                if (name.isEmpty() || !broker.hasPartition(new TopicPartition(name.get(), p.partitionIndex()))) {
                    result.setErrorCode((name.isEmpty() ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                    continue;
                }
                TopicPartition tp = new TopicPartition(name.get(), p.partitionIndex());
                commits.put(tp, new Committed(p.committedOffset(), p.committedLeaderEpoch(), p.committedMetadata(), now));
                results.put(tp, result);
            }
        }
        Errors error = coordinator.commit(data.groupId(), data.memberId(), data.groupInstanceId(),
                data.generationIdOrMemberEpoch(), commits);
        results.values().forEach(r -> r.setErrorCode(error.code()));
        return new OffsetCommitResponse(response);
    }
}
