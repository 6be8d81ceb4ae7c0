package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.internal.FileLogInputStream.FileChannelRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;

/**
 * One file of a partition's log, named by its base offset as Kafka names them
 * ({@code 00000000000000001234.log}), with its sparse {@link SegmentIndex}. Written by the owning
 * shard only; read by anyone up to a byte limit the caller knows to be durable.
 */
final class LogSegment {
    private static final int INDEX_INTERVAL_BYTES = 4096;

    private final long baseOffset;
    private final Path file;
    private final FileRecords records;
    private final SegmentIndex index = new SegmentIndex(INDEX_INTERVAL_BYTES);
    private final long createdAtMs;
    private volatile long maxTimestamp = RecordBatch.NO_TIMESTAMP;

    private LogSegment(long baseOffset, Path file, FileRecords records, long createdAtMs) {
        this.baseOffset = baseOffset;
        this.file = file;
        this.records = records;
        this.createdAtMs = createdAtMs;
    }

    static Path fileFor(Path dir, long baseOffset) {
        return dir.resolve(String.format("%020d.log", baseOffset));
    }

    /** A new, empty segment; preallocated to {@code preallocateBytes} when that is above 0. */
    static LogSegment create(Path dir, long baseOffset, int preallocateBytes, long nowMs) throws IOException {
        Path file = fileFor(dir, baseOffset);
        FileRecords records = FileRecords.open(file.toFile(), true, false, Math.max(preallocateBytes, 0), preallocateBytes > 0);
        return new LogSegment(baseOffset, file, records, nowMs);
    }

    /** An existing segment file, not yet recovered. */
    static LogSegment open(Path file, long baseOffset) throws IOException {
        return open(file, baseOffset, Files.getLastModifiedTime(file).toMillis());
    }

    /** An existing segment file, not yet recovered, whose age counts from {@code createdAtMs}. */
    static LogSegment open(Path file, long baseOffset, long createdAtMs) throws IOException {
        FileRecords records = FileRecords.open(file.toFile(), true, true, 0, false);
        return new LogSegment(baseOffset, file, records, createdAtMs);
    }

    /**
     * Whether what starts at offset {@code base} (a batch, a segment) may follow offset {@code next}:
     * at it exactly, or in a compacted topic anywhere past it (compaction leaves gaps).
     */
    static boolean follows(long base, long next, boolean compacted) {
        return compacted ? base >= next : base == next;
    }

    /**
     * Validates every batch (size, magic, offsets that rise without a gap, or with gaps left by
     * compaction in a compacted topic, and with {@code checkCrc} the CRC-32C of its bytes),
     * rebuilding the index and the producer state ({@code producers}, null when a later snapshot
     * holds it), and cuts the file at the first batch that fails: a torn write loses only what was
     * never acknowledged.
     *
     * @return the offset after the last whole batch, and why the file was cut (null if it was not)
     */
    Recovery recover(ProducerStateManager producers, boolean compacted, boolean checkCrc) throws IOException {
        int position = 0;
        long nextOffset = baseOffset;
        long maxTs = RecordBatch.NO_TIMESTAMP;
        String reason = null;
        try {
            for (FileChannelRecordBatch batch : records.batches()) {
                if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
                    reason = "magic " + batch.magic();
                    break;
                }
                if (!follows(batch.baseOffset(), nextOffset, compacted)) {
                    reason = "base offset " + batch.baseOffset() + ", expected " + (compacted ? "at least " : "") + nextOffset;
                    break;
                }
                if (checkCrc && !batch.isValid()) {
                    reason = "CRC mismatch";
                    break;
                }
                index.onBatch(batch.baseOffset(), maxTs, position, batch.sizeInBytes());
                if (producers != null) {
                    producers.onAppend(batch);
                }
                maxTs = Math.max(maxTs, batch.maxTimestamp());
                position += batch.sizeInBytes();
                nextOffset = batch.nextOffset();
            }
        } catch (CorruptRecordException e) {
            reason = e.getMessage();
        } catch (KafkaException e) {
            if (!(e.getCause() instanceof java.io.EOFException)) {
                // A read that failed (EIO) is no torn tail: cutting here would delete acknowledged data.
                throw e.getCause() instanceof IOException io ? io : new IOException(e);
            }
            reason = e.getMessage(); // a header that runs past the file's end
        }
        int size = records.sizeInBytes();
        int cut = size - position;
        boolean preallocated = cut > 0 && zeros(records.channel(), position, size);
        if (cut > 0) {
            records.truncateTo(position);
            records.channel().force(true);
        }
        maxTimestamp = maxTs;
        return new Recovery(nextOffset, cut, preallocated ? null
                : cut > 0 && reason == null ? "incomplete batch" : reason);
    }

    /**
     * True when the file holds zeros where its next batch would begin and at its end: the space a
     * preallocated segment had left when the process stopped, not a torn batch.
     */
    private static boolean zeros(java.nio.channels.FileChannel channel, int from, int size) throws IOException {
        java.nio.ByteBuffer head = java.nio.ByteBuffer.allocate(Math.min(4096, size - from));
        java.nio.ByteBuffer tail = java.nio.ByteBuffer.allocate(Math.min(4096, size - from));
        while (head.hasRemaining() && channel.read(head, from + head.position()) > 0) {
            // read on
        }
        while (tail.hasRemaining() && channel.read(tail, size - tail.capacity() + tail.position()) > 0) {
            // read on
        }
        for (java.nio.ByteBuffer part : new java.nio.ByteBuffer[] {head.flip(), tail.flip()}) {
            while (part.hasRemaining()) {
                if (part.get() != 0) {
                    return false;
                }
            }
        }
        return true;
    }

    /** {@code reason} is null when the bytes cut were the preallocated space after the last batch. */
    record Recovery(long nextOffset, int bytesCut, String reason) {
        boolean preallocatedOnly() {
            return bytesCut > 0 && reason == null;
        }
    }

    /** Writes batches whose offsets are already assigned. Owner shard only. */
    int append(MemoryRecords batches) throws IOException {
        long maxTs = maxTimestamp;
        int position = records.sizeInBytes();
        for (RecordBatch batch : batches.batches()) {
            index.onBatch(batch.baseOffset(), maxTs, position, batch.sizeInBytes());
            maxTs = Math.max(maxTs, batch.maxTimestamp());
            position += batch.sizeInBytes();
        }
        int written = records.append(batches);
        maxTimestamp = maxTs;
        return written;
    }

    /**
     * Batches from the one holding {@code offset}, about {@code maxBytes} at most (the first batch
     * whole even if larger), never past byte {@code end}.
     */
    Records read(long offset, int maxBytes, int end) {
        FileRecords.LogOffsetPosition start = records.searchForOffsetFromPosition(offset, index.positionForOffset(offset));
        if (start == null || start.position >= end) {
            return MemoryRecords.EMPTY;
        }
        int size = Math.min(end - start.position, Math.max(maxBytes, start.size));
        return records.slice(start.position, size);
    }

    /** The first record at or after {@code timestamp} below {@code beforeOffset} (the high watermark). */
    Optional<FileRecords.TimestampAndOffset> offsetForTimestamp(long timestamp, long fromOffset, long beforeOffset) {
        if (maxTimestamp < timestamp) {
            return Optional.empty();
        }
        FileRecords.TimestampAndOffset found = records.searchForTimestamp(timestamp, index.positionForTimestamp(timestamp),
                Math.max(baseOffset, fromOffset));
        return found == null || found.offset >= beforeOffset ? Optional.empty() : Optional.of(found);
    }

    /** The bytes between two positions, as written. */
    java.nio.ByteBuffer readBytes(int from, int to) throws IOException {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(to - from);
        while (buf.hasRemaining()) {
            if (records.channel().read(buf, from + buf.position()) < 0) {
                throw new java.io.EOFException(file + " ends before byte " + to);
            }
        }
        return buf.flip();
    }

    /** Cuts the file at {@code position} (a batch boundary), durably, and its index with it. */
    void truncateTo(int position) throws IOException {
        index.truncateTo(position);
        records.truncateTo(position);
        records.channel().force(true);
    }

    void flush() throws IOException {
        records.channel().force(false);
    }

    /** Gives back preallocated space past the data, once the segment is closed for writes. */
    void trim() throws IOException {
        records.trim();
    }

    /** Renames the file so nothing mistakes it for data, while readers may still hold it. */
    void markDeleted() throws IOException {
        Path deleted = file.resolveSibling(file.getFileName() + Directories.DELETED_SUFFIX);
        records.renameTo(deleted.toFile());
    }

    void delete() throws IOException {
        records.closeHandlers();
        records.deleteIfExists();
    }

    void close() throws IOException {
        records.close();
    }

    long baseOffset() {
        return baseOffset;
    }

    Path file() {
        return file;
    }

    Iterable<FileChannelRecordBatch> batches() {
        return records.batches();
    }

    int size() {
        return records.sizeInBytes();
    }

    long maxTimestamp() {
        return maxTimestamp;
    }

    long createdAtMs() {
        return createdAtMs;
    }
}
