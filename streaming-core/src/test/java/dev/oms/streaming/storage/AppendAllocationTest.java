package dev.oms.streaming.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The append path allocates per batch, never per record: appending batches of 1,000 records
 * allocates no more than appending batches of one record. Measured with the JVM's per-thread
 * allocation counter after warm-up, not timed.
 */
class AppendAllocationTest {
    @TempDir
    Path dir;

    @Test
    void appendingAllocatesPerBatchNotPerRecord() throws Exception {
        try (PartitionLog log = PartitionLog.open(dir, new TopicPartition("alloc", 0),
                new TopicConfig(1 << 30, Long.MAX_VALUE, -1, -1, false))) {
            MemoryRecords small = batch(1);
            MemoryRecords large = batch(1000);
            long perSmallBatch = bytesPerAppend(log, small);
            long perLargeBatch = bytesPerAppend(log, large);
            // A record costs nothing extra on the heap: 1,000x the records, not more allocation.
            assertThat(perLargeBatch).as("bytes allocated per append of 1000 records vs %d for 1 record", perSmallBatch)
                    .isLessThanOrEqualTo(perSmallBatch + 64);
        }
    }

    private static long bytesPerAppend(PartitionLog log, MemoryRecords batch) throws Exception {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        ByteBuffer original = batch.buffer().duplicate();
        for (int i = 0; i < 3_000; i++) { // warm up: JIT-compiled code, grown index arrays
            log.append(MemoryRecords.readableRecords(original.duplicate()));
        }
        int rounds = 1_000;
        MemoryRecords[] copies = new MemoryRecords[rounds];
        for (int i = 0; i < rounds; i++) {
            copies[i] = MemoryRecords.readableRecords(original.duplicate());
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (MemoryRecords copy : copies) {
            log.append(copy);
        }
        return (threads.getCurrentThreadAllocatedBytes() - before) / rounds;
    }

    private static MemoryRecords batch(int records) {
        SimpleRecord[] batch = new SimpleRecord[records];
        for (int i = 0; i < records; i++) {
            batch[i] = new SimpleRecord(1_700_000_000_000L, ("k" + i).getBytes(StandardCharsets.UTF_8),
                    ("value-" + i).getBytes(StandardCharsets.UTF_8));
        }
        return MemoryRecords.withRecords(Compression.NONE, batch);
    }
}
