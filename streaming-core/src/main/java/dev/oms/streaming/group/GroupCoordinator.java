package dev.oms.streaming.group;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.ClassicGroup.Member;
import dev.oms.streaming.group.ClassicGroup.Protocol;
import dev.oms.streaming.group.ClassicGroup.State;
import dev.oms.streaming.group.OffsetStore.Committed;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.message.JoinGroupRequestData;
import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.JoinGroupResponseData.JoinGroupResponseMember;
import org.apache.kafka.common.message.SyncGroupRequestData;
import org.apache.kafka.common.message.SyncGroupResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group coordinator of the classic consumer protocol (JoinGroup, SyncGroup, Heartbeat,
 * LeaveGroup) and the keeper of committed offsets. Assignment is the clients' business (eager or
 * cooperative-sticky, chosen by the group leader); the coordinator runs Kafka's state machine:
 * generations that fence stale members, session timeouts that remove silent ones, rebalance
 * timeouts that stop waiting for slow ones, and static membership ({@code group.instance.id}),
 * whose members come back without a rebalance.
 *
 * <p>Threads: any request thread; each group is guarded by its own monitor. One timer thread
 * expires sessions and ends rebalances.
 */
public final class GroupCoordinator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupCoordinator.class);
    private static final int MAX_METADATA_BYTES = 4096;

    private final EmbeddedBroker broker;
    private final OffsetStore offsets;
    private final long initialRebalanceDelayMs;
    private final Map<String, ClassicGroup> groups = new ConcurrentHashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "oms-group-timer");
        t.setDaemon(true);
        return t;
    });

    /**
     * @param offsetPartitions        partitions of {@code __consumer_offsets} on first start
     * @param initialRebalanceDelayMs how long a new group waits for more members before its first
     *                                generation (Kafka's group.initial.rebalance.delay.ms)
     */
    public GroupCoordinator(EmbeddedBroker broker, int offsetPartitions, long initialRebalanceDelayMs) throws IOException {
        this.broker = broker;
        this.offsets = new OffsetStore(broker, offsetPartitions);
        this.initialRebalanceDelayMs = initialRebalanceDelayMs;
        timer.scheduleWithFixedDelay(this::expireSessions, 100, 100, TimeUnit.MILLISECONDS);
    }

    private ClassicGroup group(String groupId) {
        return groups.computeIfAbsent(groupId, ClassicGroup::new);
    }

    // ---- JoinGroup ---------------------------------------------------------------------------

    /** JoinGroup: completes when the rebalance the member takes part in has its new generation. */
    public CompletableFuture<JoinGroupResponseData> join(JoinGroupRequestData request, String clientId, String clientHost,
                                                         boolean requireKnownMemberId) {
        ClassicGroup group = group(request.groupId());
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        List<Protocol> protocols = new ArrayList<>();
        request.protocols().forEach(p -> protocols.add(new Protocol(p.name(), p.metadata())));
        synchronized (group) {
            if (group.state == State.DEAD) {
                return error(Errors.COORDINATOR_NOT_AVAILABLE, request.memberId());
            }
            if (protocols.isEmpty() || (!group.members.isEmpty() && (!request.protocolType().equals(group.protocolType)
                    || protocols.stream().noneMatch(p -> group.commonProtocols().contains(p.name()))))) {
                return error(Errors.INCONSISTENT_GROUP_PROTOCOL, request.memberId());
            }
            String instanceId = request.groupInstanceId();
            Member member;
            if (request.memberId().isEmpty()) {
                String newId = (clientId == null || clientId.isEmpty() ? "member" : clientId) + "-" + UUID.randomUUID();
                if (instanceId != null && group.staticMembers.containsKey(instanceId)) {
                    return rejoinStatic(group, request, instanceId, newId, protocols, clientId, clientHost);
                }
                if (instanceId == null && requireKnownMemberId) {
                    group.pendingMemberIds.add(newId);
                    return error(Errors.MEMBER_ID_REQUIRED, newId);
                }
                member = add(group, newId, instanceId);
            } else {
                member = group.members.get(request.memberId());
                if (member == null) {
                    if (!group.pendingMemberIds.remove(request.memberId())) {
                        return error(Errors.UNKNOWN_MEMBER_ID, request.memberId());
                    }
                    member = add(group, request.memberId(), instanceId);
                } else if (instanceId != null && !request.memberId().equals(group.staticMembers.get(instanceId))) {
                    return error(Errors.FENCED_INSTANCE_ID, request.memberId());
                }
            }
            if (group.members.size() == 1) {
                group.protocolType = request.protocolType();
            }
            member.clientId = clientId;
            member.clientHost = clientHost;
            member.sessionTimeoutMs = request.sessionTimeoutMs();
            member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
            member.protocols = protocols;
            member.lastSeenMs = System.currentTimeMillis();
            if (member.awaitingJoin != null) {
                member.awaitingJoin.complete(errorData(Errors.REBALANCE_IN_PROGRESS, member.memberId));
            }
            member.awaitingJoin = response;
            if (group.state != State.PREPARING_REBALANCE) {
                prepareRebalance(group, "member " + member.memberId + " joined");
            }
            maybeCompleteJoin(group);
        }
        return response;
    }

    private static Member add(ClassicGroup group, String memberId, String instanceId) {
        Member member = new Member(memberId, instanceId);
        group.members.put(memberId, member);
        if (instanceId != null) {
            group.staticMembers.put(instanceId, memberId);
        }
        if (group.leaderId == null) {
            group.leaderId = memberId;
        }
        return member;
    }

    /**
     * A static member back with a new member id: it takes its old place and assignment. In a
     * stable group with unchanged protocols that costs no rebalance (KIP-345).
     */
    private CompletableFuture<JoinGroupResponseData> rejoinStatic(ClassicGroup group, JoinGroupRequestData request,
                                                                  String instanceId, String newId, List<Protocol> protocols,
                                                                  String clientId, String clientHost) {
        Member old = group.members.remove(group.staticMembers.get(instanceId));
        Member member = new Member(newId, instanceId);
        member.assignment = old == null ? new byte[0] : old.assignment;
        member.clientId = clientId;
        member.clientHost = clientHost;
        member.sessionTimeoutMs = request.sessionTimeoutMs();
        member.rebalanceTimeoutMs = request.rebalanceTimeoutMs();
        member.protocols = protocols;
        member.lastSeenMs = System.currentTimeMillis();
        group.members.put(newId, member);
        group.staticMembers.put(instanceId, newId);
        boolean wasLeader = old != null && old.memberId.equals(group.leaderId);
        if (wasLeader || group.leaderId == null) {
            group.leaderId = newId;
        }
        if (old != null && old.awaitingSync != null) {
            old.awaitingSync.complete(syncError(Errors.FENCED_INSTANCE_ID));
        }
        boolean sameProtocols = old != null && old.protocols.stream().map(Protocol::name).toList()
                .equals(protocols.stream().map(Protocol::name).toList());
        if (group.state == State.STABLE && sameProtocols) {
            JoinGroupResponseData data = joinData(group, member, wasLeader);
            data.setSkipAssignment(wasLeader);
            return CompletableFuture.completedFuture(data);
        }
        CompletableFuture<JoinGroupResponseData> response = new CompletableFuture<>();
        member.awaitingJoin = response;
        if (group.state != State.PREPARING_REBALANCE) {
            prepareRebalance(group, "static member " + instanceId + " rejoined");
        }
        maybeCompleteJoin(group);
        return response;
    }

    private void prepareRebalance(ClassicGroup group, String reason) {
        boolean first = group.state == State.EMPTY;
        for (Member member : group.members.values()) {
            if (member.awaitingSync != null) {
                member.awaitingSync.complete(syncError(Errors.REBALANCE_IN_PROGRESS));
                member.awaitingSync = null;
            }
        }
        group.state = State.PREPARING_REBALANCE;
        long delay = first ? initialRebalanceDelayMs : Math.max(group.maxRebalanceTimeoutMs(), 1);
        group.initialDelayUntilMs = first ? System.currentTimeMillis() + initialRebalanceDelayMs : 0;
        if (group.joinDeadline != null) {
            group.joinDeadline.cancel(false);
        }
        group.joinDeadline = timer.schedule(() -> {
            synchronized (group) {
                if (group.state == State.PREPARING_REBALANCE) {
                    completeJoin(group);
                }
            }
        }, delay, TimeUnit.MILLISECONDS);
        LOG.debug("group {} rebalancing: {}", group.groupId, reason);
    }

    private void maybeCompleteJoin(ClassicGroup group) {
        if (group.state == State.PREPARING_REBALANCE && group.allMembersRejoined()
                && System.currentTimeMillis() >= group.initialDelayUntilMs) {
            completeJoin(group);
        }
    }

    /** Ends the join phase: members that did not rejoin are dropped, the rest get the new generation. */
    private void completeJoin(ClassicGroup group) {
        for (Member member : new ArrayList<>(group.members.values())) {
            if (member.awaitingJoin == null) {
                group.remove(member);
            }
        }
        if (group.joinDeadline != null) {
            group.joinDeadline.cancel(false);
            group.joinDeadline = null;
        }
        group.generationId++;
        if (group.members.isEmpty()) {
            group.state = State.EMPTY;
            group.protocolName = null;
            return;
        }
        group.protocolName = group.selectProtocol();
        if (group.leaderId == null || !group.members.containsKey(group.leaderId)) {
            group.leaderId = group.members.keySet().iterator().next();
        }
        group.state = State.COMPLETING_REBALANCE;
        long now = System.currentTimeMillis();
        for (Member member : group.members.values()) {
            CompletableFuture<JoinGroupResponseData> waiting = member.awaitingJoin;
            member.awaitingJoin = null;
            member.lastSeenMs = now;
            waiting.complete(joinData(group, member, member.memberId.equals(group.leaderId)));
        }
        LOG.info("group {} generation {}: {} member(s), protocol {}, leader {}", group.groupId, group.generationId,
                group.members.size(), group.protocolName, group.leaderId);
    }

    private static JoinGroupResponseData joinData(ClassicGroup group, Member member, boolean withMembers) {
        JoinGroupResponseData data = new JoinGroupResponseData().setErrorCode(Errors.NONE.code())
                .setGenerationId(group.generationId).setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName).setLeader(group.leaderId).setMemberId(member.memberId);
        if (withMembers) {
            for (Member m : group.members.values()) {
                data.members().add(new JoinGroupResponseMember().setMemberId(m.memberId)
                        .setGroupInstanceId(m.groupInstanceId).setMetadata(m.metadata(group.protocolName)));
            }
        }
        return data;
    }

    private static CompletableFuture<JoinGroupResponseData> error(Errors error, String memberId) {
        return CompletableFuture.completedFuture(errorData(error, memberId));
    }

    private static JoinGroupResponseData errorData(Errors error, String memberId) {
        return new JoinGroupResponseData().setErrorCode(error.code()).setGenerationId(-1)
                .setMemberId(memberId).setLeader("").setProtocolName(null);
    }

    // ---- SyncGroup, Heartbeat, LeaveGroup ---------------------------------------------------

    /** SyncGroup: the leader hands in the assignment; every member gets its own part. */
    public CompletableFuture<SyncGroupResponseData> sync(SyncGroupRequestData request) {
        ClassicGroup group = group(request.groupId());
        synchronized (group) {
            Member member = group.members.get(request.memberId());
            Errors error = check(group, member, request.generationId(), request.groupInstanceId());
            if (error != Errors.NONE) {
                return CompletableFuture.completedFuture(syncError(error));
            }
            if ((request.protocolType() != null && !request.protocolType().equals(group.protocolType))
                    || (request.protocolName() != null && !request.protocolName().equals(group.protocolName))) {
                return CompletableFuture.completedFuture(syncError(Errors.INCONSISTENT_GROUP_PROTOCOL));
            }
            member.lastSeenMs = System.currentTimeMillis();
            if (group.state == State.PREPARING_REBALANCE) {
                return CompletableFuture.completedFuture(syncError(Errors.REBALANCE_IN_PROGRESS));
            }
            if (group.state == State.STABLE) {
                return CompletableFuture.completedFuture(assignment(group, member));
            }
            CompletableFuture<SyncGroupResponseData> response = new CompletableFuture<>();
            member.awaitingSync = response;
            if (member.memberId.equals(group.leaderId)) {
                for (Member m : group.members.values()) {
                    m.assignment = new byte[0];
                }
                request.assignments().forEach(a -> {
                    Member target = group.members.get(a.memberId());
                    if (target != null) {
                        target.assignment = a.assignment();
                    }
                });
                group.state = State.STABLE;
                for (Member m : group.members.values()) {
                    if (m.awaitingSync != null) {
                        m.awaitingSync.complete(assignment(group, m));
                        m.awaitingSync = null;
                    }
                }
            }
            return response;
        }
    }

    private static SyncGroupResponseData assignment(ClassicGroup group, Member member) {
        return new SyncGroupResponseData().setErrorCode(Errors.NONE.code()).setProtocolType(group.protocolType)
                .setProtocolName(group.protocolName).setAssignment(member.assignment);
    }

    private static SyncGroupResponseData syncError(Errors error) {
        return new SyncGroupResponseData().setErrorCode(error.code()).setAssignment(new byte[0]);
    }

    /** Heartbeat: keeps the member's session and tells it when to rejoin. */
    public Errors heartbeat(String groupId, String memberId, String groupInstanceId, int generationId) {
        ClassicGroup group = group(groupId);
        synchronized (group) {
            Member member = group.members.get(memberId);
            Errors error = check(group, member, generationId, groupInstanceId);
            if (error != Errors.NONE) {
                return error;
            }
            member.lastSeenMs = System.currentTimeMillis();
            return group.state == State.PREPARING_REBALANCE ? Errors.REBALANCE_IN_PROGRESS : Errors.NONE;
        }
    }

    private static Errors check(ClassicGroup group, Member member, int generationId, String groupInstanceId) {
        if (group.state == State.DEAD) {
            return Errors.COORDINATOR_NOT_AVAILABLE;
        }
        if (member == null) {
            return groupInstanceId != null && group.staticMembers.containsKey(groupInstanceId)
                    ? Errors.FENCED_INSTANCE_ID : Errors.UNKNOWN_MEMBER_ID;
        }
        if (groupInstanceId != null && !member.memberId.equals(group.staticMembers.get(groupInstanceId))) {
            return Errors.FENCED_INSTANCE_ID;
        }
        return generationId != group.generationId ? Errors.ILLEGAL_GENERATION : Errors.NONE;
    }

    /** A member leaving (by member id, or by instance id for static members): the rest rebalance. */
    public Errors leave(String groupId, String memberId, String groupInstanceId) {
        ClassicGroup group = group(groupId);
        synchronized (group) {
            Member member = memberId != null && !memberId.isEmpty() ? group.members.get(memberId)
                    : groupInstanceId == null ? null : group.members.get(group.staticMembers.get(groupInstanceId));
            if (member == null) {
                return Errors.UNKNOWN_MEMBER_ID;
            }
            if (groupInstanceId != null && !member.memberId.equals(group.staticMembers.get(groupInstanceId))) {
                return Errors.FENCED_INSTANCE_ID;
            }
            removeAndRebalance(group, member, "member " + member.memberId + " left");
            return Errors.NONE;
        }
    }

    private void removeAndRebalance(ClassicGroup group, Member member, String reason) {
        if (member.awaitingJoin != null) {
            member.awaitingJoin.complete(errorData(Errors.UNKNOWN_MEMBER_ID, member.memberId));
        }
        if (member.awaitingSync != null) {
            member.awaitingSync.complete(syncError(Errors.UNKNOWN_MEMBER_ID));
        }
        group.remove(member);
        if (group.members.isEmpty()) {
            if (group.joinDeadline != null) {
                group.joinDeadline.cancel(false);
            }
            group.generationId++;
            group.state = State.EMPTY;
            group.protocolName = null;
        } else if (group.state == State.PREPARING_REBALANCE) {
            maybeCompleteJoin(group);
        } else {
            prepareRebalance(group, reason);
        }
    }

    /** Members silent for longer than their session timeout are removed, as if they had left. */
    private void expireSessions() {
        long now = System.currentTimeMillis();
        for (ClassicGroup group : groups.values()) {
            synchronized (group) {
                for (Member member : new ArrayList<>(group.members.values())) {
                    if (member.awaitingJoin == null && now - member.lastSeenMs > member.sessionTimeoutMs) {
                        LOG.info("group {}: member {} expired after {} ms without a heartbeat", group.groupId,
                                member.memberId, member.sessionTimeoutMs);
                        removeAndRebalance(group, member, "session of " + member.memberId + " expired");
                    }
                }
            }
        }
    }

    // ---- Offsets -----------------------------------------------------------------------------

    /**
     * OffsetCommit: from a member of the current generation, or from a client outside any group
     * (generation -1) while the group has no members. Answered once the commit is durable.
     */
    public Errors commit(String groupId, String memberId, String groupInstanceId, int generationId,
                         Map<TopicPartition, Committed> commits) {
        ClassicGroup group = group(groupId);
        synchronized (group) {
            if (generationId >= 0 || !group.members.isEmpty()) {
                Errors error = check(group, group.members.get(memberId), generationId, groupInstanceId);
                if (error != Errors.NONE) {
                    return error;
                }
                if (group.state == State.COMPLETING_REBALANCE) {
                    return Errors.REBALANCE_IN_PROGRESS;
                }
                group.members.get(memberId).lastSeenMs = System.currentTimeMillis();
            }
            for (Committed c : commits.values()) {
                if (c.metadata() != null && c.metadata().length() > MAX_METADATA_BYTES) {
                    return Errors.OFFSET_METADATA_TOO_LARGE;
                }
            }
            offsets.commit(groupId, commits);
            return Errors.NONE;
        }
    }

    /** The committed offsets of a group. */
    public Map<TopicPartition, Committed> committed(String groupId) {
        return offsets.offsets(groupId);
    }

    /** DeleteGroups: only a group without members; its offsets go with it. */
    public Errors delete(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null && offsets.offsets(groupId).isEmpty()) {
            return Errors.GROUP_ID_NOT_FOUND;
        }
        if (group == null) {
            group = group(groupId);
        }
        synchronized (group) {
            if (!group.members.isEmpty()) {
                return Errors.NON_EMPTY_GROUP;
            }
            offsets.delete(groupId);
            group.state = State.DEAD;
            groups.remove(groupId, group);
            return Errors.NONE;
        }
    }

    /** What OffsetDelete answers: a group-level error, or one per partition. */
    public record OffsetDeletion(Errors groupError, Map<TopicPartition, Errors> partitions) {
    }

    /**
     * OffsetDelete, as Kafka's coordinator does it: an empty group loses the committed offsets of
     * {@code partitions}; a consumer group with members keeps those of the topics they subscribe
     * to (GROUP_SUBSCRIBED_TO_TOPIC) and loses the others; any other group with members is NON_EMPTY_GROUP.
     */
    public OffsetDeletion deleteOffsets(String groupId, java.util.Collection<TopicPartition> partitions) {
        ClassicGroup group = groups.get(groupId);
        if (group == null && offsets.offsets(groupId).isEmpty()) {
            return new OffsetDeletion(Errors.GROUP_ID_NOT_FOUND, Map.of());
        }
        if (group == null) {
            group = group(groupId);
        }
        synchronized (group) {
            if (group.state == State.DEAD) {
                return new OffsetDeletion(Errors.GROUP_ID_NOT_FOUND, Map.of());
            }
            java.util.Set<String> subscribed = new java.util.HashSet<>();
            if (!group.members.isEmpty()) {
                if (!"consumer".equals(group.protocolType) || group.protocolName == null) {
                    return new OffsetDeletion(Errors.NON_EMPTY_GROUP, Map.of());
                }
                for (Member member : group.members.values()) {
                    try {
                        subscribed.addAll(org.apache.kafka.clients.consumer.internals.ConsumerProtocol.deserializeSubscription(
                                java.nio.ByteBuffer.wrap(member.metadata(group.protocolName))).topics());
                    } catch (RuntimeException unreadable) { // what it consumes is unknown: nothing is deleted
                        return new OffsetDeletion(Errors.NON_EMPTY_GROUP, Map.of());
                    }
                }
            }
            Map<TopicPartition, Errors> result = new java.util.LinkedHashMap<>();
            List<TopicPartition> deleted = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                boolean kept = subscribed.contains(tp.topic());
                result.put(tp, kept ? Errors.GROUP_SUBSCRIBED_TO_TOPIC : Errors.NONE);
                if (!kept) {
                    deleted.add(tp);
                }
            }
            offsets.delete(groupId, deleted);
            return new OffsetDeletion(Errors.NONE, result);
        }
    }

    // ---- Views for DescribeGroups, ListGroups, lag --------------------------------------------

    /** A group as DescribeGroups and ListGroups show it. */
    public record GroupView(String groupId, String state, String protocolType, String protocol, List<MemberView> members) {
    }

    public record MemberView(String memberId, String groupInstanceId, String clientId, String clientHost,
                             byte[] metadata, byte[] assignment) {
    }

    public Optional<GroupView> describe(String groupId) {
        ClassicGroup group = groups.get(groupId);
        if (group == null) {
            return offsets.offsets(groupId).isEmpty() ? Optional.empty()
                    : Optional.of(new GroupView(groupId, State.EMPTY.kafkaName, "consumer", "", List.of()));
        }
        synchronized (group) {
            List<MemberView> members = new ArrayList<>();
            for (Member m : group.members.values()) {
                members.add(new MemberView(m.memberId, m.groupInstanceId, m.clientId, m.clientHost,
                        m.metadata(group.protocolName), m.assignment));
            }
            return Optional.of(new GroupView(groupId, group.state.kafkaName,
                    group.protocolType == null ? "consumer" : group.protocolType,
                    group.protocolName == null ? "" : group.protocolName, members));
        }
    }

    /** Every known group: with members now, or with committed offsets. */
    public List<GroupView> list() {
        java.util.TreeSet<String> ids = new java.util.TreeSet<>(groups.keySet());
        ids.addAll(offsets.groups());
        List<GroupView> views = new ArrayList<>();
        for (String id : ids) {
            describe(id).filter(v -> !v.state().equals(State.DEAD.kafkaName)).ifPresent(views::add);
        }
        return views;
    }

    /** Per group and partition: the committed offset, the log end offset, and lag, their difference. */
    public record Lag(String groupId, TopicPartition partition, long committedOffset, long logEndOffset) {
        public long lag() {
            return Math.max(0, logEndOffset - committedOffset);
        }
    }

    public List<Lag> lag() {
        List<Lag> lags = new ArrayList<>();
        for (String groupId : new java.util.TreeSet<>(offsets.groups())) {
            offsets.offsets(groupId).forEach((tp, c) -> {
                if (broker.hasPartition(tp)) {
                    lags.add(new Lag(groupId, tp, c.offset(), broker.highWatermark(tp)));
                }
            });
        }
        return lags;
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
