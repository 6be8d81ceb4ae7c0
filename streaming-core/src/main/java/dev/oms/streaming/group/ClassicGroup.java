package dev.oms.streaming.group;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;

import org.apache.kafka.common.message.JoinGroupResponseData;
import org.apache.kafka.common.message.SyncGroupResponseData;

/**
 * One consumer group of the classic protocol, Kafka's state machine: Empty → PreparingRebalance
 * (members rejoin) → CompletingRebalance (the leader's assignment is awaited) → Stable. Members
 * are kept in join order, so the leader choice is deterministic.
 *
 * <p>Threads: every field is guarded by this object's monitor; {@link GroupCoordinator} holds it.
 */
final class ClassicGroup {
    enum State {
        EMPTY("Empty"), PREPARING_REBALANCE("PreparingRebalance"), COMPLETING_REBALANCE("CompletingRebalance"),
        STABLE("Stable"), DEAD("Dead");

        final String kafkaName;

        State(String kafkaName) {
            this.kafkaName = kafkaName;
        }
    }

    record Protocol(String name, byte[] metadata) {
    }

    static final class Member {
        final String memberId;
        final String groupInstanceId;
        String clientId;
        String clientHost;
        int sessionTimeoutMs;
        int rebalanceTimeoutMs;
        List<Protocol> protocols = List.of();
        byte[] assignment = new byte[0];
        CompletableFuture<JoinGroupResponseData> awaitingJoin;
        CompletableFuture<SyncGroupResponseData> awaitingSync;
        long lastSeenMs;

        Member(String memberId, String groupInstanceId) {
            this.memberId = memberId;
            this.groupInstanceId = groupInstanceId;
        }

        byte[] metadata(String protocol) {
            for (Protocol p : protocols) {
                if (p.name().equals(protocol)) {
                    return p.metadata();
                }
            }
            return new byte[0];
        }
    }

    final String groupId;
    State state = State.EMPTY;
    int generationId;
    String protocolType;
    String protocolName;
    String leaderId;
    final LinkedHashMap<String, Member> members = new LinkedHashMap<>();
    final Map<String, String> staticMembers = new HashMap<>();
    /** Member ids handed out with MEMBER_ID_REQUIRED, expected back in the next JoinGroup. */
    final Set<String> pendingMemberIds = new HashSet<>();
    ScheduledFuture<?> joinDeadline;
    /** Until then a new group waits for more members before its first rebalance completes. */
    long initialDelayUntilMs;

    ClassicGroup(String groupId) {
        this.groupId = groupId;
    }

    /** Protocols every member supports, in the order the first member prefers them. */
    List<String> commonProtocols() {
        List<String> common = new ArrayList<>();
        boolean first = true;
        for (Member member : members.values()) {
            List<String> names = member.protocols.stream().map(Protocol::name).toList();
            if (first) {
                common.addAll(names);
                first = false;
            } else {
                common.retainAll(names);
            }
        }
        return common;
    }

    /** Kafka's vote: each member picks its favourite of the common protocols; most votes wins. */
    String selectProtocol() {
        List<String> candidates = commonProtocols();
        Map<String, Integer> votes = new LinkedHashMap<>();
        candidates.forEach(c -> votes.put(c, 0));
        for (Member member : members.values()) {
            for (Protocol p : member.protocols) {
                if (votes.containsKey(p.name())) {
                    votes.merge(p.name(), 1, Integer::sum);
                    break;
                }
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey).orElse(null);
    }

    boolean allMembersRejoined() {
        return members.values().stream().allMatch(m -> m.awaitingJoin != null);
    }

    int maxRebalanceTimeoutMs() {
        return members.values().stream().mapToInt(m -> m.rebalanceTimeoutMs).max().orElse(0);
    }

    void remove(Member member) {
        members.remove(member.memberId);
        if (member.groupInstanceId != null) {
            staticMembers.remove(member.groupInstanceId, member.memberId);
        }
        if (member.memberId.equals(leaderId)) {
            leaderId = members.isEmpty() ? null : members.keySet().iterator().next();
        }
    }
}
