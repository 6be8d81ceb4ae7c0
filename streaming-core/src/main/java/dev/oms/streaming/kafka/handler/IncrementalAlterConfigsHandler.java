package dev.oms.streaming.kafka.handler;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.storage.TopicConfig;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterConfigsResource;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData;
import org.apache.kafka.common.message.IncrementalAlterConfigsResponseData.AlterConfigsResourceResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiError;
import org.apache.kafka.common.requests.IncrementalAlterConfigsRequest;
import org.apache.kafka.common.requests.IncrementalAlterConfigsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * IncrementalAlterConfigs (kafka-configs.sh --alter, Admin.incrementalAlterConfigs): SET, DELETE,
 * APPEND and SUBTRACT on a topic's settings, each resource answered on its own. Broker settings
 * come from oms.yaml and are not altered at runtime.
 */
final class IncrementalAlterConfigsHandler extends VersionedHandler<IncrementalAlterConfigsRequest> {
    private final EmbeddedBroker broker;

    IncrementalAlterConfigsHandler(EmbeddedBroker broker) {
        super(ApiKeys.INCREMENTAL_ALTER_CONFIGS, 0, 1);
        this.broker = broker;
    }

    @Override
    public IncrementalAlterConfigsResponse handle(RequestContext context, IncrementalAlterConfigsRequest request) {
        IncrementalAlterConfigsResponseData response = new IncrementalAlterConfigsResponseData();
        for (AlterConfigsResource resource : request.data().resources()) {
            List<TopicConfig.Change> changes = new ArrayList<>();
            ApiError result = null;
            for (AlterableConfig config : resource.configs()) {
                AlterConfigOp.OpType op = AlterConfigOp.OpType.forId(config.configOperation());
                if (op == null) {
                    result = new ApiError(Errors.INVALID_REQUEST, "unknown config operation " + config.configOperation()
                            + " for '" + config.name() + "': SET (0), DELETE (1), APPEND (2) or SUBTRACT (3)");
                    break;
                }
                changes.add(new TopicConfig.Change(config.name(), op, config.value()));
            }
            if (result == null) {
                result = alterTopic(broker, resource.resourceType(), resource.resourceName(), changes, false,
                        request.data().validateOnly());
            }
            response.responses().add(new AlterConfigsResourceResponse().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName()).setErrorCode(result.error().code())
                    .setErrorMessage(result.message()));
        }
        return new IncrementalAlterConfigsResponse(response);
    }

    /**
     * One resource of IncrementalAlterConfigs or AlterConfigs ({@code replace}): a topic's settings
     * changed (or only checked), or why not.
     */
    static ApiError alterTopic(EmbeddedBroker broker, byte resourceType, String resourceName,
                               List<TopicConfig.Change> changes, boolean replace, boolean validateOnly) {
        ConfigResource.Type type = ConfigResource.Type.forId(resourceType);
        if (type == ConfigResource.Type.BROKER) {
            return new ApiError(Errors.INVALID_REQUEST, "broker settings are read from oms.yaml (log.*) at start and"
                    + " cannot be altered at runtime; alter a topic's own settings instead");
        }
        if (type != ConfigResource.Type.TOPIC) {
            return new ApiError(Errors.INVALID_REQUEST, "configs of " + type + " '" + resourceName
                    + "' are not altered here; only topics' settings are");
        }
        try {
            broker.alterTopicConfig(resourceName, changes, replace, validateOnly);
            return ApiError.NONE;
        } catch (ApiException e) {
            return new ApiError(Errors.forException(e), e.getMessage());
        } catch (IOException e) {
            return new ApiError(Errors.KAFKA_STORAGE_ERROR, "the settings of topic '" + resourceName
                    + "' could not be written: " + e.getMessage());
        }
    }
}
