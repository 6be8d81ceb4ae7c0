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

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MemoryRecordsBuilder;
import org.apache.kafka.common.record.internal.Record;

/**
 * Compaction of a compacted topic's closed segments, as Kafka's log cleaner does it: keep the
 * latest record of each key (and a tombstone until it is older than delete.retention.ms), keep
 * every offset as it was, and leave gaps where records went. The active segment is never touched.
 *
 * <p>Threads: the owning shard, from {@link PartitionLog#maintain}.
 */
final class LogCleaner {
    static final String CLEANED = ".cleaned";

    private LogCleaner() {
    }

    /** The offset of the latest record of each key in {@code segments}. */
    static Map<ByteBuffer, Long> latestOffsets(List<LogSegment> segments) throws IOException {
        Map<ByteBuffer, Long> latest = new HashMap<>();
        for (LogSegment segment : segments) {
            for (FileChannelRecordBatch batch : segment.batches()) {
                for (Record record : batch) {
                    if (record.hasKey()) {
                        latest.put(copy(record.key()), record.offset());
                    }
                }
            }
        }
        return latest;
    }

    /**
     * Writes the records of {@code segment} worth keeping to {@code <base>.log.cleaned}, durably.
     *
     * @return the cleaned file, or empty when every record stays
     */
    static Optional<Path> clean(LogSegment segment, Map<ByteBuffer, Long> latest, long nowMs, long deleteRetentionMs)
            throws IOException {
        Path cleaned = segment.file().resolveSibling(segment.file().getFileName() + CLEANED);
        boolean dropped = false;
        try (FileChannel out = FileChannel.open(cleaned, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (FileChannelRecordBatch batch : segment.batches()) {
                MemoryRecordsBuilder builder = null;
                for (Record record : batch) {
                    boolean latestOfKey = !record.hasKey() || latest.get(copy(record.key())) == record.offset();
                    boolean expiredTombstone = !record.hasValue() && record.timestamp() < nowMs - deleteRetentionMs;
                    if (!latestOfKey || expiredTombstone) {
                        dropped = true;
                        continue;
                    }
                    if (builder == null) {
                        builder = MemoryRecords.builder(ByteBuffer.allocate(Math.max(batch.sizeInBytes(), 1024)),
                                Compression.of(batch.compressionType()).build(), batch.timestampType(), record.offset());
                    }
                    builder.appendWithOffset(record.offset(), record);
                }
                if (builder != null) {
                    MemoryRecords records = builder.build();
                    ByteBuffer buffer = records.buffer();
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                }
            }
            out.force(true);
        }
        if (!dropped) {
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
