package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.JoinGroupRequest;
import org.apache.kafka.common.requests.JoinGroupResponse;
import org.apache.kafka.common.requests.RequestContext;

/** JoinGroup: waits (on its own virtual thread) until the member's rebalance has a generation. */
final class JoinGroupHandler extends VersionedHandler<JoinGroupRequest> {
    private final GroupCoordinator coordinator;

    JoinGroupHandler(GroupCoordinator coordinator) {
        super(ApiKeys.JOIN_GROUP, 0, 9);
        this.coordinator = coordinator;
    }

    @Override
    public JoinGroupResponse handle(RequestContext context, JoinGroupRequest request) throws Exception {
        JoinGroupResponseData data = coordinator.join(request.data(), context.clientId(),
                context.clientAddress.getHostAddress(), context.apiVersion() >= 4).get();
        if (context.apiVersion() < 7) {
            data.setProtocolType(null); // not in the older schemas
        }
        if (context.apiVersion() < 9) {
            data.setSkipAssignment(false);
        }
        if (context.apiVersion() < 5) {
            data.members().forEach(m -> m.setGroupInstanceId(null));
        }
        return new JoinGroupResponse(data, context.apiVersion());
    }
}
