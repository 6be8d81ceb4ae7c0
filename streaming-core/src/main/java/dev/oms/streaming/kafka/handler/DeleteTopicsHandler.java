package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.DeleteTopicsRequestData.DeleteTopicState;
import org.apache.kafka.common.message.DeleteTopicsResponseData;
import org.apache.kafka.common.message.DeleteTopicsResponseData.DeletableTopicResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DeleteTopicsRequest;
import org.apache.kafka.common.requests.DeleteTopicsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** DeleteTopics, by name or (v6) by id: the topic's partitions are closed and their files removed. */
final class DeleteTopicsHandler extends VersionedHandler<DeleteTopicsRequest> {
    private final EmbeddedBroker broker;

    DeleteTopicsHandler(EmbeddedBroker broker) {
        super(ApiKeys.DELETE_TOPICS, 1, 6);
        this.broker = broker;
    }

    @Override
    public DeleteTopicsResponse handle(RequestContext context, DeleteTopicsRequest request) throws Exception {
        DeleteTopicsResponseData response = new DeleteTopicsResponseData();
        List<DeleteTopicState> wanted = new ArrayList<>();
        if (context.apiVersion() >= 6) {
            wanted.addAll(request.data().topics());
        } else {
            request.data().topicNames().forEach(name -> wanted.add(new DeleteTopicState().setName(name)));
        }
        for (DeleteTopicState topic : wanted) {
            DeletableTopicResult result = new DeletableTopicResult().setName(topic.name()).setTopicId(topic.topicId());
            response.responses().add(result);
            Optional<String> name = topic.name() != null ? Optional.of(topic.name())
                    : broker.topicName(topic.topicId() == null ? Uuid.ZERO_UUID : topic.topicId());
            if (name.isEmpty() || broker.topic(name.get()).isEmpty()) {
                result.setErrorCode((topic.name() == null ? Errors.UNKNOWN_TOPIC_ID : Errors.UNKNOWN_TOPIC_OR_PARTITION).code());
                continue;
            }
            result.setName(name.get()).setTopicId(broker.topic(name.get()).orElseThrow().id());
            try {
                // By id: that topic only, not one created since under the same name.
                broker.deleteTopic(name.get(), topic.name() == null ? topic.topicId() : null);
                result.setErrorCode(Errors.NONE.code());
            } catch (ApiException e) {
                result.setErrorCode(Errors.forException(e).code());
                if (context.apiVersion() >= 5) {
                    result.setErrorMessage(e.getMessage());
                }
            }
        }
        return new DeleteTopicsResponse(response);
    }
}
