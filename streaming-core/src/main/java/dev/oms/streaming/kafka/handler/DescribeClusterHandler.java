package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.message.DescribeClusterResponseData;
import org.apache.kafka.common.message.DescribeClusterResponseData.DescribeClusterBroker;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeClusterRequest;
import org.apache.kafka.common.requests.DescribeClusterResponse;
import org.apache.kafka.common.requests.RequestContext;

/** DescribeCluster: the cluster id and this one node, which is also the controller. */
final class DescribeClusterHandler extends VersionedHandler<DescribeClusterRequest> {
    private final EmbeddedBroker broker;
    private final KafkaListenerConfig config;

    DescribeClusterHandler(EmbeddedBroker broker, KafkaListenerConfig config) {
        super(ApiKeys.DESCRIBE_CLUSTER, 0, 2);
        this.broker = broker;
        this.config = config;
    }

    @Override
    public DescribeClusterResponse handle(RequestContext context, DescribeClusterRequest request) {
        DescribeClusterResponseData response = new DescribeClusterResponseData()
                .setErrorCode(Errors.NONE.code())
                .setClusterId(broker.clusterId())
                .setControllerId(ClusterView.controllerId(broker));
        for (var node : ClusterView.brokers(broker, config)) {
            response.brokers().add(new DescribeClusterBroker().setBrokerId(node.id()).setHost(node.host()).setPort(node.port()));
        }
        return new DescribeClusterResponse(response);
    }
}
