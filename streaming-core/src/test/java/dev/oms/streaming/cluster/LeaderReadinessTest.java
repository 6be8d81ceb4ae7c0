package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A partition's new leader between its election and its readiness (its term's first entry
 * applied), when Ratis refuses writes: three brokers of a cluster in one JVM (real Raft over
 * loopback, real partition logs), the leader's readiness held back at Ratis' apply of that entry.
 */
class LeaderReadinessTest {
    private static final TopicPartition EVENTS = new TopicPartition("events", 0);
    private static final long PRODUCER = 4242;

    @TempDir
    Path dir;
    private InProcessCluster cluster;
    /** Counted down once the leader may become ready. */
    private final CountDownLatch ready = new CountDownLatch(1);

    @AfterEach
    void close() {
        ready.countDown();
        CodeInjectionForTesting.remove(PartitionStateMachine.APPLY_CONFIGURATION);
        if (cluster != null) {
            cluster.close();
        }
    }

    /**
     * Batches an idempotent producer pipelines to a leader that is not ready yet wait for it and
     * are written in the order they came, and one sent as it becomes ready comes after them.
     * Refused while it was not ready, the first would be sent again after the second had been
     * written, and refused as out of sequence until the producer gave up on it.
     */
    @Test
    void batchesThatReachALeaderBeforeItIsReadyWaitForItAndAreWrittenInTheOrderTheyCame() throws Exception {
        CodeInjectionForTesting.put(PartitionStateMachine.APPLY_CONFIGURATION, (partition, remote, args) -> {
            if (EVENTS.equals(partition)) {
                try {
                    ready.await(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return false;
        });
        cluster = new InProcessCluster(dir);
        cluster.openThreeRegistered();
        cluster.brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of());
        EmbeddedBroker leader = Awaitility.await("a leader elected, not ready").atMost(Duration.ofSeconds(30)).until(
                () -> cluster.brokers.stream().filter(b -> b.hasPartition(EVENTS) && leadsNotReady(b)).findFirst(),
                java.util.Optional::isPresent).orElseThrow();

        CompletableFuture<Long> first = leader.append(EVENTS, batch(0));
        CompletableFuture<Long> second = leader.append(EVENTS, batch(1));
        Awaitility.await("held while the leader is not ready").during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
                .until(() -> !first.isDone() && !second.isDone());
        ready.countDown();
        // Sent as the leader becomes ready, before the held ones are answered: it comes after them.
        CompletableFuture<Long> third = leader.append(EVENTS, batch(2));

        assertThat(first.get(30, TimeUnit.SECONDS)).isZero();
        assertThat(second.get(30, TimeUnit.SECONDS)).isEqualTo(1);
        assertThat(third.get(30, TimeUnit.SECONDS)).isEqualTo(2);
        assertThat(values(leader)).containsExactly("record-0", "record-1", "record-2");
    }

    private static boolean leadsNotReady(EmbeddedBroker broker) {
        ReplicatedLog log = broker.cluster().orElseThrow();
        return log.leader(EVENTS).filter(l -> l.nodeId() == log.nodeId() && !l.ready()).isPresent();
    }

    /** Record {@code i} of one idempotent producer, its sequence {@code i}. */
    private static MemoryRecords batch(int i) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, PRODUCER, (short) 0, i,
                new SimpleRecord(("record-" + i).getBytes(StandardCharsets.UTF_8)));
    }

    private static List<String> values(EmbeddedBroker broker) {
        List<String> values = new ArrayList<>();
        for (var batch : broker.read(EVENTS, 0, 1 << 20).batches()) {
            for (var record : batch) {
                values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
            }
        }
        return values;
    }
}
