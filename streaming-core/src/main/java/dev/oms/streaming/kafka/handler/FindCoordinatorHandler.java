package dev.oms.streaming.kafka.handler;

import java.util.List;
import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import org.apache.kafka.common.message.FindCoordinatorResponseData;
import org.apache.kafka.common.message.FindCoordinatorResponseData.Coordinator;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.FindCoordinatorRequest;
import org.apache.kafka.common.requests.FindCoordinatorResponse;
import org.apache.kafka.common.requests.RequestContext;

/**
 * FindCoordinator: a single node coordinates every group; in a cluster, the leader of the group's
 * partition of {@code __consumer_offsets} does, as in Kafka. Transactions are not offered.
 */
final class FindCoordinatorHandler extends VersionedHandler<FindCoordinatorRequest> {
    private static final byte GROUP = 0;
    private final EmbeddedBroker broker;
    private final KafkaListenerConfig config;

    FindCoordinatorHandler(EmbeddedBroker broker, KafkaListenerConfig config) {
        super(ApiKeys.FIND_COORDINATOR, 0, 6);
        this.broker = broker;
        this.config = config;
    }

    @Override
    public FindCoordinatorResponse handle(RequestContext context, FindCoordinatorRequest request) {
        byte keyType = request.data().keyType();
        if (context.apiVersion() < FindCoordinatorRequest.MIN_BATCHED_VERSION) {
            Coordinator c = coordinator(request.data().key(), keyType);
            FindCoordinatorResponseData data = new FindCoordinatorResponseData().setErrorCode(c.errorCode())
                    .setNodeId(c.nodeId()).setHost(c.host()).setPort(c.port());
            if (context.apiVersion() >= 1) {
                data.setErrorMessage(c.errorMessage());
            }
            return new FindCoordinatorResponse(data);
        }
        List<Coordinator> coordinators = request.data().coordinatorKeys().stream().map(k -> coordinator(k, keyType)).toList();
        return new FindCoordinatorResponse(new FindCoordinatorResponseData().setCoordinators(coordinators));
    }

    private Coordinator coordinator(String key, byte keyType) {
        Coordinator c = new Coordinator().setKey(key);
        if (keyType != GROUP) {
            // Not retriable: a transactional producer retried COORDINATOR_NOT_AVAILABLE for max.block.ms
            // (a minute) and then failed with a timeout that did not say why.
            return c.setErrorCode(Errors.INVALID_REQUEST.code()).setNodeId(-1).setHost("").setPort(-1)
                    .setErrorMessage("this broker coordinates consumer groups only; transactions and share groups are not offered");
        }
        if (broker.cluster().isPresent()) {
            // As Kafka: a group's coordinator is the leader of the partition its offsets live in.
            Optional<ReplicatedLog.Node> leader = ClusterView.coordinator(broker, key)
                    .filter(ReplicatedLog.Leader::ready) // a new leader first applies what it has committed
                    .flatMap(l -> ClusterView.brokers(broker, config).stream().filter(n -> n.id() == l.nodeId()).findFirst());
            if (leader.isEmpty()) {
                return c.setErrorCode(Errors.COORDINATOR_NOT_AVAILABLE.code()).setNodeId(-1).setHost("").setPort(-1)
                        .setErrorMessage("the group's offsets partition has no leader yet");
            }
            return c.setErrorCode(Errors.NONE.code()).setNodeId(leader.get().id()).setHost(leader.get().host())
                    .setPort(leader.get().port());
        }
        return c.setErrorCode(Errors.NONE.code()).setNodeId(ClusterView.selfId(broker))
                .setHost(config.advertisedHost()).setPort(config.advertisedPort());
    }
}
