package dev.oms.streaming.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartitionLogTest {
    private static MemoryRecords batch(String... values) {
        return PartitionLogTestSupport.batch(values);
    }

    private static List<String> values(Records records) {
        return PartitionLogTestSupport.values(records);
    }

    private static final TopicPartition TP = new TopicPartition("orders", 3);

    @TempDir
    Path dir;

    @Test
    void appendedBatchesAreReadBackWithAssignedOffsets() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThat(log.append(batch("a", "b"))).isZero();
            assertThat(log.append(batch("c"))).isEqualTo(2);
            log.flush();

            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:c");
            assertThat(values(log.read(2, 1 << 20))).containsExactly("2:c");
            assertThat(log.highWatermark()).isEqualTo(3);
        }
        assertThat(dir.resolve("orders-3").resolve("00000000000000000000.log")).exists();
    }

    @Test
    void recordsStayInvisibleToReadersUntilFlushed() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            log.append(batch("a"));
            assertThat(log.highWatermark()).isZero();
            assertThat(values(log.read(0, 1 << 20))).isEmpty();

            log.flush();
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a");
        }
    }

    @Test
    void reopeningKeepsEveryFlushedRecordAndContinuesTheOffsets() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            log.append(batch("a", "b"));
            log.flush();
        }
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(log.append(batch("c"))).isEqualTo(2);
            log.flush();
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:c");
        }
    }

    @Test
    void recoveryTruncatesATornTail() throws IOException {
        Path segment = writeThreeBatches();
        long size = Files.size(segment);
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.setLength(size - 7); // the last batch was only partly written when the process died
        }
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b");
            assertThat(log.append(batch("d"))).isEqualTo(2);
            log.flush();
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:d");
        }
    }

    @Test
    void recoveryTruncatesAtTheFirstBatchWhoseCrcDoesNotMatch() throws IOException {
        Path segment = writeThreeBatches();
        try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
            file.seek(Files.size(segment) - 2); // inside the last batch's record payload
            file.write('X');
        }
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThat(log.logEndOffset()).isEqualTo(2);
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b");
        }
    }

    @Test
    void recoveryTruncatesGarbageAfterTheLastBatch() throws IOException {
        Path segment = writeThreeBatches();
        Files.write(segment, "not a record batch at all, just junk".getBytes(StandardCharsets.UTF_8),
                java.nio.file.StandardOpenOption.APPEND);
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThat(log.logEndOffset()).isEqualTo(3);
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:c");
        }
    }

    @Test
    void readFromAnyOffsetStartsAtTheBatchHoldingIt() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            String payload = "x".repeat(500); // enough batches to span many index intervals
            for (int i = 0; i < 200; i++) {
                log.append(batch(payload + i));
            }
            log.flush();
            for (long offset : new long[] {0, 1, 57, 123, 199}) {
                List<String> read = values(log.read(offset, 1));
                assertThat(read).hasSize(1);
                assertThat(read.getFirst()).isEqualTo(offset + ":" + payload + offset);
            }
            assertThat(values(log.read(200, 1 << 20))).isEmpty();
        }
    }

    @Test
    void appendRefusesABatchWithABadCrcAndWritesNothing() throws IOException {
        MemoryRecords bad = batch("a");
        ByteBuffer buffer = bad.buffer();
        buffer.put(buffer.limit() - 1, (byte) (buffer.get(buffer.limit() - 1) ^ 0xFF));
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            assertThatThrownBy(() -> log.append(bad)).isInstanceOf(InvalidBatchException.class);
            assertThat(log.logEndOffset()).isZero();
            assertThat(log.hasPendingWrites()).isFalse();
        }
    }

    /**
     * Any stop but a clean one leaves the active segment at its preallocated size; the zeros after
     * its last batch were logged as a cut, like a torn write, for every partition at every such start.
     */
    @Test
    void recoveryTellsThePreallocatedSpaceFromATornOrForeignTail() throws IOException {
        Path segment = writeThreeBatches();
        byte[] whole = Files.readAllBytes(segment);
        Files.write(segment, new byte[1 << 20], java.nio.file.StandardOpenOption.APPEND);
        LogSegment.Recovery zeros = recover(segment);
        assertThat(zeros.preallocatedOnly()).isTrue();
        assertThat(zeros.bytesCut()).isEqualTo(1 << 20);
        assertThat(zeros.nextOffset()).isEqualTo(3);
        assertThat(Files.size(segment)).isEqualTo(whole.length);

        Files.write(segment, java.util.Arrays.copyOf(whole, whole.length - 7));
        LogSegment.Recovery torn = recover(segment);
        assertThat(torn.preallocatedOnly()).isFalse();
        assertThat(torn.bytesCut()).isPositive();
        assertThat(torn.reason()).isNotNull();

        Files.write(segment, whole);
        Files.write(segment, "junk".getBytes(StandardCharsets.UTF_8), java.nio.file.StandardOpenOption.APPEND);
        Files.write(segment, new byte[8192], java.nio.file.StandardOpenOption.APPEND);
        assertThat(recover(segment).preallocatedOnly()).as("zeros after junk").isFalse();
    }

    private static LogSegment.Recovery recover(Path file) throws IOException {
        LogSegment segment = LogSegment.open(file, 0);
        try {
            return segment.recover(null, false, true);
        } finally {
            segment.close();
        }
    }

    private Path writeThreeBatches() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            log.append(batch("a"));
            log.append(batch("b"));
            log.append(batch("c"));
            log.flush();
        }
        return dir.resolve("orders-3").resolve("00000000000000000000.log");
    }

    @Test
    void truncatingToAnEndCutsTheLaterBatchesAcrossSegmentsAndTheLogGoesOnFromThere() throws IOException {
        TopicConfig smallSegments = TopicConfig.DEFAULTS.with(java.util.Map.of("segment.bytes", "1024"));
        try (PartitionLog log = PartitionLog.open(dir, TP, smallSegments)) {
            log.append(batch("a", "b"));
            log.sync();
            log.publishUpTo(log.end()); // committed: a, b
            PartitionLog.End committed = log.end();
            for (int i = 0; i < 40; i++) {
                log.append(batch("uncommitted-" + i)); // rolls segments along the way
            }
            assertThat(log.segmentCount()).isGreaterThan(1);

            log.truncateTo(committed);
            assertThat(log.end()).isEqualTo(committed);
            assertThat(log.segmentCount()).isEqualTo(1);
            assertThat(log.append(batch("c"))).isEqualTo(2);
            log.sync();
            log.publishUpTo(log.end());
            assertThat(values(log.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:c");
        }
        try (PartitionLog reopened = PartitionLog.open(dir, TP, smallSegments)) {
            assertThat(values(reopened.read(0, 1 << 20))).containsExactly("0:a", "1:b", "2:c");
        }
    }

    @Test
    void truncationRefusesToCutWhatReadersCanSee() throws IOException {
        try (PartitionLog log = PartitionLog.open(dir, TP)) {
            PartitionLog.End start = log.end();
            log.append(batch("a"));
            log.sync();
            log.publishUpTo(log.end());
            assertThatThrownBy(() -> log.truncateTo(start)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("below the high watermark");
        }
    }
}
