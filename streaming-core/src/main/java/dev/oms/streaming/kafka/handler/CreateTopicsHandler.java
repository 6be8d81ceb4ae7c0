package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** CreateTopics on this single node: replication factor 1 (or -1, the default), any partition count. */
final class CreateTopicsHandler implements ApiHandler<CreateTopicsRequest> {
    private final EmbeddedBroker broker;
    private final KafkaListenerConfig config;

    CreateTopicsHandler(EmbeddedBroker broker, KafkaListenerConfig config) {
        this.broker = broker;
        this.config = config;
    }

    @Override
    public ApiKeys apiKey() {
        return ApiKeys.CREATE_TOPICS;
    }

    @Override
    public short minVersion() {
        return 2;
    }

    @Override
    public short maxVersion() {
        return 7;
    }

    @Override
    public CreateTopicsResponse handle(RequestContext context, CreateTopicsRequest request) throws Exception {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        for (CreatableTopic topic : request.data().topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(topic.name());
            response.topics().add(result);
            int partitions = topic.numPartitions() == -1 ? config.defaultPartitions() : topic.numPartitions();
            Errors error = Errors.NONE;
            String message = null;
            if (broker.topic(topic.name()).isPresent()) {
                error = Errors.TOPIC_ALREADY_EXISTS;
                message = "topic '" + topic.name() + "' already exists";
            } else if (topic.replicationFactor() != -1 && topic.replicationFactor() != 1) {
                error = Errors.INVALID_REPLICATION_FACTOR;
                message = "replication factor " + topic.replicationFactor() + " is more than the 1 node of this cluster";
            } else if (!topic.assignments().isEmpty()) {
                error = Errors.INVALID_REQUEST;
                message = "manual replica assignment is not supported";
            } else if (partitions < 1) {
                error = Errors.INVALID_PARTITIONS;
                message = "a topic needs at least one partition, got " + partitions;
            } else {
                try {
                    org.apache.kafka.common.internals.Topic.validate(topic.name());
                    if (!request.data().validateOnly()) {
                        broker.createTopic(topic.name(), partitions);
                        result.setTopicId(broker.topic(topic.name()).orElseThrow().id());
                    }
                    result.setNumPartitions(partitions).setReplicationFactor((short) 1);
                } catch (InvalidTopicException e) {
                    error = Errors.INVALID_TOPIC_EXCEPTION;
                    message = e.getMessage();
                }
            }
            result.setErrorCode(error.code()).setErrorMessage(message);
        }
        return new CreateTopicsResponse(response);
    }
}
