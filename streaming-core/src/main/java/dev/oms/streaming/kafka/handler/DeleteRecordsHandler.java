package dev.oms.streaming.kafka.handler;

import java.util.concurrent.ExecutionException;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsPartition;
import org.apache.kafka.common.message.DeleteRecordsRequestData.DeleteRecordsTopic;
import org.apache.kafka.common.message.DeleteRecordsResponseData;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsPartitionResult;
import org.apache.kafka.common.message.DeleteRecordsResponseData.DeleteRecordsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteRecordsRequest;
import org.apache.kafka.common.requests.DeleteRecordsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** DeleteRecords: moves a partition's log start offset forward (-1: to the high watermark). */
final class DeleteRecordsHandler extends VersionedHandler<DeleteRecordsRequest> {
    private final EmbeddedBroker broker;

    DeleteRecordsHandler(EmbeddedBroker broker) {
        super(ApiKeys.DELETE_RECORDS, 0, 2);
        this.broker = broker;
    }

    @Override
    public DeleteRecordsResponse handle(RequestContext context, DeleteRecordsRequest request) throws Exception {
        DeleteRecordsResponseData response = new DeleteRecordsResponseData();
        for (DeleteRecordsTopic topic : request.data().topics()) {
            DeleteRecordsTopicResult topicResult = new DeleteRecordsTopicResult().setName(topic.name());
            response.topics().add(topicResult);
            for (DeleteRecordsPartition partition : topic.partitions()) {
                DeleteRecordsPartitionResult result = new DeleteRecordsPartitionResult()
                        .setPartitionIndex(partition.partitionIndex()).setLowWatermark(-1);
                topicResult.partitions().add(result);
                TopicPartition tp = new TopicPartition(topic.name(), partition.partitionIndex());
                if (!broker.hasPartition(tp)) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code());
                    continue;
                }
                if (org.apache.kafka.common.internals.Topic.isInternal(tp.topic())) {
                    // as Kafka: a group's committed offsets live there
                    result.setErrorCode(Errors.INVALID_TOPIC_EXCEPTION.code());
                    continue;
                }
                if (!broker.leads(tp)) {
                    // before the high watermark, which a follower may not have reached: a client retries this
                    result.setErrorCode(Errors.NOT_LEADER_OR_FOLLOWER.code());
                    continue;
                }
                long offset = partition.offset() == -1 ? broker.highWatermark(tp) : partition.offset();
                if (offset < 0 || offset > broker.highWatermark(tp)) {
                    result.setErrorCode(Errors.OFFSET_OUT_OF_RANGE.code());
                    continue;
                }
                try {
                    result.setLowWatermark(broker.deleteRecordsBefore(tp, offset).get()).setErrorCode(Errors.NONE.code());
                } catch (ExecutionException e) {
                    result.setErrorCode(Errors.forException(e.getCause()).code());
                }
            }
        }
        return new DeleteRecordsResponse(response);
    }
}
