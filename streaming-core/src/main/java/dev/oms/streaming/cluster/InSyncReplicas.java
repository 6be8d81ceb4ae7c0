package dev.oms.streaming.cluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A leader's in-sync replicas of one partition, by Kafka's rule: itself, and every follower that
 * has caught up with it within the last {@code lagTimeMaxMs}. "Caught up" is judged the way
 * Kafka's leader does without a clock on every entry: at each look, a follower whose log reaches
 * where the leader's log ended at the previous look was caught up at that moment. A follower
 * that stops answering, or answers but falls behind for longer than the limit, leaves; it comes
 * back once it has caught up again.
 *
 * <p>A new leader (a new term) gives every follower the full limit before judging it, as
 * Kafka's new leader starts from the ISR it was given.
 *
 * <p>Threads: one caller at a time.
 */
final class InSyncReplicas {
    /**
     * What the leader sees of its followers at one moment: its term and last entry, and how far
     * each follower's log reaches (as the follower last reported it).
     */
    record Followers(int leaderId, long term, long lastIndex, int[] ids, long[] reached) {
    }

    private final long lagTimeMaxMs;
    private long term = -1;
    /** Where the leader's log ended at the previous look. */
    private long previousLastIndex;
    private final Map<Integer, Long> caughtUpAt = new HashMap<>();

    InSyncReplicas(long lagTimeMaxMs) {
        this.lagTimeMaxMs = lagTimeMaxMs;
    }

    /** The in-sync replicas at {@code nowMs}, by node id (the leader always among them). */
    List<Integer> at(long nowMs, Followers followers) {
        if (followers.term() != term) {
            term = followers.term();
            caughtUpAt.clear();
            previousLastIndex = followers.lastIndex();
        }
        for (int i = 0; i < followers.ids().length; i++) {
            int id = followers.ids()[i];
            caughtUpAt.putIfAbsent(id, nowMs); // new in this term: the full limit to prove itself
            if (followers.reached()[i] >= previousLastIndex) {
                caughtUpAt.put(id, nowMs);
            }
        }
        previousLastIndex = followers.lastIndex();
        List<Integer> isr = new ArrayList<>();
        isr.add(followers.leaderId());
        for (int id : followers.ids()) {
            if (nowMs - caughtUpAt.get(id) <= lagTimeMaxMs) {
                isr.add(id);
            }
        }
        isr.sort(null);
        return isr;
    }
}
