package dev.oms.streaming.kafka.handler;

import java.util.Optional;

import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.group.GroupCoordinator.GroupView;
import org.apache.kafka.common.message.DescribeGroupsResponseData;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroup;
import org.apache.kafka.common.message.DescribeGroupsResponseData.DescribedGroupMember;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.DescribeGroupsRequest;
import org.apache.kafka.common.requests.DescribeGroupsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** DescribeGroups: state, protocol and members with their assignments. */
final class DescribeGroupsHandler extends VersionedHandler<DescribeGroupsRequest> {
    private final GroupCoordinator coordinator;

    DescribeGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKeys.DESCRIBE_GROUPS, 0, 6);
        this.coordinator = coordinator;
    }

    @Override
    public DescribeGroupsResponse handle(RequestContext context, DescribeGroupsRequest request) {
        DescribeGroupsResponseData response = new DescribeGroupsResponseData();
        for (String groupId : request.data().groups()) {
            Optional<GroupView> view = coordinator.describe(groupId);
            DescribedGroup group = new DescribedGroup().setGroupId(groupId);
            response.groups().add(group);
            if (view.isEmpty()) {
                // Kafka describes an unknown group as Dead with no members.
                group.setErrorCode(context.apiVersion() >= 6 ? Errors.GROUP_ID_NOT_FOUND.code() : Errors.NONE.code())
                        .setGroupState("Dead").setProtocolType("").setProtocolData("");
                continue;
            }
            group.setErrorCode(Errors.NONE.code()).setGroupState(view.get().state())
                    .setProtocolType(view.get().protocolType()).setProtocolData(view.get().protocol());
            for (GroupCoordinator.MemberView m : view.get().members()) {
                DescribedGroupMember member = new DescribedGroupMember().setMemberId(m.memberId())
                        .setClientId(m.clientId() == null ? "" : m.clientId())
                        .setClientHost(m.clientHost() == null ? "" : m.clientHost())
                        .setMemberMetadata(m.metadata()).setMemberAssignment(m.assignment());
                if (context.apiVersion() >= 4) {
                    member.setGroupInstanceId(m.groupInstanceId());
                }
                group.members().add(member);
            }
        }
        return new DescribeGroupsResponse(response);
    }
}
