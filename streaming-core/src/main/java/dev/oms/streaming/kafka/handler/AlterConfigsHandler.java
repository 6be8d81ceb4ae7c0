package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.storage.TopicConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.AlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.AlterConfigsResponseData;
import org.apache.kafka.common.message.AlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.RequestContext;

/**
 * AlterConfigs, the older whole-set form: a topic's settings become those named, and every key
 * not named returns to the broker's default, as in Kafka.
 */
final class AlterConfigsHandler extends VersionedHandler<AlterConfigsRequest> {
    private final EmbeddedBroker broker;

    AlterConfigsHandler(EmbeddedBroker broker) {
        super(ApiKeys.ALTER_CONFIGS, 0, 2);
        this.broker = broker;
    }

    @Override
    public AlterConfigsResponse handle(RequestContext context, AlterConfigsRequest request) {
        AlterConfigsResponseData response = new AlterConfigsResponseData();
        for (AlterConfigsResource resource : request.data().resources()) {
            List<TopicConfig.Change> changes = new ArrayList<>();
            for (AlterableConfig config : resource.configs()) {
                changes.add(new TopicConfig.Change(config.name(), AlterConfigOp.OpType.SET, config.value()));
            }
            ApiError result = IncrementalAlterConfigsHandler.alterTopic(broker, resource.resourceType(),
                    resource.resourceName(), changes, true, request.data().validateOnly());
            response.responses().add(new AlterConfigsResourceResponse().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName()).setErrorCode(result.error().code())
                    .setErrorMessage(result.message()));
        }
        return new AlterConfigsResponse(response);
    }
}
