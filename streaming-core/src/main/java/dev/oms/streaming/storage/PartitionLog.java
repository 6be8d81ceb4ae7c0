package dev.oms.streaming.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's log: a directory with a segment file of Kafka v2 record batches, stored exactly as
 * received with offsets assigned in place (the layout Kafka itself uses, read and written with
 * kafka-clients' {@link FileRecords}).
 *
 * <p>Threads: {@link #append} and {@link #flush} belong to the shard that owns the partition, so the
 * append path takes no lock. {@link #read} and the offset getters may be called from any thread and
 * see only flushed, durable batches: the high watermark moves only after fsync.
 */
public final class PartitionLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);
    private static final int INDEX_INTERVAL_BYTES = 4096;

    private final TopicPartition topicPartition;
    private final FileRecords segment;
    private final OffsetIndex index = new OffsetIndex(INDEX_INTERVAL_BYTES);
    private final ProducerStateManager producers = new ProducerStateManager();
    private long logEndOffset;
    private int pendingBytes;
    private volatile long highWatermark;
    private volatile int durableBytes;
    // Completed, and replaced, each time the high watermark moves: long-polling readers wait on it.
    private volatile CompletableFuture<Void> highWatermarkMoved = new CompletableFuture<>();

    private PartitionLog(TopicPartition topicPartition, FileRecords segment) {
        this.topicPartition = topicPartition;
        this.segment = segment;
    }

    /** Opens (or creates) the partition directory {@code <logDir>/<topic>-<partition>} and recovers it. */
    public static PartitionLog open(Path logDir, TopicPartition topicPartition) throws IOException {
        Path dir = logDir.resolve(topicPartition.topic() + "-" + topicPartition.partition());
        Files.createDirectories(dir);
        Path file = dir.resolve(segmentName(0));
        FileRecords segment = FileRecords.open(file.toFile(), Files.exists(file), 0, false);
        PartitionLog log = new PartitionLog(topicPartition, segment);
        log.recover();
        return log;
    }

    static String segmentName(long baseOffset) {
        return String.format("%020d.log", baseOffset);
    }

    /**
     * Validates every batch (size, magic, CRC-32C, offset continuity) and truncates the file at the
     * first one that fails: a torn write from a crash loses only what was never acknowledged.
     */
    private void recover() throws IOException {
        int position = 0;
        long nextOffset = 0;
        String reason = null;
        try {
            for (FileChannelRecordBatch batch : segment.batches()) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    reason = "magic " + batch.magic();
                    break;
                }
                if (batch.baseOffset() != nextOffset) {
                    reason = "base offset " + batch.baseOffset() + ", expected " + nextOffset;
                    break;
                }
                if (!batch.isValid()) {
                    reason = "CRC mismatch";
                    break;
                }
                index.onBatch(batch.baseOffset(), position, batch.sizeInBytes());
                producers.onAppend(batch);
                position += batch.sizeInBytes();
                nextOffset = batch.nextOffset();
            }
        } catch (CorruptRecordException e) {
            reason = e.getMessage();
        }
        int size = segment.sizeInBytes();
        if (position < size) {
            LOG.warn("{}: truncating {} bytes after offset {} at position {} ({})", topicPartition,
                    size - position, nextOffset, position, reason == null ? "incomplete batch" : reason);
            segment.truncateTo(position);
            segment.channel().force(true);
        }
        logEndOffset = nextOffset;
        highWatermark = nextOffset;
        durableBytes = position;
    }

    /**
     * Assigns the next offsets to every batch of {@code records} in place and writes them to the
     * segment (not yet durable: see {@link #flush}). A retried batch of an idempotent producer is
     * not written again. Owner shard only.
     *
     * @return the offset of the first record (for a retried batch, the offset it got the first time)
     * @throws InvalidBatchException if a batch is not a valid v2 batch; nothing is written then
     * @throws org.apache.kafka.common.errors.OutOfOrderSequenceException   on a gap in a producer's sequence
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException for a fenced producer epoch
     */
    public long append(MemoryRecords records) throws IOException {
        int batches = 0;
        boolean idempotent = false;
        for (MutableRecordBatch batch : records.batches()) {
            if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                throw new InvalidBatchException("only record batch format v2 is supported, got magic " + batch.magic());
            }
            try {
                batch.ensureValid();
            } catch (CorruptRecordException e) {
                throw new InvalidBatchException(e.getMessage());
            }
            batches++;
            idempotent |= batch.hasProducerId();
        }
        if (batches == 0) {
            throw new InvalidBatchException("no record batch in the request");
        }
        if (idempotent) {
            // As Kafka: an idempotent produce carries exactly one batch, so it is judged whole.
            if (batches != 1) {
                throw new InvalidBatchException("an idempotent produce must carry exactly one record batch, got " + batches);
            }
            long original = producers.check(records.batches().iterator().next());
            if (original >= 0) {
                return original;
            }
        }
        long baseOffset = logEndOffset;
        int position = segment.sizeInBytes();
        for (MutableRecordBatch batch : records.batches()) {
            // The base offset is outside the CRC, so assigning it in place keeps the batch valid.
            batch.setLastOffset(logEndOffset + (batch.lastOffset() - batch.baseOffset()));
            batch.setPartitionLeaderEpoch(0);
            index.onBatch(batch.baseOffset(), position, batch.sizeInBytes());
            producers.onAppend(batch);
            position += batch.sizeInBytes();
            logEndOffset = batch.nextOffset();
        }
        pendingBytes += segment.append(records);
        return baseOffset;
    }

    /** True when appended batches wait for {@link #flush}. */
    public boolean hasPendingWrites() {
        return pendingBytes > 0;
    }

    /**
     * Makes every appended batch durable (fdatasync) and then visible to readers. One call covers
     * all batches appended since the last one: this is the group commit. Owner shard only.
     */
    public void flush() throws IOException {
        if (pendingBytes == 0) {
            return;
        }
        segment.channel().force(false);
        pendingBytes = 0;
        durableBytes = segment.sizeInBytes();
        highWatermark = logEndOffset;
        CompletableFuture<Void> moved = highWatermarkMoved;
        highWatermarkMoved = new CompletableFuture<>();
        moved.complete(null);
    }

    /** Completes the next time the high watermark moves. Any thread. */
    public CompletableFuture<Void> highWatermarkMoved() {
        return highWatermarkMoved;
    }

    /**
     * The first durable record whose timestamp is at or after {@code timestamp} (ListOffsets), or
     * empty. Any thread.
     */
    public java.util.Optional<FileRecords.TimestampAndOffset> offsetForTimestamp(long timestamp) {
        long hw = highWatermark;
        FileRecords.TimestampAndOffset found = segment.searchForTimestamp(timestamp, 0, 0);
        return found == null || found.offset >= hw ? java.util.Optional.empty() : java.util.Optional.of(found);
    }

    /**
     * Durable batches from {@code fromOffset} (the batch containing it first), at most
     * {@code maxBytes} unless the first batch alone is larger, as Kafka's fetch does. Empty when
     * {@code fromOffset} is at or past the high watermark. Any thread.
     */
    public Records read(long fromOffset, int maxBytes) {
        long hw = highWatermark;
        int end = durableBytes;
        if (fromOffset >= hw) {
            return MemoryRecords.EMPTY;
        }
        FileRecords.LogOffsetPosition start = segment.searchForOffsetFromPosition(fromOffset, index.floorPosition(fromOffset));
        if (start == null || start.position >= end) {
            return MemoryRecords.EMPTY;
        }
        int size = Math.min(end - start.position, Math.max(maxBytes, start.size));
        return segment.slice(start.position, size);
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    /** The offset after the last durable record: what readers may see. */
    public long highWatermark() {
        return highWatermark;
    }

    /** The offset the next appended record gets. Owner shard only. */
    public long logEndOffset() {
        return logEndOffset;
    }

    public long logStartOffset() {
        return 0;
    }

    @Override
    public void close() {
        try {
            flush();
            segment.close();
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + topicPartition, e);
        }
    }
}
