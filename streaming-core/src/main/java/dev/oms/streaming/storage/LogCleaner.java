package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.utils.BufferSupplier;

/**
 * Compaction of a compacted topic's closed segments, as Kafka's log cleaner does it, with Kafka's
 * own batch filter ({@link MemoryRecords#filterTo}): keep the latest record of each key (and a
 * tombstone until it is older than delete.retention.ms), and keep every batch's offsets, producer
 * id, epoch and sequences as they were. A batch that loses every record goes, unless it is its
 * producer's last one among the segments cleaned, for the {@link ProducerStateManager#MAX_PRODUCERS}
 * producers that wrote there most recently: that one stays, empty, so that a log rebuilt from the
 * segments (a restart without a producer snapshot, a replica copying them) knows the producer's
 * last sequence as the original log did (older producers are forgotten by the log anyway, and their
 * batches go). The active segment is never touched.
 *
 * <p>Threads: whichever thread compacts the partition ({@link PartitionLog#prepareCompaction}).
 */
final class LogCleaner {
    static final String CLEANED = ".cleaned";

    private LogCleaner() {
    }

    /**
     * What a pass over some segments keeps: the offset of the latest record of each key, and the
     * base offset of each producer's last batch.
     */
    record Latest(Map<ByteBuffer, Long> keys, Map<Long, Long> producerLastBatch) {
    }

    static Latest latest(List<LogSegment> segments, java.util.function.BooleanSupplier cancelled) throws IOException {
        Map<ByteBuffer, Long> keys = new HashMap<>();
        Map<Long, Long> producers = new HashMap<>();
        for (LogSegment segment : segments) {
            if (cancelled.getAsBoolean()) {
                return null;
            }
            for (FileChannelRecordBatch batch : segment.batches()) {
                if (batch.hasProducerId()) {
                    producers.put(batch.producerId(), batch.baseOffset());
                }
                for (Record record : batch) {
                    if (record.hasKey()) {
                        keys.put(copy(record.key()), record.offset());
                    }
                }
            }
        }
        if (producers.size() > ProducerStateManager.MAX_PRODUCERS) {
            long[] offsets = producers.values().stream().mapToLong(Long::longValue).sorted().toArray();
            long oldestKept = offsets[offsets.length - ProducerStateManager.MAX_PRODUCERS];
            producers.values().removeIf(offset -> offset < oldestKept);
        }
        return new Latest(keys, producers);
    }

    /**
     * Writes the batches of {@code segment}, filtered, to {@code <base>.log.cleaned}, durably.
     *
     * @return the cleaned file, or empty when every batch stays as it is
     */
    static Optional<Path> clean(LogSegment segment, Latest latest, long nowMs, long deleteRetentionMs) throws IOException {
        Path cleaned = segment.file().resolveSibling(segment.file().getFileName() + CLEANED);
        MemoryRecords.RecordFilter filter = new MemoryRecords.RecordFilter(nowMs, deleteRetentionMs) {
            @Override
            protected BatchRetentionResult checkBatchRetention(RecordBatch batch) {
                Long last = batch.hasProducerId() ? latest.producerLastBatch().get(batch.producerId()) : null;
                boolean producersLast = last != null && last == batch.baseOffset();
                return new BatchRetentionResult(producersLast ? BatchRetention.RETAIN_EMPTY : BatchRetention.DELETE_EMPTY, false);
            }

            @Override
            protected boolean shouldRetainRecord(RecordBatch batch, Record record) {
                boolean latestOfKey = !record.hasKey() || latest.keys().get(copy(record.key())) == record.offset();
                boolean expiredTombstone = !record.hasValue() && record.timestamp() < nowMs - deleteRetentionMs;
                return latestOfKey && !expiredTombstone;
            }
        };
        boolean changed = false;
        try (FileChannel out = FileChannel.open(cleaned, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (FileChannelRecordBatch batch : segment.batches()) {
                ByteBuffer original = ByteBuffer.allocate(batch.sizeInBytes());
                batch.writeTo(original);
                original.flip();
                MemoryRecords.FilterResult result = MemoryRecords.readableRecords(original)
                        .filterTo(filter, ByteBuffer.allocate(original.capacity()), BufferSupplier.NO_CACHING);
                changed |= result.bytesRetained() != result.bytesRead();
                ByteBuffer kept = result.outputBuffer().flip();
                while (kept.hasRemaining()) {
                    out.write(kept);
                }
            }
            out.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(cleaned);
            throw e;
        }
        if (!changed) {
            Files.delete(cleaned);
            return Optional.empty();
        }
        return Optional.of(cleaned);
    }

    private static ByteBuffer copy(ByteBuffer key) {
        ByteBuffer copy = ByteBuffer.allocate(key.remaining());
        copy.put(key.duplicate()).flip();
        return copy;
    }
}
