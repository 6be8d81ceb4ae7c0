package dev.oms.streaming.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A leader's in-sync replicas of one partition, by Kafka's rule: itself, and every follower that
 * has caught up with it within the last {@code lagTimeMaxMs} and answers it. "Caught up" is
 * judged without a clock on every entry: at each look, a follower whose log reaches where the
 * leader's log ended at the previous look was caught up at that moment. A follower that stops
 * answering, or answers but falls behind for longer than the limit, leaves; it comes back once
 * it has caught up again. (What a follower reached is what it last reported, so a follower that
 * died on an idle partition still looks caught up: the time since its last answer decides then.)
 *
 * <p>A new leader (a new term) starts from the ISR recorded before it, as Kafka's does: those in
 * it have the full limit to prove themselves, the others must catch up first.
 *
 * <p>Threads: one caller at a time.
 */
final class InSyncReplicas {
    /**
     * What the leader sees of its followers at one moment: its term and last entry, and how far
     * each follower's log reaches (as the follower last reported it).
     */
    record Followers(int leaderId, long term, long lastIndex, int[] ids, long[] reached, long[] answeredAgoMs) {
    }

    private final long lagTimeMaxMs;
    private long term = -1;
    /** When this leader's term began, as its first look saw it: until the lag time has passed, no follower has had time to answer. */
    private long termStartedAt;
    /** Where the leader's log ended at the previous look. */
    private long previousLastIndex;
    private final Map<Integer, Long> caughtUpAt = new HashMap<>();

    InSyncReplicas(long lagTimeMaxMs) {
        this.lagTimeMaxMs = lagTimeMaxMs;
    }

    /**
     * The in-sync replicas at {@code nowMs}, by node id (the leader always among them);
     * {@code recorded} is the ISR the controller holds, read when a new term starts.
     */
    List<Integer> at(long nowMs, Followers followers, List<Integer> recorded) {
        if (followers.term() != term) {
            term = followers.term();
            termStartedAt = nowMs;
            caughtUpAt.clear();
            for (int id : followers.ids()) {
                caughtUpAt.put(id, recorded.contains(id) ? nowMs : nowMs - lagTimeMaxMs - 1);
            }
            previousLastIndex = followers.lastIndex();
        }
        for (int i = 0; i < followers.ids().length; i++) {
            int id = followers.ids()[i];
            caughtUpAt.putIfAbsent(id, nowMs - lagTimeMaxMs - 1); // joined during the term: must catch up
            if (followers.reached()[i] >= previousLastIndex) {
                caughtUpAt.put(id, nowMs);
            }
        }
        previousLastIndex = followers.lastIndex();
        List<Integer> isr = new ArrayList<>();
        isr.add(followers.leaderId());
        for (int i = 0; i < followers.ids().length; i++) {
            int id = followers.ids()[i];
            boolean answers = followers.answeredAgoMs()[i] <= lagTimeMaxMs || nowMs - termStartedAt <= lagTimeMaxMs;
            if (nowMs - caughtUpAt.get(id) <= lagTimeMaxMs && answers) {
                isr.add(id);
            }
        }
        isr.sort(null);
        return isr;
    }
}
