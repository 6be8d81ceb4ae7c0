package dev.oms.streaming.kafka.handler;

import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.requests.RequestContext;
import org.apache.kafka.common.requests.SyncGroupRequest;
import org.apache.kafka.common.requests.SyncGroupResponse;

/** SyncGroup: the leader's assignment in, each member's part out. */
final class SyncGroupHandler extends VersionedHandler<SyncGroupRequest> {
    private final GroupCoordinator coordinator;

    SyncGroupHandler(GroupCoordinator coordinator) {
        super(ApiKeys.SYNC_GROUP, 0, 5);
        this.coordinator = coordinator;
    }

    @Override
    public SyncGroupResponse handle(RequestContext context, SyncGroupRequest request) throws Exception {
        SyncGroupResponseData data = coordinator.sync(request.data()).get();
        if (context.apiVersion() < 5) {
            data.setProtocolType(null).setProtocolName(null); // not in the older schemas
        }
        return new SyncGroupResponse(data);
    }
}
