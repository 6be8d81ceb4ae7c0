package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A leader's ISR by Kafka's rule: followers that caught up within the lag time, and the leader. */
class InSyncReplicasTest {
    private static final long LAG_MS = 1_000;
    private final InSyncReplicas isr = new InSyncReplicas(LAG_MS);

    /** Leader 1 in term 5 whose log ends at {@code last}; followers 2 and 3 reach {@code two} and {@code three}. */
    private static InSyncReplicas.Followers seen(long last, long two, long three) {
        return new InSyncReplicas.Followers(1, 5, last, new int[] {3, 2}, new long[] {three, two});
    }

    @Test
    void followersThatKeepUpStayInSyncWhileTheLogGrows() {
        for (long t = 0, last = 100; t <= 10_000; t += 250, last += 50) {
            // Each look, the followers have what the leader had at the previous look.
            assertThat(isr.at(t, seen(last, last - 50, last - 50))).containsExactly(1, 2, 3);
        }
    }

    @Test
    void aFollowerThatStopsAnsweringLeavesAfterTheLagTimeAndReturnsOnceCaughtUp() {
        assertThat(isr.at(0, seen(100, 100, 100))).containsExactly(1, 2, 3);
        // Follower 3 dies at 200, the end of the log at the look of 500 ms: the look of 1 s still
        // finds it caught up (it has what the previous look saw); from then on it falls behind.
        assertThat(isr.at(500, seen(200, 200, 200))).containsExactly(1, 2, 3);
        assertThat(isr.at(1_000, seen(300, 300, 200))).containsExactly(1, 2, 3);
        assertThat(isr.at(1_500, seen(400, 400, 200))).containsExactly(1, 2, 3);
        assertThat(isr.at(2_000, seen(500, 500, 200))).containsExactly(1, 2, 3); // 1 s since it last caught up
        assertThat(isr.at(2_250, seen(500, 500, 200))).containsExactly(1, 2);
        assertThat(isr.at(5_000, seen(500, 500, 200))).containsExactly(1, 2);
        // Back, but not yet where the log ended at the previous look; then there.
        assertThat(isr.at(5_250, seen(550, 550, 420))).containsExactly(1, 2);
        assertThat(isr.at(5_500, seen(550, 550, 550))).containsExactly(1, 2, 3);
    }

    @Test
    void aFollowerThatAnswersButStaysBehindLeavesToo() {
        // Follower 2 always reaches most of the way, never where the log was a look ago.
        long t = 0;
        for (long last = 1_000; t <= 1_000; t += 250, last += 1_000) {
            assertThat(isr.at(t, seen(last, last - 1_500, last))).contains(2);
        }
        assertThat(isr.at(t, seen(6_000, 4_500, 6_000))).containsExactly(1, 3); // 1.25 s behind
    }

    @Test
    void aNewLeaderGivesEveryFollowerTheFullLagTimeBeforeJudgingIt() {
        assertThat(isr.at(0, seen(100, 100, 0))).containsExactly(1, 2, 3);
        assertThat(isr.at(2_000, seen(100, 100, 0))).containsExactly(1, 2); // 3 never caught up in term 5
        // Node 2 is elected in term 6 and sees 1 and 3 behind: both have the lag time to catch up.
        InSyncReplicas.Followers term6 = new InSyncReplicas.Followers(2, 6, 150, new int[] {1, 3}, new long[] {0, 0});
        assertThat(isr.at(2_500, term6)).containsExactly(1, 2, 3);
        assertThat(isr.at(3_600, term6)).containsExactly(2);
    }
}
