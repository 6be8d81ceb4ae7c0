package dev.oms.streaming.kafka.handler;

import java.util.Map;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.EmbeddedBroker.Topic;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.message.DescribeConfigsRequestData.DescribeConfigsResource;
import org.apache.kafka.common.message.DescribeConfigsResponseData;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeConfigsRequest;
import org.apache.kafka.common.requests.DescribeConfigsResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * DescribeConfigs: a topic's log settings (its own, or the broker default, marked as such;
 * IncrementalAlterConfigs changes them), and the broker's defaults for the broker resource
 * (read-only: they come from oms.yaml).
 */
final class DescribeConfigsHandler extends VersionedHandler<DescribeConfigsRequest> {
    private final EmbeddedBroker broker;

    DescribeConfigsHandler(EmbeddedBroker broker) {
        super(ApiKeys.DESCRIBE_CONFIGS, 1, 4);
        this.broker = broker;
    }

    @Override
    public DescribeConfigsResponse handle(RequestContext context, DescribeConfigsRequest request) {
        DescribeConfigsResponseData response = new DescribeConfigsResponseData();
        for (DescribeConfigsResource resource : request.data().resources()) {
            DescribeConfigsResult result = new DescribeConfigsResult().setResourceType(resource.resourceType())
                    .setResourceName(resource.resourceName()).setErrorCode(Errors.NONE.code());
            response.results().add(result);
            ConfigResource.Type type = ConfigResource.Type.forId(resource.resourceType());
            if (type == ConfigResource.Type.TOPIC) {
                Optional<Topic> topic = broker.topic(resource.resourceName());
                if (topic.isEmpty()) {
                    result.setErrorCode(Errors.UNKNOWN_TOPIC_OR_PARTITION.code())
                            .setErrorMessage("unknown topic '" + resource.resourceName() + "'");
                    continue;
                }
                for (Map.Entry<String, String> entry : topic.get().config().asMap().entrySet()) {
                    boolean own = topic.get().overrides().containsKey(entry.getKey());
                    add(result, resource, entry.getKey(), entry.getValue(), own
                            ? DescribeConfigsResponse.ConfigSource.TOPIC_CONFIG
                            : DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG, false);
                }
            } else if (type == ConfigResource.Type.BROKER && (resource.resourceName().isEmpty()
                    || resource.resourceName().equals(Integer.toString(KafkaListenerConfig.NODE_ID)))) {
                for (Map.Entry<String, String> entry : broker.topicDefaults().asMap().entrySet()) {
                    // Kafka's broker-level names: log.segment.bytes, log.roll.ms, log.retention.ms…
                    String name = entry.getKey().equals("segment.ms") ? "log.roll.ms" : "log." + entry.getKey();
                    add(result, resource, name, entry.getValue(),
                            DescribeConfigsResponse.ConfigSource.DEFAULT_CONFIG, true);
                }
            } else {
                result.setErrorCode(Errors.INVALID_REQUEST.code())
                        .setErrorMessage("configs of " + type + " '" + resource.resourceName() + "' are not described here");
            }
        }
        return new DescribeConfigsResponse(response);
    }

    private static void add(DescribeConfigsResult result, DescribeConfigsResource resource, String name, String value,
                            DescribeConfigsResponse.ConfigSource source, boolean readOnly) {
        if (resource.configurationKeys() != null && !resource.configurationKeys().contains(name)) {
            return;
        }
        result.configs().add(new DescribeConfigsResourceResult().setName(name).setValue(value)
                .setReadOnly(readOnly).setIsSensitive(false).setConfigSource(source.id()));
    }
}
