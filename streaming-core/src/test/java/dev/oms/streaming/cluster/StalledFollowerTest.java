package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.ratis.server.RaftServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A follower whose appends Ratis 3.2 no longer takes. Its RaftServerImpl chains each append of
 * the leader's entries on the one before (appendLogFuture); once one fails, every later one
 * fails, while heartbeats pass, so neither side notices. Seen in ClusterTest: a leader cut off by
 * the network came back as a follower, and two appends of its new leader ran at once on two gRPC
 * threads, one of them replacing the entry only it held; the other failed with Ratis'
 * "Already running a method" (RaftLogSequentialOps) and the follower took nothing more. That
 * race cannot be timed from a test, so the failed link it leaves is put in place here; the
 * replica must notice and restart its division (without that it never catches up).
 */
class StalledFollowerTest {
    private static final TopicPartition EVENTS = new TopicPartition("events", 0);
    private static final long LAG_TIME_MS = 2_000;

    @TempDir
    Path dir;
    private InProcessCluster cluster;

    @AfterEach
    void close() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aFollowerThatTakesNoneOfItsLeadersEntriesRestartsItsDivisionAndCatchesUp() throws Exception {
        cluster = new InProcessCluster(dir);
        List<EmbeddedBroker> brokers = cluster.brokers;
        for (int id = 1; id <= 3; id++) {
            cluster.open(id, LAG_TIME_MS);
        }
        for (int id = 1; id <= 3; id++) {
            brokers.get(id - 1).cluster().orElseThrow().register("127.0.0.1", 9090 + id, 0);
        }
        brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of());
        append(0, 50);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().allMatch(b -> b.highWatermark(EVENTS) == 50));

        EmbeddedBroker follower = brokers.stream().filter(b -> !b.leads(EVENTS)).findFirst().orElseThrow();
        ReplicatedLog replicated = follower.cluster().orElseThrow();
        RaftServer.Division division = replicated.raftNode().division(replicated.groups().get(EVENTS));
        breakAppendChain(division);

        append(50, 100); // a majority acknowledges them, the broken follower or not
        Awaitility.await("the follower restarted its division and caught up").atMost(Duration.ofSeconds(60))
                .until(() -> follower.highWatermark(EVENTS) == 150);
        assertThat(replicated.raftNode().division(replicated.groups().get(EVENTS))).as("a new division")
                .isNotSameAs(division);
        append(150, 10); // and it goes on taking entries
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> follower.highWatermark(EVENTS) == 160);
        assertThat(values(follower)).isEqualTo(values(leader()));
    }

    /** Sets Ratis' follower append chain to a failed link, as a failed append leaves it. */
    @SuppressWarnings("unchecked")
    private static void breakAppendChain(RaftServer.Division division) throws ReflectiveOperationException {
        var field = division.getClass().getDeclaredField("appendLogFuture");
        field.setAccessible(true);
        ((AtomicReference<CompletableFuture<Void>>) field.get(division))
                .set(CompletableFuture.failedFuture(new java.io.IOException("an append that failed")));
    }

    private EmbeddedBroker leader() {
        return cluster.leaderOf(EVENTS);
    }

    private void append(int from, int count) throws Exception {
        List<CompletableFuture<Long>> sent = new ArrayList<>();
        EmbeddedBroker leader = leader();
        for (int i = from; i < from + count; i++) {
            sent.add(leader.appendAtLeader(EVENTS, MemoryRecords.withRecords(Compression.NONE,
                    new SimpleRecord(("k" + i).getBytes(StandardCharsets.UTF_8), ("record-" + i).getBytes(StandardCharsets.UTF_8)))));
        }
        for (var offset : sent) {
            offset.get(30, TimeUnit.SECONDS);
        }
    }

    private static List<String> values(EmbeddedBroker broker) {
        return ClusterRetentionTest.records(broker, EVENTS).stream().map(Map.Entry::getValue).toList();
    }
}
