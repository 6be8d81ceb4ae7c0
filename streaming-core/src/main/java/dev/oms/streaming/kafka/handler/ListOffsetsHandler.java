package dev.oms.streaming.kafka.handler;

import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsPartition;
import org.apache.kafka.common.message.ListOffsetsRequestData.ListOffsetsTopic;
import org.apache.kafka.common.message.ListOffsetsResponseData;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsPartitionResponse;
import org.apache.kafka.common.message.ListOffsetsResponseData.ListOffsetsTopicResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.requests.ListOffsetsRequest;
import org.apache.kafka.common.requests.ListOffsetsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * ListOffsets: earliest, latest (the high watermark), the first offset at or after a timestamp, or
 * that of the record with the largest timestamp (MAX_TIMESTAMP).
 */
final class ListOffsetsHandler extends VersionedHandler<ListOffsetsRequest> {
    private final EmbeddedBroker broker;

    ListOffsetsHandler(EmbeddedBroker broker) {
        super(ApiKeys.LIST_OFFSETS, 1, 11);
        this.broker = broker;
    }

    @Override
    public ListOffsetsResponse handle(RequestContext context, ListOffsetsRequest request) {
        ListOffsetsResponseData response = new ListOffsetsResponseData();
        for (ListOffsetsTopic topic : request.topics()) {
            ListOffsetsTopicResponse topicResponse = new ListOffsetsTopicResponse().setName(topic.name());
            response.topics().add(topicResponse);
            for (ListOffsetsPartition partition : topic.partitions()) {
                topicResponse.partitions().add(answer(new TopicPartition(topic.name(), partition.partitionIndex()),
                        partition.timestamp(), context.apiVersion()));
            }
        }
        return new ListOffsetsResponse(response);
    }

    private ListOffsetsPartitionResponse answer(TopicPartition tp, long timestamp, short version) {
        // The leader epoch exists from version 4; the codec refuses a value it cannot write.
        ListOffsetsPartitionResponse answer = new ListOffsetsPartitionResponse().setPartitionIndex(tp.partition())
                .setTimestamp(RecordBatch.NO_TIMESTAMP).setOffset(-1).setLeaderEpoch(version >= 4 ? 0 : -1);
        if (!broker.hasPartition(tp)) {
            return answer.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
        }
        answer.setErrorCode(Errors.NONE.code());
        if (timestamp == ListOffsetsRequest.EARLIEST_TIMESTAMP || timestamp == ListOffsetsRequest.EARLIEST_LOCAL_TIMESTAMP) {
            return answer.setOffset(broker.logStartOffset(tp));
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIMESTAMP) {
            return answer.setOffset(broker.highWatermark(tp));
        }
        if (timestamp == ListOffsetsRequest.LATEST_TIERED_TIMESTAMP
                || timestamp == ListOffsetsRequest.EARLIEST_PENDING_UPLOAD_TIMESTAMP) {
            return answer; // no tiered storage: Kafka answers -1 without an error
        }
        if (timestamp < 0 && timestamp != ListOffsetsRequest.MAX_TIMESTAMP) {
            return answer.setErrorCode(Errors.UNSUPPORTED_VERSION.code());
        }
        Optional<FileRecords.TimestampAndOffset> found = timestamp == ListOffsetsRequest.MAX_TIMESTAMP
                ? broker.offsetOfMaxTimestamp(tp) : broker.offsetForTimestamp(tp, timestamp);
        return found.map(f -> answer.setTimestamp(f.timestamp).setOffset(f.offset)).orElse(answer);
    }
}
