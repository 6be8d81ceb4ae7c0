package dev.oms.streaming.kafka.handler;

import java.util.Optional;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.group.OffsetStore;
import org.apache.kafka.common.errors.CoordinatorLoadInProgressException;
import org.apache.kafka.common.errors.NotCoordinatorException;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.OffsetCommitRequest;
import org.apache.kafka.common.requests.OffsetFetchRequest;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.SyncGroupRequest;

/**
 * In a cluster, only the leader of a group's partition of {@code __consumer_offsets} coordinates
 * the group, as in Kafka: a group request that reaches any other node (a client with an old
 * answer to FindCoordinator, after leadership moved) is answered NOT_COORDINATOR, so the client
 * finds the new coordinator and rejoins there, and no two nodes run one group. A new leader
 * answers COORDINATOR_LOAD_IN_PROGRESS until it has applied what was committed before it.
 */
final class CoordinatorFence<R extends AbstractRequest> implements ApiHandler<R> {
    private final ApiHandler<R> handler;
    private final EmbeddedBroker broker;

    CoordinatorFence(ApiHandler<R> handler, EmbeddedBroker broker) {
        this.handler = handler;
        this.broker = broker;
    }

    @Override
    public AbstractResponse handle(RequestContext context, R request) throws Exception {
        Optional<ReplicatedLog> cluster = broker.cluster();
        Optional<String> group = groupOf(request);
        if (cluster.isPresent() && group.isPresent()) {
            RuntimeException refusal = refusal(cluster.get(), group.get());
            if (refusal != null) {
                return request.getErrorResponse(refusal);
            }
        }
        return handler.handle(context, request);
    }

    private RuntimeException refusal(ReplicatedLog cluster, String group) {
        if (broker.topic(OffsetStore.TOPIC).isEmpty()) {
            return new CoordinatorLoadInProgressException("the offsets topic is not open yet");
        }
        Optional<ReplicatedLog.Leader> leader = ClusterView.coordinator(broker, group);
        if (leader.isEmpty() || leader.get().nodeId() != cluster.nodeId()) {
            return new NotCoordinatorException("node " + cluster.nodeId() + " does not coordinate group " + group);
        }
        if (!leader.get().ready()) {
            return new CoordinatorLoadInProgressException("node " + cluster.nodeId() + " is loading group " + group);
        }
        return null;
    }

    private static Optional<String> groupOf(AbstractRequest request) {
        String group = switch (request) {
            case JoinGroupRequest r -> r.data().groupId();
            case SyncGroupRequest r -> r.data().groupId();
            case HeartbeatRequest r -> r.data().groupId();
            case LeaveGroupRequest r -> r.data().groupId();
            case OffsetCommitRequest r -> r.data().groupId();
            case org.apache.kafka.common.requests.OffsetDeleteRequest r -> r.data().groupId();
            case OffsetFetchRequest r -> r.data().groups().size() == 1 ? r.data().groups().get(0).groupId()
                    : r.data().groups().isEmpty() ? r.data().groupId() : null;
            default -> null;
        };
        return Optional.ofNullable(group);
    }

    @Override
    public ApiKeys apiKey() {
        return handler.apiKey();
    }

    @Override
    public short minVersion() {
        return handler.minVersion();
    }

    @Override
    public short maxVersion() {
        return handler.maxVersion();
    }
}
