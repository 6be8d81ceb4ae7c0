package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.message.DeleteGroupsResponseData;
import org.apache.kafka.common.message.DeleteGroupsResponseData.DeletableGroupResult;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.DeleteGroupsRequest;
import org.apache.kafka.common.requests.DeleteGroupsResponse;
import org.apache.kafka.common.requests.RequestContext;

/** DeleteGroups: a group without members, and its committed offsets. */
final class DeleteGroupsHandler extends VersionedHandler<DeleteGroupsRequest> {
    private final GroupCoordinator coordinator;

    DeleteGroupsHandler(GroupCoordinator coordinator) {
        super(ApiKeys.DELETE_GROUPS, 0, 2);
        this.coordinator = coordinator;
    }

    @Override
    public DeleteGroupsResponse handle(RequestContext context, DeleteGroupsRequest request) {
        DeleteGroupsResponseData response = new DeleteGroupsResponseData();
        for (String groupId : request.data().groupsNames()) {
            response.results().add(new DeletableGroupResult().setGroupId(groupId)
                    .setErrorCode(coordinator.delete(groupId).code()));
        }
        return new DeleteGroupsResponse(response);
    }
}
