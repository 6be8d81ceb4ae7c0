package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.group.GroupCoordinator.GroupView;
import org.apache.kafka.common.message.ListGroupsResponseData;
import org.apache.kafka.common.message.ListGroupsResponseData.ListedGroup;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ListGroupsRequest;
import org.apache.kafka.common.requests.ListGroupsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** ListGroups: every group, filtered by state (v4+) and type (v5+, all are "classic" here). */
final class ListGroupsHandler extends VersionedHandler<ListGroupsRequest> {
    private final GroupCoordinator coordinator;

    ListGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKeys.LIST_GROUPS, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    public ListGroupsResponse handle(RequestContext context, ListGroupsRequest request) {
        ListGroupsResponseData response = new ListGroupsResponseData().setErrorCode(Errors.NONE.code());
        var states = request.data().statesFilter();
        var types = request.data().typesFilter();
        for (GroupView group : coordinator.list()) {
            boolean stateOk = states == null || states.isEmpty() || states.stream().anyMatch(s -> s.equalsIgnoreCase(group.state()));
            boolean typeOk = types == null || types.isEmpty() || types.stream().anyMatch(t -> t.equalsIgnoreCase("classic"));
            if (!stateOk || !typeOk) {
                continue;
            }
            ListedGroup listed = new ListedGroup().setGroupId(group.groupId()).setProtocolType(group.protocolType());
            if (context.apiVersion() >= 4) {
                listed.setGroupState(group.state());
            }
            if (context.apiVersion() >= 5) {
                listed.setGroupType("classic");
            }
            response.groups().add(listed);
        }
        return new ListGroupsResponse(response);
    }
}
