package dev.oms.streaming;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.shard.ShardStats;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static dev.oms.streaming.storage.PartitionLogTestSupport.batch;
import static dev.oms.streaming.storage.PartitionLogTestSupport.values;

class EmbeddedBrokerTest {
    @TempDir
    Path dir;

    @Test
    void concurrentAppendsGetDistinctContiguousOffsetsAndShareFsyncs() throws Exception {
        TopicPartition tp = new TopicPartition("orders", 0);
        int threads = 32, perThread = 50;
        ConcurrentLinkedQueue<Long> offsets = new ConcurrentLinkedQueue<>();
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 4096)) {
            broker.createTopic("orders", 1);
            try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
                for (int t = 0; t < threads; t++) {
                    int thread = t;
                    pool.submit(() -> {
                        for (int i = 0; i < perThread; i++) {
                            offsets.add(broker.append(tp, batch(thread + "/" + i)).join());
                        }
                        return null;
                    });
                }
                pool.shutdown();
                assertThat(pool.awaitTermination(2, TimeUnit.MINUTES)).isTrue();
            }
            int total = threads * perThread;
            assertThat(offsets).hasSize(total).doesNotHaveDuplicates().allMatch(o -> o >= 0 && o < total);
            assertThat(broker.highWatermark(tp)).isEqualTo(total);
            assertThat(values(broker.read(tp, 0, Integer.MAX_VALUE))).hasSize(total);

            ShardStats stats = broker.shardStats().getFirst();
            assertThat(stats.appends()).isEqualTo(total);
            // Group commit: waiting appenders share an fsync instead of taking one each.
            assertThat(stats.fsyncs()).isLessThan(total);
        }
    }

    @Test
    void topicsAndRecordsSurviveAReopen() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 2, 64)) {
            broker.createTopic("orders", 4);
            broker.createTopic("trades", 2);
            List<CompletableFuture<Long>> acks = new ArrayList<>();
            for (int p = 0; p < 4; p++) {
                acks.add(broker.append(new TopicPartition("orders", p), batch("p" + p)));
            }
            acks.forEach(CompletableFuture::join);
        }
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 2, 64)) {
            assertThat(broker.partitionCount("orders")).isEqualTo(4);
            assertThat(broker.partitionCount("trades")).isEqualTo(2);
            assertThat(broker.createTopic("orders", 8)).as("an existing topic keeps its partitions").isEqualTo(4);
            for (int p = 0; p < 4; p++) {
                assertThat(values(broker.read(new TopicPartition("orders", p), 0, 1 << 20))).containsExactly("0:p" + p);
            }
        }
    }

    /** A stop after the first of three partitions was deleted (its directory gone, the others not). */
    @Test
    void aTopicDeletionCutShortByAStopIsFinishedAtTheNextStart() throws Exception {
        String id;
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic("payments", 3);
            broker.createTopic("orders", 1);
            for (int p = 0; p < 3; p++) {
                broker.append(new TopicPartition("payments", p), batch("p" + p)).join();
            }
            id = broker.topic("payments").orElseThrow().id().toString();
        }
        java.nio.file.Files.writeString(dir.resolve("topic-configs").resolve(".deleting-" + id), "payments");
        dev.oms.streaming.storage.Directories.delete(dir.resolve("payments-0"));
        java.nio.file.Files.createDirectories(dir.resolve(".left-by-a-crash" + dev.oms.streaming.storage.Directories.DELETED_SUFFIX));

        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            assertThat(broker.topic("payments")).isEmpty();
            assertThat(broker.partitionCount("orders")).isEqualTo(1);
        }
        try (var left = java.nio.file.Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("orders-0", "topic-configs",
                    "meta.properties");
        }
    }

    /**
     * A creation that fails part way (here a file where partition 3's directory must go; in the
     * field, no file descriptor left) leaves nothing: a half-made topic was invisible, could not be
     * deleted, and came back whole at the next start.
     */
    @Test
    void aTopicWhosePartitionsCannotAllBeMadeLeavesNoPartitionBehindNowOrAfterARestart() throws Exception {
        java.nio.file.Files.createDirectories(dir);
        java.nio.file.Files.writeString(dir.resolve("ledger-3"), "in the way");
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 2, 64)) {
            assertThatThrownBy(() -> broker.createTopic("ledger", 6, java.util.Map.of("retention.ms", "3600000")))
                    .isInstanceOf(java.io.IOException.class);
            assertThat(broker.topic("ledger")).isEmpty();
            broker.createTopic("ledger-grown", 2);
            java.nio.file.Files.writeString(dir.resolve("ledger-grown-4"), "in the way");
            assertThatThrownBy(() -> broker.createPartitions("ledger-grown", 6)).isInstanceOf(java.io.IOException.class);
            assertThat(broker.partitionCount("ledger-grown")).isEqualTo(2);
            broker.append(new TopicPartition("ledger-grown", 1), batch("still served")).join();
        }
        try (var left = java.nio.file.Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("ledger")))
                    .containsExactlyInAnyOrder("ledger-3", "ledger-grown-0", "ledger-grown-1", "ledger-grown-4");
        }
        try (var configs = java.nio.file.Files.list(dir.resolve("topic-configs"))) {
            assertThat(configs.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("ledger."));
        }
        java.nio.file.Files.delete(dir.resolve("ledger-3"));
        java.nio.file.Files.delete(dir.resolve("ledger-grown-4"));
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 2, 64)) {
            assertThat(broker.topic("ledger")).isEmpty();
            assertThat(broker.partitionCount("ledger-grown")).isEqualTo(2);
            broker.createTopic("ledger", 6);
            broker.createPartitions("ledger-grown", 6);
            assertThat(values(broker.read(new TopicPartition("ledger-grown", 1), 0, 1 << 20))).containsExactly("0:still served");
        }
    }

    /** Kafka allows 249 characters; a file name may have 255 bytes: its settings file and the deletion must fit. */
    @Test
    void aTopicWithTheLongestNameKafkaAllowsKeepsItsSettingsAndIsDeletedWithItsFiles() throws Exception {
        String name = "t".repeat(249);
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic(name, 1, java.util.Map.of("retention.ms", "3600000"));
            broker.append(new TopicPartition(name, 0), batch("x")).join();
        }
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            assertThat(broker.topic(name).orElseThrow().overrides()).containsEntry("retention.ms", "3600000");
            broker.deleteTopic(name);
            assertThat(broker.topic(name)).isEmpty();
        }
        try (var left = java.nio.file.Files.list(dir)) {
            assertThat(left.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("ttt"));
        }
    }

    @Test
    void writeCachingAcknowledgesAtOnceAndFsyncsWithinTheFlushInterval() throws Exception {
        TopicPartition tp = new TopicPartition("cached", 0);
        BrokerConfig caching = new BrokerConfig(1, 1024, dev.oms.streaming.storage.TopicConfig.DEFAULTS, true, 200, false);
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, caching)) {
            broker.createTopic("cached", 1);
            ShardStats stats = broker.shardStats().getFirst();
            long fsyncsBefore = stats.fsyncs();
            for (int i = 0; i < 20; i++) {
                broker.append(tp, batch("c" + i)).join();
            }
            assertThat(broker.highWatermark(tp)).as("visible once written").isEqualTo(20);
            org.awaitility.Awaitility.await().until(() -> stats.fsyncs() > fsyncsBefore);
            assertThat(stats.fsyncs() - fsyncsBefore).as("far fewer fsyncs than acknowledged appends").isLessThan(20);
        }
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            assertThat(values(broker.read(tp, 0, 1 << 20))).hasSize(20);
        }
    }

    @Test
    void appendingToAnUnknownPartitionFailsClearly() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic("orders", 1);
            assertThatThrownBy(() -> broker.append(new TopicPartition("orders", 5), batch("x")))
                    .isInstanceOf(UnknownTopicOrPartitionException.class).hasMessageContaining("orders-5");
        }
    }

    @Test
    void anInProcessSubscriberPollingAnIdlePartitionAllocatesNothing() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic("orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            broker.append(tp, batch("only")).join();
            dev.oms.streaming.client.PartitionSubscription subscription =
                    dev.oms.streaming.client.PartitionSubscription.of(broker, tp, 0);
            java.util.function.Consumer<org.apache.kafka.common.record.internal.Record> ignore = record -> { };
            assertThat(subscription.pollRecords(1 << 20, ignore)).isEqualTo(1);
            for (int i = 0; i < 20_000; i++) { // warm up
                subscription.pollRecords(1 << 20, ignore);
            }
            var threads = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < 100_000; i++) {
                subscription.pollRecords(1 << 20, ignore);
            }
            // An engine worker polls its partitions whenever it wakes: idle, that must not feed the GC.
            // Less than a byte per poll: any object per poll (16 bytes at least) would be 1.6 MB here,
            // while the JIT may allocate a few hundred bytes once, whichever tests ran before.
            assertThat(threads.getCurrentThreadAllocatedBytes() - before).as("bytes for 100,000 idle polls").isLessThan(100_000);
        }
    }

    /**
     * Compaction keeps a batch's offsets when its last records go (as Kafka's cleaner does), so a
     * subscription moves past the whole batch, not just its last record left: else it would read
     * the same batch again for ever at the end of a compacted segment.
     */
    @Test
    void aSubscriptionReadsOnPastABatchWhoseLastRecordsCompactionRemoved() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic("state", 1, java.util.Map.of("cleanup.policy", "compact", "segment.bytes", "4096"));
            TopicPartition tp = new TopicPartition("state", 0);
            String big = "v".repeat(1500);
            broker.append(tp, keyed(new String[] {"a", "a1" + big}, new String[] {"b", "b1" + big})).join(); // 0, 1
            broker.append(tp, keyed(new String[] {"b", "b2" + big})).join(); // 2: supersedes offset 1, in the next segment
            broker.append(tp, keyed(new String[] {"c", "c3" + big + big})).join(); // 3: closes the segment of offset 2
            long bytes = broker.size(tp).bytes();
            org.awaitility.Awaitility.await("compaction").atMost(java.time.Duration.ofSeconds(30))
                    .until(() -> broker.size(tp).bytes() < bytes);

            dev.oms.streaming.client.PartitionSubscription subscription =
                    dev.oms.streaming.client.PartitionSubscription.of(broker, tp, 0);
            List<String> keys = new ArrayList<>();
            for (int poll = 0; poll < 10 && subscription.position() < broker.highWatermark(tp); poll++) {
                subscription.poll(1 << 20, (offset, timestamp, key, value) ->
                        keys.add(offset + ":" + java.nio.charset.StandardCharsets.UTF_8.decode(key)));
            }
            assertThat(keys).containsExactly("0:a", "2:b", "3:c");
            assertThat(subscription.position()).isEqualTo(4);
        }
    }

    /**
     * An in-process reader checks each batch's CRC as a Kafka consumer does (a restart checks only
     * the last segment's): a batch whose bytes changed on disk is refused, never handed over, and
     * the position stays before it, so its reader (an engine worker) stops there.
     */
    @Test
    void aSubscriptionRefusesABatchWhoseBytesNoLongerMatchItsCrc() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic("orders", 1);
            TopicPartition tp = new TopicPartition("orders", 0);
            for (String value : List.of("first", "second-batch", "third")) {
                broker.append(tp, batch(value)).join();
            }
            Path segment = dir.resolve("orders-0").resolve("00000000000000000000.log");
            byte[] bytes = java.nio.file.Files.readAllBytes(segment);
            int at = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("second-batch");
            try (java.io.RandomAccessFile file = new java.io.RandomAccessFile(segment.toFile(), "rw")) {
                file.seek(at);
                file.write('S'); // as bit rot would, after the restart that checked the segment
            }

            dev.oms.streaming.client.PartitionSubscription subscription =
                    dev.oms.streaming.client.PartitionSubscription.of(broker, tp, 0);
            List<String> values = new ArrayList<>();
            dev.oms.streaming.client.PartitionSubscription.RecordHandler collect = (offset, timestamp, key, value) ->
                    values.add(java.nio.charset.StandardCharsets.UTF_8.decode(value).toString());
            assertThatThrownBy(() -> subscription.poll(1 << 20, collect))
                    .isInstanceOf(org.apache.kafka.common.errors.CorruptRecordException.class);
            assertThat(values).containsExactly("first");
            assertThat(subscription.position()).isEqualTo(1);
            assertThatThrownBy(() -> subscription.poll(1 << 20, collect)).as("again, not skipped")
                    .isInstanceOf(org.apache.kafka.common.errors.CorruptRecordException.class);
            assertThat(values).containsExactly("first");
        }
    }

    private static org.apache.kafka.common.record.internal.MemoryRecords keyed(String[]... keyValues) {
        var records = new org.apache.kafka.common.record.internal.SimpleRecord[keyValues.length];
        for (int i = 0; i < keyValues.length; i++) {
            records[i] = new org.apache.kafka.common.record.internal.SimpleRecord(System.currentTimeMillis(),
                    keyValues[i][0].getBytes(java.nio.charset.StandardCharsets.UTF_8),
                    keyValues[i][1].getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return org.apache.kafka.common.record.internal.MemoryRecords.withRecords(
                org.apache.kafka.common.compress.Compression.NONE, records);
    }
}
