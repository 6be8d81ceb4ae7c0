package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.CreatePartitionsRequestData.CreatePartitionsTopic;
import org.apache.kafka.common.message.CreatePartitionsResponseData;
import org.apache.kafka.common.message.CreatePartitionsResponseData.CreatePartitionsTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreatePartitionsRequest;
import org.apache.kafka.common.requests.CreatePartitionsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** CreatePartitions: grows a topic; keyed data does not move, as in Kafka. */
final class CreatePartitionsHandler extends VersionedHandler<CreatePartitionsRequest> {
    private final EmbeddedBroker broker;

    CreatePartitionsHandler(EmbeddedBroker broker) {
        super(ApiKeys.CREATE_PARTITIONS, 0, 3);
        this.broker = broker;
    }

    @Override
    public CreatePartitionsResponse handle(RequestContext context, CreatePartitionsRequest request) throws Exception {
        CreatePartitionsResponseData response = new CreatePartitionsResponseData();
        for (CreatePartitionsTopic topic : request.data().topics()) {
            CreatePartitionsTopicResult result = new CreatePartitionsTopicResult().setName(topic.name())
                    .setErrorCode(Errors.NONE.code());
            response.results().add(result);
            try {
                if (topic.assignments() != null && !topic.assignments().isEmpty()) {
                    result.setErrorCode(Errors.INVALID_REQUEST.code()).setErrorMessage("manual replica assignment is not supported");
                    continue;
                }
                if (broker.topic(topic.name()).isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("unknown topic '" + topic.name() + "'");
                    continue;
                }
                if (!request.data().validateOnly()) {
                    broker.createPartitions(topic.name(), topic.count());
                } else if (topic.count() <= broker.partitionCount(topic.name())) {
                    result.setErrorCode(Errors.INVALID_PARTITIONS.code()).setErrorMessage("the new count must be larger than "
                            + broker.partitionCount(topic.name()));
                }
            } catch (ApiException e) {
                result.setErrorCode(Errors.forException(e).code()).setErrorMessage(e.getMessage());
            }
        }
        return new CreatePartitionsResponse(response);
    }
}
