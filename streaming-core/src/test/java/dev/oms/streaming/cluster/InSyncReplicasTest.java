package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

/** A leader's ISR by Kafka's rule: the leader, and followers that answer and caught up within the lag time. */
class InSyncReplicasTest {
    private static final long LAG_MS = 1_000;
    private static final List<Integer> ALL = List.of(1, 2, 3);
    private final InSyncReplicas isr = new InSyncReplicas(LAG_MS);

    /**
     * Leader 1 in term 5 whose log ends at {@code last}; followers 2 and 3 reach {@code two} and
     * {@code three}, and answered 50 ms ago.
     */
    private static InSyncReplicas.Followers seen(long last, long two, long three) {
        return seen(last, two, three, 50);
    }

    /** As {@link #seen(long, long, long)}, follower 3 last answering {@code threeAnsweredAgoMs} ago. */
    private static InSyncReplicas.Followers seen(long last, long two, long three, long threeAnsweredAgoMs) {
        return new InSyncReplicas.Followers(1, 5, last, new int[] {3, 2}, new long[] {three, two},
                new long[] {threeAnsweredAgoMs, 50});
    }

    @Test
    void followersThatKeepUpStayInSyncWhileTheLogGrows() {
        for (long t = 0, last = 100; t <= 10_000; t += 250, last += 50) {
            // Each look, the followers have what the leader had at the previous look.
            assertThat(isr.at(t, seen(last, last - 50, last - 50), ALL)).containsExactly(1, 2, 3);
        }
    }

    @Test
    void aFollowerThatStopsAnsweringLeavesAfterTheLagTimeAndReturnsOnceCaughtUp() {
        assertThat(isr.at(0, seen(100, 100, 100), ALL)).containsExactly(1, 2, 3);
        // Follower 3 dies at 200, the end of the log at the look of 500 ms: the look of 1 s still
        // finds it caught up (it has what the previous look saw); from then on it falls behind.
        assertThat(isr.at(500, seen(200, 200, 200), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_000, seen(300, 300, 200, 500), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_500, seen(400, 400, 200, 1_000), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(2_250, seen(500, 500, 200, 1_750), ALL)).containsExactly(1, 2);
        assertThat(isr.at(5_000, seen(500, 500, 200, 4_500), ALL)).containsExactly(1, 2);
        // Back, but not yet where the log ended at the previous look; then there.
        assertThat(isr.at(5_250, seen(550, 550, 420), ALL)).containsExactly(1, 2);
        assertThat(isr.at(5_500, seen(550, 550, 550), ALL)).containsExactly(1, 2, 3);
    }

    @Test
    void aFollowerThatDiesWhileThePartitionIsIdleLeavesOnceItHasNotAnsweredForTheLagTime() {
        // Nothing is written: what follower 3 last reported stays equal to the end of the log.
        assertThat(isr.at(0, seen(100, 100, 100), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_000, seen(100, 100, 100, 1_000), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_250, seen(100, 100, 100, 1_250), ALL)).containsExactly(1, 2);
    }

    @Test
    void aNewLeaderWaitsTheLagTimeForItsFollowersFirstAnswers() {
        // Elected a moment ago: the followers have not answered it yet (the time since reads long).
        assertThat(isr.at(0, seen(100, 100, 100, Long.MAX_VALUE), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_000, seen(100, 100, 100, Long.MAX_VALUE), ALL)).containsExactly(1, 2, 3);
        assertThat(isr.at(1_250, seen(100, 100, 100, Long.MAX_VALUE), ALL)).containsExactly(1, 2);
    }

    @Test
    void aFollowerThatAnswersButStaysBehindLeavesToo() {
        // Follower 2 always reaches most of the way, never where the log was a look ago.
        long t = 0;
        for (long last = 1_000; t <= 1_000; t += 250, last += 1_000) {
            assertThat(isr.at(t, seen(last, last - 1_500, last), ALL)).contains(2);
        }
        assertThat(isr.at(t, seen(6_000, 4_500, 6_000), ALL)).containsExactly(1, 3); // 1.25 s behind
    }

    @Test
    void aNewLeaderStartsFromTheRecordedIsr() {
        // Node 2 is elected in term 6. The ISR recorded in term 5 was 1 and 2: node 1 (the old
        // leader, now silent) has the lag time to prove itself, node 3 must catch up first.
        List<Integer> recorded = List.of(1, 2);
        InSyncReplicas.Followers term6 = new InSyncReplicas.Followers(2, 6, 150, new int[] {1, 3}, new long[] {100, 100},
                new long[] {0, 50});
        assertThat(isr.at(0, term6, recorded)).containsExactly(1, 2);
        assertThat(isr.at(500, new InSyncReplicas.Followers(2, 6, 150, new int[] {1, 3}, new long[] {100, 150},
                new long[] {500, 50}), recorded)).containsExactly(1, 2, 3); // 3 has what the log held at the first look
        assertThat(isr.at(1_100, new InSyncReplicas.Followers(2, 6, 150, new int[] {1, 3}, new long[] {100, 150},
                new long[] {1_100, 50}), recorded)).containsExactly(2, 3); // 1 never answered the new leader
    }
}
