package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention and compaction on a replicated partition: three brokers of a cluster in one JVM (real
 * Raft over loopback, real partition logs). The leader decides the start by size, every replica
 * applies it at the same point of its log, and each deletes the segments before it once Raft's
 * log, purged behind its snapshots, no longer reaches them; each compacts those of a compacted topic.
 */
class ClusterRetentionTest {
    private static final TopicPartition EVENTS = new TopicPartition("events", 0);

    @TempDir
    Path dir;
    private InProcessCluster cluster;
    private List<EmbeddedBroker> brokers;
    private List<String> raftSettings = List.of();

    @AfterEach
    void close() {
        org.apache.ratis.util.CodeInjectionForTesting.remove(PartitionStateMachine.COPY_RECORDS);
        cluster.close();
        raftSettings.forEach(System::clearProperty);
    }

    @Test
    void retentionBySizeMovesEveryReplicasStartAlikeAndDeletesTheirOldSegments() throws Exception {
        startThree();
        int count = 1_000;
        appendRecords(0, count);

        long start = awaitRetention(count);
        for (EmbeddedBroker broker : brokers) {
            assertThat(broker.logStartOffset(EVENTS)).isEqualTo(start);
            assertThat(broker.size(EVENTS).bytes()).isLessThan(40_000);
        }
        assertThat(readFromStart(leader(), start, count)).hasSize((int) (count - start)).last().asString()
                .startsWith("record-" + (count - 1) + "-");
    }

    /**
     * retention.bytes altered through a follower (IncrementalAlterConfigs) goes through the
     * controller: every node applies it, the leader's retention moves every replica's start by
     * it, and a node restarted holds it.
     */
    @Test
    void retentionAlteredThroughAFollowerAppliesOnEveryReplicaAndSurvivesARestart() throws Exception {
        raftSettings = RaftNodeTest.setPurgeSoon(64);
        cluster = new InProcessCluster(dir);
        brokers = cluster.brokers;
        cluster.openThreeRegistered();
        brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of("segment.bytes", "4096"));
        int count = 1_000;
        appendRecords(0, count);
        EmbeddedBroker follower = brokers.stream().filter(b -> !b.leads(EVENTS)).findFirst().orElseThrow();

        follower.alterTopicConfig(EVENTS.topic(), List.of(new dev.oms.streaming.storage.TopicConfig.Change("retention.bytes",
                org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET, "16384")), false, false);
        assertThat(follower.topic(EVENTS.topic()).orElseThrow().overrides())
                .isEqualTo(Map.of("segment.bytes", "4096", "retention.bytes", "16384"));
        long start = awaitRetention(count);
        assertThat(start).isPositive();

        int node = brokers.indexOf(follower) + 1;
        follower.close();
        EmbeddedBroker back = cluster.open(node);
        assertThat(back.topic(EVENTS.topic()).orElseThrow().config().retentionBytes()).isEqualTo(16384);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> back.highWatermark(EVENTS) == count
                && back.topic(EVENTS.topic()).orElseThrow().config().retentionBytes() == 16384);
    }

    /**
     * Nodes restarted as after a crash (no controller snapshot at the stop) replay a topic's
     * creation before the alter that followed it: its creation's retention.ms (1 s) is not applied
     * again, nor written over the settings on disk, so retention keeps every record.
     */
    @Test
    void aRestartReplayingATopicsCreationKeepsTheSettingsAlteredSinceAndEveryRecord() throws Exception {
        raftSettings = List.of("raft.server.snapshot.trigger-when-stop.enabled");
        System.setProperty(raftSettings.getFirst(), "false");
        cluster = new InProcessCluster(dir);
        brokers = cluster.brokers;
        cluster.openThreeRegistered();
        brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of("segment.bytes", "4096", "retention.ms", "1000"));
        brokers.get(1).alterTopicConfig(EVENTS.topic(), List.of(new dev.oms.streaming.storage.TopicConfig.Change(
                "retention.ms", org.apache.kafka.clients.admin.AlterConfigOp.OpType.SET, "-1")), false, false);
        int count = 200;
        appendRecords(0, count);
        Map<String, String> altered = Map.of("segment.bytes", "4096", "retention.ms", "-1");
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().allMatch(b ->
                b.highWatermark(EVENTS) == count && b.topic(EVENTS.topic()).orElseThrow().overrides().equals(altered)));
        List<java.nio.file.attribute.FileTime> written = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            written.add(java.nio.file.Files.getLastModifiedTime(settingsFile(id)));
        }

        cluster.close();
        for (int id = 1; id <= 3; id++) {
            cluster.open(id);
        }
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().allMatch(b ->
                b.hasPartition(EVENTS) && b.highWatermark(EVENTS) == count));
        Thread.sleep(3_000); // housekeeping looks every second: retention by the creation's 1 s would have run
        for (int id = 1; id <= 3; id++) {
            EmbeddedBroker broker = brokers.get(id - 1);
            assertThat(broker.topic(EVENTS.topic()).orElseThrow().overrides()).isEqualTo(altered);
            assertThat(broker.logStartOffset(EVENTS)).isZero();
            assertThat(java.nio.file.Files.getLastModifiedTime(settingsFile(id))).as("settings written at the restart")
                    .isEqualTo(written.get(id - 1));
        }
    }

    private Path settingsFile(int node) {
        return cluster.home(node).resolve("log").resolve("topic-configs").resolve(EVENTS.topic() + ".properties");
    }

    /**
     * A follower that is down while retention moves the start catches up from the others' Raft
     * logs when it returns: the leader keeps the segments that hold the entries Raft keeps for
     * it (here the last 2,000), however old.
     */
    @Test
    void aFollowerThatWasDownWhileRetentionRanCatchesUpFromTheSegmentsKeptForIt() throws Exception {
        startThree(2_000);
        int count = 1_000;
        int away = appendWithAFollowerAway(count);
        EmbeddedBroker leader = leader();
        Awaitility.await("the start moved on the others").atMost(Duration.ofSeconds(60))
                .until(() -> leader.logStartOffset(EVENTS) > 100);
        Thread.sleep(3_000); // housekeeping runs every second: it would have deleted the segments by now

        EmbeddedBroker back = cluster.open(away + 1);
        Awaitility.await("the follower caught up").atMost(Duration.ofSeconds(60))
                .until(() -> back.hasPartition(EVENTS) && back.highWatermark(EVENTS) == count);
        appendRecords(count, 100);
        long start = awaitRetention(count + 100, Integer.MAX_VALUE); // the segments of the entries kept stay
        assertThat(readFromStart(back, start, count + 100)).isEqualTo(readFromStart(leader(), start, count + 100));
    }

    /**
     * A follower that stays down does not hold the others' logs: once it is further behind than
     * the entries Raft keeps, the leader and the other follower purge past it and retention
     * deletes their old segments, as Kafka's do whatever a replica out of the ISR still lacks.
     * When it returns, it copies the records it lacks from the leader.
     */
    @Test
    void aFollowerDownForGoodDoesNotKeepTheOthersFromDeletingTheirOldSegments() throws Exception {
        startThree(64);
        int count = 1_000;
        int away = appendWithAFollowerAway(count);
        List<EmbeddedBroker> others = brokers.stream().filter(b -> b != brokers.get(away)).toList();
        Awaitility.await("the others moved their start and deleted their old segments").atMost(Duration.ofSeconds(60))
                .until(() -> others.stream().allMatch(b -> b.logStartOffset(EVENTS) > 100 && b.size(EVENTS).segments() <= 8));

        EmbeddedBroker back = cluster.open(away + 1);
        Awaitility.await("the follower copied what it lacked").atMost(Duration.ofSeconds(60))
                .until(() -> back.hasPartition(EVENTS) && back.highWatermark(EVENTS) == count);
        appendRecords(count, 10);
        long start = awaitRetention(count + 10);
        assertThat(readFromStart(back, start, count + 10)).isEqualTo(readFromStart(leader(), start, count + 10))
                .hasSize((int) (count + 10 - start));
    }

    /**
     * A follower that returns further behind than the entries Raft keeps (here 64) while records go
     * on being written is notified to copy what it lacks from the leader, which moves on meanwhile;
     * then it follows Raft, and holds what the others hold.
     */
    @Test
    void aFollowerThatReturnsWhileRecordsAreWrittenCopiesWhatItLacksAndConverges() throws Exception {
        startThree(64);
        int away = appendWithAFollowerAway(1_000);
        int count = 3_000;
        java.util.concurrent.CompletableFuture<Void> writer = java.util.concurrent.CompletableFuture.runAsync(() -> {
            try {
                appendRecords(1_000, count - 1_000);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        });
        EmbeddedBroker back = cluster.open(away + 1);
        writer.get(2, TimeUnit.MINUTES);
        long start = awaitRetention(count);
        assertThat(readFromStart(back, start, count)).isEqualTo(readFromStart(leader(), start, count))
                .hasSize((int) (count - start));
    }

    /**
     * A replica whose disk was replaced after retention deleted the partition's first records
     * everywhere starts its copy where the leader's log starts, with the producers' state as of
     * there (an idempotent producer's retry is then refused on it as on the others, not written),
     * and holds the same records at the same offsets as the others.
     */
    @Test
    void aReplicaWithAnEmptyDiskStartsItsCopyWhereRetentionLeftTheLeadersLog() throws Exception {
        int count = 1_000;
        long start = startThreeAndRetain(count);
        int replaced = replaceAFollowersDisk();

        EmbeddedBroker fresh = cluster.openReplacingLostStorage(replaced + 1);
        appendRecords(count, 10);
        awaitCaughtUp(fresh, count + 10);
        assertThat(leader().appendAtLeader(EVENTS, batch(count + 9)).get(30, TimeUnit.SECONDS))
                .as("a retry, answered with the offset it got the first time").isEqualTo(count + 9);
        // The early producer's state comes from the leader's producer snapshot alone: a gap in its
        // sequence is refused everywhere (a replica that did not know it would write the batch).
        assertThatThrownBy(() -> leader().appendAtLeader(EVENTS, MemoryRecords.withIdempotentRecords(Compression.NONE,
                EARLY_PRODUCER, (short) 0, 150, new SimpleRecord("gap".getBytes(StandardCharsets.UTF_8)))).get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(org.apache.kafka.common.errors.OutOfOrderSequenceException.class);
        appendRecords(count + 10, 10);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fresh.highWatermark(EVENTS) == count + 20);
        assertThat(fresh.logStartOffset(EVENTS)).isGreaterThanOrEqualTo(start);
        assertThat(fresh.size(EVENTS).segments()).isLessThanOrEqualTo(8);
        long freshStart = fresh.logStartOffset(EVENTS);
        assertThat(readFromStart(fresh, freshStart, count + 20)).isEqualTo(readFromStart(leader(), freshStart, count + 20))
                .hasSize((int) (count + 20 - freshStart));
    }

    /**
     * A replica whose disk was replaced and that returns before anything more is written catches
     * up all the same: its leader, which counted the old copy as caught up, hands leadership to
     * another member (Ratis' leader would go on sending it heartbeats from the old copy's end),
     * and the new leader has it copy the records.
     */
    @Test
    void aReplicaWithAnEmptyDiskCatchesUpThoughNothingMoreIsWritten() throws Exception {
        int count = 1_000;
        long start = startThreeAndRetain(count);
        int replaced = replaceAFollowersDisk();

        EmbeddedBroker fresh = cluster.openReplacingLostStorage(replaced + 1);
        awaitCaughtUp(fresh, count);
        long from = Math.max(start, fresh.logStartOffset(EVENTS));
        assertThat(readFromStart(fresh, from, count)).isEqualTo(readFromStart(leader(), from, count))
                .hasSize((int) (count - from));
    }

    /**
     * A node that stops in the middle of an install (here: its partition left marked, half its
     * segments gone, as a stop while the copy started afresh leaves it) starts that replica over,
     * empty, its Raft log and snapshots gone (its term and vote kept), and it converges with the others.
     */
    @Test
    void aReplicaWhoseInstallWasCutShortStartsOverAndConverges() throws Exception {
        int count = 1_000;
        long start = startThreeAndRetain(count);
        int cut = closeAFollower();
        Path partition = cluster.home(cut + 1).resolve("log").resolve(EVENTS.topic() + "-" + EVENTS.partition());
        List<Path> segments;
        try (var files = java.nio.file.Files.list(partition)) {
            segments = files.filter(f -> f.getFileName().toString().endsWith(".log")).sorted().toList();
        }
        for (Path segment : segments.subList(0, segments.size() / 2)) {
            java.nio.file.Files.delete(segment);
        }
        java.nio.file.Files.createFile(partition.resolve(PartitionStateMachine.INSTALLING));

        EmbeddedBroker back = cluster.open(cut + 1);
        appendRecords(count, 10);
        // The mark goes once the install finishes, a moment after its copy reached the high watermark.
        Awaitility.await("the replica started over, caught up and finished its install").atMost(Duration.ofSeconds(60))
                .until(() -> back.hasPartition(EVENTS) && back.highWatermark(EVENTS) == count + 10
                        && !java.nio.file.Files.exists(partition.resolve(PartitionStateMachine.INSTALLING)));
        long from = Math.max(start, back.logStartOffset(EVENTS));
        assertThat(readFromStart(back, from, count + 10)).isEqualTo(readFromStart(leader(), from, count + 10))
                .hasSize((int) (count + 10 - from));
    }

    /**
     * A replica whose copy from the leader fails once its log started afresh (here the leader's
     * first answer after that fails, as when no leader answers for 30 s) can neither put its log
     * back nor go on from it: it starts over, empty, while its node runs (a stopped replica waited
     * for the node's restart), copies everything from the leader again and holds what the others hold.
     */
    @Test
    void aReplicaWhoseCopyFailsAfterItsLogStartedAfreshStartsOverWithoutARestartAndConverges() throws Exception {
        int count = 1_000;
        long start = startThreeAndRetain(count);
        int replaced = replaceAFollowersDisk();
        java.util.concurrent.atomic.AtomicInteger asksAfterAFreshStart = new java.util.concurrent.atomic.AtomicInteger();
        org.apache.ratis.util.CodeInjectionForTesting.put(PartitionStateMachine.COPY_RECORDS, (partition, leader, args) -> {
            if (EVENTS.equals(partition) && Boolean.TRUE.equals(args[1]) && asksAfterAFreshStart.getAndIncrement() == 0) {
                throw new IllegalStateException("test: the leader did not answer");
            }
            return false;
        });

        EmbeddedBroker fresh = cluster.openReplacingLostStorage(replaced + 1);
        appendRecords(count, 10);
        Awaitility.await("the replica started over and caught up").atMost(Duration.ofSeconds(60))
                .until(() -> fresh.hasPartition(EVENTS) && fresh.highWatermark(EVENTS) == count + 10);
        assertThat(asksAfterAFreshStart).as("asks of the leader after the log started afresh").hasValueGreaterThan(1);
        Path partition = cluster.home(replaced + 1).resolve("log").resolve(EVENTS.topic() + "-" + EVENTS.partition());
        assertThat(partition.resolve(PartitionStateMachine.INSTALLING)).doesNotExist();
        appendRecords(count + 10, 10);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> fresh.highWatermark(EVENTS) == count + 20);
        long from = Math.max(start, fresh.logStartOffset(EVENTS));
        assertThat(readFromStart(fresh, from, count + 20)).isEqualTo(readFromStart(leader(), from, count + 20))
                .hasSize((int) (count + 20 - from));
    }

    /**
     * A topic deleted while a replica copies the leader's records (its disk replaced): the copy
     * stops at its next batch, and only then are the replica's files closed and deleted, never
     * under a copy still writing them; no descriptor stays open on them, and the node takes the
     * topic again when it is created anew.
     */
    @Test
    void aTopicDeletedWhileAReplicaCopiesFromTheLeaderGoesOnlyOnceTheCopyLetGoAndLeavesNothingOpen() throws Exception {
        int count = 1_000;
        startThreeAndRetain(count);
        int replaced = replaceAFollowersDisk();
        java.util.concurrent.CountDownLatch copying = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.CountDownLatch deleted = new java.util.concurrent.CountDownLatch(1);
        org.apache.ratis.util.CodeInjectionForTesting.put(PartitionStateMachine.COPY_RECORDS, (partition, leader, args) -> {
            if (EVENTS.equals(partition) && copying.getCount() > 0) {
                copying.countDown();
                try {
                    deleted.await(60, TimeUnit.SECONDS); // the copy paused between two batches
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return false;
        });
        EmbeddedBroker fresh = cluster.openReplacingLostStorage(replaced + 1);
        assertThat(copying.await(60, TimeUnit.SECONDS)).as("the copy began").isTrue();

        leader().deleteTopic(EVENTS.topic());
        Path partition = cluster.home(replaced + 1).resolve("log").resolve(EVENTS.topic() + "-" + EVENTS.partition());
        Thread.sleep(2_000); // the deletion reaches the paused replica's node meanwhile
        assertThat(partition).as("its files, while its copy still holds them").exists();
        deleted.countDown();
        Awaitility.await("the replica's files went once its copy stopped").atMost(Duration.ofSeconds(30))
                .until(() -> !java.nio.file.Files.exists(partition) && !fresh.hasPartition(EVENTS));
        assertThat(openFilesOf(EVENTS.topic())).as("descriptors open on the deleted topic's files").isEmpty();

        brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of("segment.bytes", "4096"));
        appendRecords(0, 10);
        Awaitility.await("the node holds the new topic").atMost(Duration.ofSeconds(60))
                .until(() -> fresh.hasPartition(EVENTS) && fresh.highWatermark(EVENTS) == 10);
    }

    /** The files this JVM holds open whose path names a partition of {@code topic}. */
    private static List<String> openFilesOf(String topic) throws java.io.IOException {
        List<String> open = new ArrayList<>();
        try (var fds = java.nio.file.Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String target = java.nio.file.Files.readSymbolicLink(fd).toString();
                    if (target.contains("/" + topic + "-")) {
                        open.add(target);
                    }
                } catch (java.io.IOException gone) {
                    // closed meanwhile
                }
            }
        }
        return open;
    }

    /**
     * In a compacted topic every replica keeps the latest record of each key and drops the rest
     * once Raft no longer needs their segments; a replica with an empty disk copies the compacted
     * log, gaps and all, and holds the same latest records; a node restarts on its compacted copy.
     */
    @Test
    void everyReplicaOfACompactedTopicKeepsTheLatestRecordOfEachKeyAcrossACopyAndARestart() throws Exception {
        startThree();
        TopicPartition state = new TopicPartition("state", 0);
        brokers.get(0).createTopic(state.topic(), 1, Map.of("segment.bytes", "4096", "cleanup.policy", "compact"));
        int count = 1_000;
        java.util.Map<String, String> latest = appendKeyed(state, 0, count);

        Awaitility.await("every replica compacted its old segments").atMost(Duration.ofSeconds(60))
                .until(() -> brokers.stream().allMatch(b -> b.highWatermark(state) == count && records(b, state).size() < 300));
        for (EmbeddedBroker broker : brokers) {
            assertThat(latestByKey(broker, state)).isEqualTo(latest);
            assertThat(broker.size(state).bytes()).isLessThan(40_000);
        }

        int replaced = brokers.indexOf(brokers.stream().filter(b -> !b.leads(state)).findFirst().orElseThrow());
        brokers.get(replaced).close();
        dev.oms.streaming.storage.Directories.delete(cluster.home(replaced + 1));
        EmbeddedBroker fresh = cluster.openReplacingLostStorage(replaced + 1);
        latest.putAll(appendKeyed(state, count, 10));
        Awaitility.await("the new replica caught up").atMost(Duration.ofSeconds(60))
                .until(() -> fresh.hasPartition(state) && fresh.highWatermark(state) == count + 10);
        assertThat(latestByKey(fresh, state)).isEqualTo(latest).isEqualTo(latestByKey(cluster.leaderOf(state), state));
        assertThat(records(fresh, state)).hasSizeLessThan(300);

        EmbeddedBroker oldLeader = cluster.leaderOf(state);
        int restarted = brokers.indexOf(oldLeader);
        oldLeader.close();
        EmbeddedBroker back = cluster.open(restarted + 1);
        Awaitility.await("the restarted node serves its compacted copy").atMost(Duration.ofSeconds(60))
                .until(() -> back.hasPartition(state) && back.highWatermark(state) == count + 10);
        assertThat(latestByKey(back, state)).isEqualTo(latest);
    }

    /**
     * Records {@code from} to {@code from + count} of {@code tp}, each keyed by its number modulo 10,
     * fifty in flight at a time; the latest value of each key (the one at the highest offset).
     */
    private java.util.Map<String, String> appendKeyed(TopicPartition tp, int from, int count) throws Exception {
        java.util.Map<String, String> latest = new java.util.HashMap<>();
        java.util.Map<String, Long> latestOffset = new java.util.HashMap<>();
        for (int chunk = from; chunk < from + count; chunk += 50) {
            EmbeddedBroker leader = cluster.leaderOf(tp);
            java.util.Map<Integer, java.util.concurrent.CompletableFuture<Long>> sent = new java.util.TreeMap<>();
            for (int i = chunk; i < Math.min(from + count, chunk + 50); i++) {
                sent.put(i, leader.appendAtLeader(tp, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(
                        System.currentTimeMillis(), key(i).getBytes(StandardCharsets.UTF_8), value(i).getBytes(StandardCharsets.UTF_8)))));
            }
            for (var record : sent.entrySet()) {
                long offset = record.getValue().get(30, TimeUnit.SECONDS);
                if (offset > latestOffset.getOrDefault(key(record.getKey()), -1L)) {
                    latestOffset.put(key(record.getKey()), offset);
                    latest.put(key(record.getKey()), value(record.getKey()));
                }
            }
        }
        return latest;
    }

    private static String key(int i) {
        return "key-" + (i % 10);
    }

    private static String value(int i) {
        return "value-" + i + "-" + "x".repeat(60);
    }

    /** Every record of {@code tp} as {@code broker} reads it from its start to its high watermark: key and value. */
    static List<java.util.Map.Entry<String, String>> records(EmbeddedBroker broker, TopicPartition tp) {
        List<java.util.Map.Entry<String, String>> records = new ArrayList<>();
        long end = broker.highWatermark(tp);
        for (long offset = broker.logStartOffset(tp); offset < end; ) {
            long next = offset;
            for (var batch : broker.read(tp, offset, 1 << 20).batches()) {
                for (var record : batch) {
                    if (record.offset() >= offset) {
                        records.add(java.util.Map.entry(StandardCharsets.UTF_8.decode(record.key()).toString(),
                                StandardCharsets.UTF_8.decode(record.value()).toString()));
                    }
                }
                next = batch.nextOffset();
            }
            if (next == offset) {
                break; // nothing more to read: compaction emptied the end of the log
            }
            offset = next;
        }
        return records;
    }

    private static java.util.Map<String, String> latestByKey(EmbeddedBroker broker, TopicPartition tp) {
        java.util.Map<String, String> latest = new java.util.HashMap<>();
        records(broker, tp).forEach(record -> latest.put(record.getKey(), record.getValue()));
        return latest;
    }

    /** {@link #startThree}, then {@code count} records, until retention has moved the start; the start. */
    private long startThreeAndRetain(int count) throws Exception {
        startThree();
        appendRecords(0, count);
        return awaitRetention(count);
    }

    /**
     * Records 0 to 99 on every replica, then a follower closed and the rest up to {@code count}
     * written without it; the follower's index in {@link #brokers}.
     */
    private int appendWithAFollowerAway(int count) throws Exception {
        appendRecords(0, 100);
        Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> brokers.stream().allMatch(b -> b.highWatermark(EVENTS) == 100));
        int away = closeAFollower();
        appendRecords(100, count - 100);
        return away;
    }

    private static void awaitCaughtUp(EmbeddedBroker replica, long count) {
        Awaitility.await("the new replica caught up").atMost(Duration.ofSeconds(60))
                .until(() -> replica.hasPartition(EVENTS) && replica.highWatermark(EVENTS) == count);
    }

    /** Closes a broker that follows the partition and deletes its data, as a disk replaced; its index in {@link #brokers}. */
    private int replaceAFollowersDisk() throws java.io.IOException {
        int replaced = closeAFollower();
        dev.oms.streaming.storage.Directories.delete(cluster.home(replaced + 1));
        return replaced;
    }

    /** Closes a broker that follows the partition; its index in {@link #brokers}. */
    private int closeAFollower() {
        int follower = brokers.indexOf(brokers.stream().filter(b -> !b.leads(EVENTS)).findFirst().orElseThrow());
        brokers.get(follower).close();
        return follower;
    }

    /** Three brokers of a cluster, registered, with the topic: Raft snapshots every 64 entries and purges behind them. */
    private void startThree() throws Exception {
        startThree(64);
    }

    /** As {@link #startThree()}, Raft keeping the last {@code kept} entries behind each purge. */
    private void startThree(int kept) throws Exception {
        raftSettings = RaftNodeTest.setPurgeSoon(kept);
        cluster = new InProcessCluster(dir);
        brokers = cluster.brokers;
        cluster.openThreeRegistered();
        brokers.get(0).createTopic(EVENTS.topic(), 1, Map.of("segment.bytes", "4096", "retention.bytes", "16384"));
    }

    /** Writes records 0 to 99, which retention deletes, and nothing later. */
    private static final long EARLY_PRODUCER = 4242;
    /** Writes the records from 100 on. */
    private static final long PRODUCER = 4343;

    /** Record {@code i}, about 100 bytes, from an idempotent producer ({@link #EARLY_PRODUCER} or {@link #PRODUCER}). */
    private static MemoryRecords batch(int i) {
        byte[] value = ("record-" + i + "-" + "x".repeat(40)).getBytes(StandardCharsets.UTF_8);
        return i < 100 ? MemoryRecords.withIdempotentRecords(Compression.NONE, EARLY_PRODUCER, (short) 0, i, new SimpleRecord(value))
                : MemoryRecords.withIdempotentRecords(Compression.NONE, PRODUCER, (short) 0, i - 100, new SimpleRecord(value));
    }

    /** Records {@code from} to {@code from + count} ({@link #batch}), fifty in flight at a time. */
    private void appendRecords(int from, int count) throws Exception {
        for (int chunk = from; chunk < from + count; chunk += 50) {
            EmbeddedBroker leader = leader();
            List<java.util.concurrent.CompletableFuture<Long>> sent = new ArrayList<>();
            for (int i = chunk; i < Math.min(from + count, chunk + 50); i++) {
                sent.add(leader.appendAtLeader(EVENTS, batch(i)));
            }
            for (var offset : sent) {
                offset.get(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * Waits until every replica has all {@code count} records, the same start past 0 (for three
     * seconds: retention moves it a step a second) and its old segments gone; the start.
     */
    private long awaitRetention(int count) {
        return awaitRetention(count, 8);
    }

    /** As {@link #awaitRetention(int)}, with at most {@code segments} segments left on each replica. */
    private long awaitRetention(int count, int segments) {
        Awaitility.await("every replica's start moved alike and its old segments went").atMost(Duration.ofSeconds(60))
                .during(Duration.ofSeconds(3))
                .until(() -> brokers.stream().allMatch(b -> b.highWatermark(EVENTS) == count && b.size(EVENTS).segments() <= segments
                        && b.logStartOffset(EVENTS) > 0 && b.logStartOffset(EVENTS) == brokers.get(0).logStartOffset(EVENTS)));
        return brokers.get(0).logStartOffset(EVENTS);
    }

    /** The values of the records from {@code start} to {@code end}, as {@code broker} reads them. */
    private static List<String> readFromStart(EmbeddedBroker broker, long start, long end) {
        List<String> values = new ArrayList<>();
        for (long offset = start; offset < end; ) {
            for (var batch : broker.read(EVENTS, offset, 1 << 20).batches()) {
                for (var record : batch) {
                    if (record.offset() >= offset) {
                        values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
                    }
                }
                offset = batch.nextOffset();
            }
        }
        return values;
    }

    private EmbeddedBroker leader() {
        return cluster.leaderOf(EVENTS);
    }
}
