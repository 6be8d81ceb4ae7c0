package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.message.HeartbeatResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.HeartbeatRequest;
import org.apache.kafka.common.requests.HeartbeatResponse;
import org.apache.kafka.common.requests.RequestContext;

/** Heartbeat: keeps a member's session; REBALANCE_IN_PROGRESS tells it to rejoin. */
final class HeartbeatHandler extends VersionedHandler<HeartbeatRequest> {
    private final GroupCoordinator coordinator;

    HeartbeatHandler(GroupCoordinator coordinator) {
        super(ApiKeys.HEARTBEAT, 0, 4);
        this.coordinator = coordinator;
    }

    @Override
    public HeartbeatResponse handle(RequestContext context, HeartbeatRequest request) {
        var data = request.data();
        return new HeartbeatResponse(new HeartbeatResponseData().setErrorCode(
                coordinator.heartbeat(data.groupId(), data.memberId(), data.groupInstanceId(), data.generationId()).code()));
    }
}
