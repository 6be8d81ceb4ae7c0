package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.OffsetDeleteRequestData;
import org.apache.kafka.common.message.OffsetDeleteResponseData;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponsePartition;
import org.apache.kafka.common.message.OffsetDeleteResponseData.OffsetDeleteResponseTopic;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.OffsetDeleteRequest;
import org.apache.kafka.common.requests.OffsetDeleteResponse;
import org.apache.kafka.common.requests.RequestContext;

/** OffsetDelete (kafka-consumer-groups --delete-offsets): a group's committed offsets of some partitions. */
final class OffsetDeleteHandler extends VersionedHandler<OffsetDeleteRequest> {
    private final GroupCoordinator coordinator;

    OffsetDeleteHandler(GroupCoordinator coordinator) {
        super(ApiKeys.OFFSET_DELETE, 0, 0);
        this.coordinator = coordinator;
    }

    @Override
    public OffsetDeleteResponse handle(RequestContext context, OffsetDeleteRequest request) {
        OffsetDeleteRequestData data = request.data();
        List<TopicPartition> partitions = new ArrayList<>();
        for (OffsetDeleteRequestData.OffsetDeleteRequestTopic topic : data.topics()) {
            for (OffsetDeleteRequestData.OffsetDeleteRequestPartition partition : topic.partitions()) {
                partitions.add(new TopicPartition(topic.name(), partition.partitionIndex()));
            }
        }
        GroupCoordinator.OffsetDeletion deletion = coordinator.deleteOffsets(data.groupId(), partitions);
        OffsetDeleteResponseData response = new OffsetDeleteResponseData().setErrorCode(deletion.groupError().code());
        deletion.partitions().forEach((tp, error) -> {
            OffsetDeleteResponseTopic topic = response.topics().find(tp.topic());
            if (topic == null) {
                topic = new OffsetDeleteResponseTopic().setName(tp.topic());
                response.topics().add(topic);
            }
            topic.partitions().add(new OffsetDeleteResponsePartition().setPartitionIndex(tp.partition())
                    .setErrorCode(error.code()));
        });
        return new OffsetDeleteResponse(response);
    }
}
