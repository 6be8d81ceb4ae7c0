package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import java.util.LinkedHashMap;
import java.util.Map;

import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.message.CreateTopicsRequestData.CreatableTopic;
import org.apache.kafka.common.message.CreateTopicsResponseData;
import org.apache.kafka.common.message.CreateTopicsResponseData.CreatableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.CreateTopicsRequest;
import org.apache.kafka.common.requests.CreateTopicsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * CreateTopics: any partition count that fits in {@code log.max-partitions}; the replication factor is the number of nodes (1 on a single
 * node; in a cluster every node holds a replica), or -1 for that default.
 */
final class CreateTopicsHandler extends VersionedHandler<CreateTopicsRequest> {
    private final EmbeddedBroker broker;
    private final KafkaListenerConfig config;

    CreateTopicsHandler(EmbeddedBroker broker, KafkaListenerConfig config) {
        super(ApiKeys.CREATE_TOPICS, 2, 7);
        this.broker = broker;
        this.config = config;
    }

    @Override
    public CreateTopicsResponse handle(RequestContext context, CreateTopicsRequest request) throws Exception {
        CreateTopicsResponseData response = new CreateTopicsResponseData();
        for (CreatableTopic topic : request.data().topics()) {
            CreatableTopicResult result = new CreatableTopicResult().setName(topic.name());
            response.topics().add(result);
            int partitions = topic.numPartitions() == -1 ? config.defaultPartitions() : topic.numPartitions();
            Map<String, String> overrides = new LinkedHashMap<>();
            topic.configs().forEach(c -> overrides.put(c.name(), c.value()));
            Errors error = Errors.NONE;
            String message = null;
            int nodes = broker.cluster().map(c -> c.replicas().size()).orElse(1);
            if (topic.replicationFactor() != -1 && topic.replicationFactor() != nodes) {
                error = Errors.INVALID_REPLICATION_FACTOR;
                message = "replication factor " + topic.replicationFactor() + ": every partition has a replica on each of the "
                        + nodes + " node" + (nodes == 1 ? "" : "s") + " of this cluster, so the factor is " + nodes + " (or -1)";
            } else if (!topic.assignments().isEmpty()) {
                error = Errors.INVALID_REQUEST;
                message = "manual replica assignment is not supported";
            } else {
                try {
                    if (request.data().validateOnly()) {
                        if (broker.topic(topic.name()).isPresent()) {
                            throw new TopicExistsException("topic '" + topic.name() + "' already exists");
                        }
                        org.apache.kafka.common.internals.Topic.validate(topic.name());
                        broker.topicDefaults().with(overrides);
                    } else {
                        result.setTopicId(broker.createTopic(topic.name(), partitions, overrides).id());
                    }
                    result.setNumPartitions(partitions).setReplicationFactor((short) nodes);
                } catch (ApiException e) {
                    error = Errors.forException(e);
                    message = e.getMessage();
                }
            }
            result.setErrorCode(error.code()).setErrorMessage(message);
        }
        return new CreateTopicsResponse(response);
    }
}
