package dev.oms.streaming.kafka.handler;

import java.util.ArrayList;
import java.util.List;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.message.LeaveGroupRequestData.MemberIdentity;
import org.apache.kafka.common.message.LeaveGroupResponseData;
import org.apache.kafka.common.message.LeaveGroupResponseData.MemberResponse;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.LeaveGroupRequest;
import org.apache.kafka.common.requests.LeaveGroupResponse;
import org.apache.kafka.common.requests.RequestContext;

/** LeaveGroup: one member (v0-2) or a batch of them (v3+); the group rebalances without them. */
final class LeaveGroupHandler extends VersionedHandler<LeaveGroupRequest> {
    private final GroupCoordinator coordinator;

    LeaveGroupHandler(GroupCoordinator coordinator) {
        super(ApiKeys.LEAVE_GROUP, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    public LeaveGroupResponse handle(RequestContext context, LeaveGroupRequest request) {
        List<MemberResponse> responses = new ArrayList<>();
        for (MemberIdentity member : request.members()) {
            Errors error = coordinator.leave(request.data().groupId(), member.memberId(), member.groupInstanceId());
            responses.add(new MemberResponse().setMemberId(member.memberId()).setGroupInstanceId(member.groupInstanceId())
                    .setErrorCode(error.code()));
        }
        LeaveGroupResponseData data = new LeaveGroupResponseData().setErrorCode(Errors.NONE.code());
        if (context.apiVersion() >= 3) {
            data.setMembers(responses);
        } else if (!responses.isEmpty()) {
            data.setErrorCode(responses.getFirst().errorCode());
        }
        return new LeaveGroupResponse(data);
    }
}
