package dev.oms.streaming.storage;

import static dev.oms.streaming.storage.PartitionLogTestSupport.values;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Segment rolling, retention, time lookups and recovery across several segment files. */
class SegmentsTest {
    private static final TopicPartition TP = new TopicPartition("events", 0);
    private static final long NOW = 1_767_225_600_000L;
    private static final String PAYLOAD = "p".repeat(200);

    @TempDir
    Path dir;

    private static TopicConfig small() {
        return new TopicConfig(2048, 3_600_000, -1, -1, true);
    }

    @Test
    void activeSegmentRollsBySizeAndReadsSpanEverySegment() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendMany(log, 60, NOW);
            log.flush();
            assertThat(log.segmentCount()).isGreaterThan(5);
            for (long offset = 0; offset < 60; offset++) {
                assertThat(values(log.read(offset, 1)).getFirst()).isEqualTo(offset + ":" + PAYLOAD + offset);
            }
            assertThat(values(log.read(0, Integer.MAX_VALUE)).size()).as("one read stops at a segment's end").isLessThan(60);
        }
        assertThat(segmentFiles()).first().isEqualTo("00000000000000000000.log");
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logEndOffset()).isEqualTo(60);
            assertThat(log.append(batch("after", NOW))).isEqualTo(60);
        }
    }

    @Test
    void closedSegmentsGiveBackTheirPreallocatedSpace() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, new TopicConfig(1 << 20, 3_600_000, -1, -1, true))) {
            log.append(batch("a", NOW));
            log.flush();
            assertThat(Files.size(segmentDir().resolve("00000000000000000000.log"))).as("preallocated").isEqualTo(1 << 20);
        }
        assertThat(Files.size(segmentDir().resolve("00000000000000000000.log"))).as("trimmed on close").isLessThan(200);
    }

    @Test
    void preallocatedSegmentLeftByACrashRecoversToItsLastBatch() throws IOException {
        PartitionLog crashed = PartitionLog.open(dir, TP, new TopicConfig(1 << 20, 3_600_000, -1, -1, true));
        crashed.append(batch("a", NOW));
        crashed.append(batch("b", NOW));
        crashed.flush(); // never closed: the file keeps its zero-filled preallocated tail
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b");
        }
    }

    @Test
    void activeSegmentRollsByAge() throws IOException {
        TopicConfig hourly = new TopicConfig(1 << 20, 3_600_000, -1, -1, false);
        try (PartitionLog log = PartitionLog.open(dir, TP, hourly)) {
            log.append(batch("a", NOW), NOW);
            log.flush();
            log.maintain(NOW + 1000);
            assertThat(log.segmentCount()).isEqualTo(1);
            log.maintain(System.currentTimeMillis() + 3_600_001);
            assertThat(log.segmentCount()).isEqualTo(2);
            assertThat(log.append(batch("b", NOW))).isEqualTo(1);
        }
    }

    @Test
    void retentionBySizeDeletesTheOldestClosedSegmentsAndMovesTheLogStart() throws IOException {
        TopicConfig capped = new TopicConfig(2048, 3_600_000, -1, 5000, false);
        try (PartitionLog log = PartitionLog.open(dir, TP, capped)) {
            appendMany(log, 60, NOW);
            log.flush();
            long now = System.currentTimeMillis();
            log.maintain(now);
            assertThat(log.sizeInBytes()).isLessThan(5000 + 2048);
            long start = log.logStartOffset();
            assertThat(start).isPositive();
            assertThat(values(log.read(start, 1)).getFirst()).startsWith(start + ":");
            assertThat(segmentFiles()).anyMatch(name -> name.endsWith(".deleted"));

            log.maintain(now + 61_000); // the file delete delay has passed
            assertThat(segmentFiles()).noneMatch(name -> name.endsWith(".deleted"));
            assertThat(log.logEndOffset()).isEqualTo(60);
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, capped)) {
            assertThat(log.logStartOffset()).as("the start survives a restart").isPositive();
        }
    }

    @Test
    void anIdempotentProducersStateOutlivesTheRetentionOfItsBatchesAcrossARestart() throws IOException {
        TopicConfig capped = new TopicConfig(2048, 3_600_000, -1, 3000, false);
        long gone = 7;
        long kept = 8;
        try (PartitionLog log = PartitionLog.open(dir, TP, capped)) {
            log.append(idempotent(gone, 0));
            log.append(idempotent(gone, 1));
            appendMany(log, 40, NOW);
            log.append(idempotent(kept, 0));
            log.flush();
            log.maintain(System.currentTimeMillis());
            assertThat(log.logStartOffset()).as("retention took every batch of producer 7").isGreaterThan(2);
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, capped)) {
            long end = log.logEndOffset();
            // As in Kafka: the producer snapshot at the first segment left carries producer 7.
            assertThat(log.append(idempotent(gone, 1))).as("its last batch sent again: known, not written").isEqualTo(1);
            assertThatThrownBy(() -> log.append(idempotent(gone, 5))).isInstanceOf(OutOfOrderSequenceException.class);
            assertThat(log.append(idempotent(kept, 0))).as("a retry of a batch still in the log").isEqualTo(end - 1);
            assertThat(log.append(idempotent(gone, 2))).as("producer 7 goes on").isEqualTo(end);
        }
    }

    @Test
    void aProducerSnapshotCutShortIsSetAsideAndOneOfNoSegmentDeletedAndTheStateRebuiltFromTheSegments() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendMany(log, 30, NOW);
            log.append(idempotent(7, 0));
            log.append(idempotent(7, 1));
            appendMany(log, 30, NOW);
            log.flush();
        }
        List<String> snapshots = snapshotFiles();
        assertThat(snapshots).as("one per segment after the first").hasSize(segmentFiles().size() - 1);
        Path newest = segmentDir().resolve(snapshots.getLast());
        long whole = Files.size(newest);
        try (RandomAccessFile file = new RandomAccessFile(newest.toFile(), "rw")) {
            file.setLength(whole / 2);
        }
        // A snapshot of no segment: left by a retention a crash cut short.
        Path stray = segmentDir().resolve("00000000000000000005.snapshot");
        Files.copy(segmentDir().resolve(snapshots.getFirst()), stray);
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.append(idempotent(7, 1))).as("still recognised: a retry").isEqualTo(31);
            assertThatThrownBy(() -> log.append(idempotent(7, 3))).isInstanceOf(OutOfOrderSequenceException.class);
        }
        assertThat(Files.size(newest)).as("the unreadable snapshot was written again, whole, as the state was rebuilt")
                .isEqualTo(whole);
        assertThat(Files.size(newest.resolveSibling(newest.getFileName() + ".corrupt"))).as("the bad one kept aside")
                .isEqualTo(whole / 2);
        assertThat(stray).as("the snapshot of no segment is gone").doesNotExist();
    }

    @Test
    void truncatingBelowASegmentDropsItsProducerSnapshotAndTheProducersForgetTheCutBatches() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            log.append(idempotent(7, 0));
            log.flush();
            PartitionLog.End afterFirst = log.end();
            appendMany(log, 30, NOW);
            log.append(idempotent(7, 1));
            appendMany(log, 30, NOW);
            assertThat(snapshotFiles()).isNotEmpty();
            log.truncateTo(afterFirst);
            assertThat(snapshotFiles()).isEmpty();
            assertThat(log.append(idempotent(7, 1))).as("appended again, not taken for a retry of the cut batch").isEqualTo(1);
            log.flush();
        }
    }

    /** A one-record batch of an idempotent producer (epoch 0) at {@code sequence}. */
    private static MemoryRecords idempotent(long producerId, int sequence) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, sequence,
                new SimpleRecord(NOW, (producerId + "/" + sequence + PAYLOAD).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void retentionByTimeKeepsOnlySegmentsWithRecentRecords() throws IOException {
        TopicConfig day = new TopicConfig(2048, 3_600_000, 24 * 3_600_000L, -1, false);
        long now = System.currentTimeMillis();
        try (PartitionLog log = PartitionLog.open(dir, TP, day)) {
            appendMany(log, 30, now - 3 * 24 * 3_600_000L); // three days old
            appendMany(log, 30, now);
            log.flush();
            log.maintain(now);
            assertThat(log.logStartOffset()).isBetween(20L, 30L);
            assertThat(values(log.read(30, 1)).getFirst()).startsWith("30:");
        }
    }

    @Test
    void offsetForTimestampSearchesAcrossSegments() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendOneASecond(log, 60);
            assertThat(log.offsetForTimestamp(NOW + 41_500).orElseThrow().offset).isEqualTo(42);
            assertThat(log.offsetForTimestamp(NOW).orElseThrow().offset).isZero();
            assertThat(log.offsetForTimestamp(NOW + 60_000)).isEmpty();
        }
    }

    /** {@code count} records, one a second from NOW, made durable. */
    private static void appendOneASecond(PartitionLog log, int count) throws IOException {
        for (int i = 0; i < count; i++) {
            log.append(batch(PAYLOAD + i, NOW + i * 1000L));
        }
        log.flush();
    }

    /** A replicated partition keeps the segments of deleted records: a search by time must not land on them. */
    @Test
    void offsetForTimestampNeverAnswersBelowTheLogStart() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendOneASecond(log, 60);
            log.startAt(41);
            assertThat(log.offsetForTimestamp(NOW).orElseThrow().offset).isEqualTo(41);
            assertThat(log.offsetForTimestamp(NOW + 45_500).orElseThrow().offset).isEqualTo(46);
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logStartOffset()).as("after a reopen").isEqualTo(41);
        }
    }

    @Test
    void tornTailInTheLastSegmentIsCutAndEarlierSegmentsStay() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendMany(log, 40, NOW);
            log.flush();
        }
        List<String> files = segmentFiles();
        Path last = segmentDir().resolve(files.getLast());
        try (RandomAccessFile file = new RandomAccessFile(last.toFile(), "rw")) {
            file.setLength(file.length() - 5);
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logEndOffset()).isEqualTo(39);
            assertThat(values(log.read(38, 1))).containsExactly("38:" + PAYLOAD + 38);
            assertThat(log.segmentCount()).isEqualTo(files.size());
        }
    }

    /**
     * The last clean point is the last segment's start (a roll syncs the segment it closes): the
     * last segment's CRCs are checked at open, the closed ones' are left to the readers, as
     * Kafka leaves them below its recovery point.
     */
    @Test
    void onlyTheLastSegmentsCrcsAreCheckedAtOpenAndABadBatchThereEndsTheLog() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendMany(log, 40, NOW);
            log.flush();
        }
        List<String> files = segmentFiles();
        Path first = segmentDir().resolve(files.getFirst());
        Path last = segmentDir().resolve(files.getLast());
        damageLastRecord(first);
        damageLastRecord(last);
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logEndOffset()).as("cut at the last segment's bad batch").isEqualTo(39);
            assertThat(log.segmentCount()).isEqualTo(files.size());
            var batches = log.read(0, 1 << 20).batches();
            assertThat(batches).as("the closed segment's bad batch is served as stored, for its reader to refuse")
                    .anySatisfy(batch -> assertThat(batch.isValid()).isFalse());
        }
    }

    /** A segment that ends the log because the one after it went is checked as the last one is. */
    @Test
    void aSegmentLeftLastByADeletedSuccessorHasItsCrcsChecked() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            appendMany(log, 40, NOW);
            log.flush();
        }
        List<String> files = segmentFiles();
        Path secondLast = segmentDir().resolve(files.get(files.size() - 2));
        Path last = segmentDir().resolve(files.getLast());
        long lastBase = Long.parseLong(files.getLast().substring(0, 20));
        damageLastRecord(secondLast);
        // The last segment, renamed to a base past the log's end, does not follow: recovery deletes it.
        Files.move(last, last.resolveSibling(String.format("%020d.log", lastBase + 1000)));
        try (PartitionLog log = PartitionLog.open(dir, TP, small())) {
            assertThat(log.logEndOffset()).as("cut at the bad batch of the segment now last").isEqualTo(lastBase - 1);
            assertThat(log.segmentCount()).isEqualTo(files.size() - 1);
            assertThat(log.append(batch("after", NOW))).isEqualTo(lastBase - 1);
        }
    }

    @Test
    void compactionKeepsTheLatestRecordOfEachKeyAtItsOriginalOffset() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        long now = System.currentTimeMillis();
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            for (int round = 0; round < 10; round++) {
                for (int key = 0; key < 5; key++) {
                    log.append(keyed("key-" + key, PAYLOAD + round, now), now);
                }
            }
            log.append(keyed("key-3", null, now - 10), now); // a tombstone, past delete.retention.ms = 0
            for (int key = 0; key < 20; key++) {
                log.append(keyed("other-" + key, "filler " + PAYLOAD, now), now); // closes the segments above
            }
            log.flush();
            long sizeBefore = log.sizeInBytes();
            log.maintain(now);

            assertThat(log.sizeInBytes()).isLessThan(sizeBefore / 2);
            java.util.Map<String, String> latest = new java.util.TreeMap<>();
            java.util.List<Long> offsets = new java.util.ArrayList<>();
            for (long offset = 0; offset < log.logEndOffset(); ) {
                var records = log.read(offset, 1 << 20);
                long next = offset;
                for (var batch : records.batches()) {
                    for (var record : batch) {
                        if (record.offset() < offset) {
                            continue;
                        }
                        offsets.add(record.offset());
                        latest.put(StandardCharsets.UTF_8.decode(record.key()).toString(),
                                record.hasValue() ? StandardCharsets.UTF_8.decode(record.value()).toString() : null);
                        next = record.offset() + 1;
                    }
                }
                if (next == offset) {
                    break;
                }
                offset = next;
            }
            assertThat(offsets).isSorted().doesNotHaveDuplicates();
            assertThat(latest.get("key-0")).isEqualTo(PAYLOAD + 9);
            assertThat(latest).containsKey("key-4").doesNotContainKey("key-3");
            assertThat(offsets).contains(45L + 4).doesNotContain(0L);
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            assertThat(log.logEndOffset()).as("offsets survive compaction and a restart").isEqualTo(71);
            assertThat(values(log.read(49, 1)).getFirst()).isEqualTo("49:" + PAYLOAD + 9);
        }
    }

    /**
     * Compaction keeps each producer's last batch, emptied when its records were superseded, with
     * its offsets and sequences (Kafka's cleaner does the same): a log rebuilt from its segments
     * alone (no producer snapshot, or a replica that copied them) still knows where the producer is.
     */
    @Test
    void compactionKeepsAnIdempotentProducersLastSequenceForALogRebuiltFromItsSegments() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        long now = System.currentTimeMillis();
        long producer = 7;
        long end;
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            for (int sequence = 0; sequence < 5; sequence++) {
                log.append(idempotentKeyed(producer, sequence), now); // offsets 0 to 4
            }
            for (int i = 0; i < 30; i++) {
                log.append(keyed("k", "filler " + i + PAYLOAD, now), now); // supersedes them; closes their segment
            }
            log.flush();
            log.maintain(now);
            assertThat(values(log.read(0, 1 << 20))).as("the producer's records went").noneMatch(v -> v.contains(producer + "/"));
            end = log.logEndOffset();
        }
        for (String snapshot : snapshotFiles()) {
            Files.delete(segmentDir().resolve(snapshot));
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            assertThat(log.append(idempotentKeyed(producer, 4))).as("its last batch sent again: known, not written").isEqualTo(4);
            assertThatThrownBy(() -> log.append(idempotentKeyed(producer, 6))).isInstanceOf(OutOfOrderSequenceException.class);
            assertThat(log.append(idempotentKeyed(producer, 5))).as("producer 7 goes on").isEqualTo(end);
        }
    }

    /**
     * Of the producers whose batches compaction empties, it keeps the last batch of those the log
     * still remembers (the most recent {@link ProducerStateManager#MAX_PRODUCERS}) and no more: a
     * topic written by many short-lived producers does not keep an empty batch for each for ever.
     */
    @Test
    void compactionKeepsTheEmptiedBatchesOfTheProducersTheLogRemembersOnly() throws IOException {
        TopicConfig compacted = new TopicConfig(256 * 1024, 3_600_000, -1, -1, false, "compact", 0);
        long now = System.currentTimeMillis();
        int producers = ProducerStateManager.MAX_PRODUCERS + 50;
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            for (int producer = 0; producer < producers; producer++) {
                log.append(MemoryRecords.withIdempotentRecords(Compression.NONE, producer, (short) 0, 0,
                        new SimpleRecord(now, "k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8))), now);
            }
            int segments = log.segmentCount();
            for (int i = 0; log.segmentCount() == segments || i < 10; i++) {
                log.append(keyed("k", "filler " + i + PAYLOAD, now), now); // supersedes them; closes their segments
            }
            log.flush();
            log.maintain(now);

            int producerBatches = 0;
            for (long offset = 0; offset < log.logEndOffset(); ) {
                long next = offset;
                for (var batch : log.read(offset, 1 << 20).batches()) {
                    producerBatches += batch.hasProducerId() ? 1 : 0;
                    assertThat(batch.hasProducerId() ? batch.countOrNull() : Integer.valueOf(0)).isZero();
                    next = batch.nextOffset();
                }
                if (next == offset) {
                    break;
                }
                offset = next;
            }
            assertThat(producerBatches).isEqualTo(ProducerStateManager.MAX_PRODUCERS);
        }
    }

    private static MemoryRecords idempotentKeyed(long producerId, int sequence) {
        return MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, (short) 0, sequence, new SimpleRecord(NOW,
                "k".getBytes(StandardCharsets.UTF_8), (producerId + "/" + sequence + PAYLOAD).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void compactedTopicRefusesRecordsWithoutAKey() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> log.append(keyed(null, "v", NOW)))
                    .isInstanceOf(org.apache.kafka.common.InvalidRecordException.class).hasMessageContaining("key");
        }
    }

    @Test
    void compactionInterruptedAfterItsSwapFileIsFinishedOnRecovery() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            log.append(keyed("k", "old", NOW));
            log.append(keyed("k", "new", NOW));
            log.flush();
        }
        // As if the process died after writing the compacted file and renaming it to .swap.
        Path segment = segmentDir().resolve("00000000000000000000.log");
        Files.write(segment.resolveSibling(segment.getFileName() + ".swap"), Files.readAllBytes(segment));
        Files.write(segment.resolveSibling(segment.getFileName() + ".cleaned"), new byte[] {1, 2, 3});
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(segmentFiles()).containsExactly("00000000000000000000.log");
        }
    }

    /**
     * A compacted replica whose leader's compaction removed every batch up to an offset takes the
     * offsets to there with an empty batch (as compaction leaves): its next batch gets the offset
     * it has on the leader, after a restart too. A log that is not compacted has no gaps to take.
     */
    @Test
    void aCompactedReplicaSkipsToAnOffsetWithAnEmptyBatchThatARestartKeeps() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        long now = System.currentTimeMillis();
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            log.append(keyed("k", "a", now), now);
            log.skipTo(40, now);
            assertThat(log.logEndOffset()).isEqualTo(40);
            log.flush();
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            assertThat(log.logEndOffset()).as("after a restart").isEqualTo(40);
            assertThat(log.append(keyed("k", "b", now), now)).isEqualTo(40);
            log.flush();
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "40:b");
        }
        try (PartitionLog plain = PartitionLog.open(dir.resolve("plain"), TP)) {
            plain.append(keyed("k", "a", now), now);
            assertThatThrownBy(() -> plain.skipTo(40, now)).isInstanceOf(InvalidBatchException.class);
            assertThat(plain.logEndOffset()).isEqualTo(1);
        }
    }

    /**
     * A topic compacted, then altered to cleanup.policy=delete (AlterConfigs), keeps the gaps its
     * compaction left: read as a log never compacted, its recovery took the first gap for a cut
     * and deleted everything after it.
     */
    @Test
    void aLogAlteredFromCompactToDeleteKeepsEveryRecordCompactionLeftAcrossARestart() throws IOException {
        TopicConfig compacted = new TopicConfig(2048, 3_600_000, -1, -1, false, "compact", 0);
        TopicConfig deleted = new TopicConfig(2048, 3_600_000, -1, -1, false, "delete", 0);
        long now = System.currentTimeMillis();
        List<String> kept;
        try (PartitionLog log = PartitionLog.open(dir, TP, compacted)) {
            for (int round = 0; round < 10; round++) {
                for (int key = 0; key < 5; key++) {
                    log.append(keyed("key-" + key, PAYLOAD + round, now), now);
                }
            }
            for (int key = 0; key < 20; key++) {
                log.append(keyed("other-" + key, "filler " + PAYLOAD, now), now);
            }
            log.flush();
            log.maintain(now);
            kept = allValues(log);
            assertThat(kept).as("compaction left gaps").doesNotContain("0:" + PAYLOAD + 0);
            log.configure(deleted);
            log.append(keyed("after", "the change", now), now);
            log.flush();
        }
        try (PartitionLog log = PartitionLog.open(dir, TP, deleted)) {
            assertThat(log.logEndOffset()).isEqualTo(71);
            assertThat(allValues(log)).startsWith(kept.toArray(String[]::new)).endsWith("70:the change");
        }
    }

    /** Every record's offset and value, segment after segment. */
    private static List<String> allValues(PartitionLog log) {
        List<String> all = new java.util.ArrayList<>();
        long offset = 0;
        while (offset < log.logEndOffset()) {
            List<String> read = values(log.read(offset, 1 << 20));
            if (read.isEmpty()) {
                break;
            }
            all.addAll(read);
            offset = Long.parseLong(read.getLast().substring(0, read.getLast().indexOf(':'))) + 1;
        }
        return all;
    }

    /** Changes a byte inside the value of the segment's last record, as bit rot would: its CRC no longer matches. */
    private static void damageLastRecord(Path segment) throws IOException {
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(file.length() - 2);
            file.write('X');
        }
    }

    private static MemoryRecords keyed(String key, String value, long timestamp) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(timestamp,
                key == null ? null : key.getBytes(StandardCharsets.UTF_8),
                value == null ? null : value.getBytes(StandardCharsets.UTF_8)));
    }

    private static void appendMany(PartitionLog log, int count, long timestamp) throws IOException {
        long base = log.logEndOffset();
        for (int i = 0; i < count; i++) {
            log.append(batch(PAYLOAD + (base + i), timestamp), System.currentTimeMillis());
        }
    }

    private static MemoryRecords batch(String value, long timestamp) {
        return MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(timestamp, "k".getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)));
    }

    private Path segmentDir() {
        return dir.resolve("events-0");
    }

    private List<String> segmentFiles() throws IOException {
        return files(".log");
    }

    /** The producer snapshots, oldest first. */
    private List<String> snapshotFiles() throws IOException {
        return files(".snapshot");
    }

    private List<String> files(String containing) throws IOException {
        try (Stream<Path> files = Files.list(segmentDir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.contains(containing)).sorted().toList();
        }
    }
}
