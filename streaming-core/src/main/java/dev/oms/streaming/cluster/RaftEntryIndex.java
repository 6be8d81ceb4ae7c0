package dev.oms.streaming.cluster;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.zip.CRC32C;

import dev.oms.streaming.storage.PartitionLog;

/**
 * Where each Raft entry of a replicated partition lies in the partition's segments: the entry's
 * record batches are written once, to the segment (Raft's log holds only the entry's header), so
 * serving an entry to a follower, making it visible once committed, or cutting it when a new
 * leader replaces it all go through this map. Kept in {@code raft-entries} next to the segments,
 * one checksummed record per entry; a torn tail is dropped at open.
 *
 * <p>An entry that wrote nothing (a retried batch of an idempotent producer, or a batch the
 * producer checks refused) keeps its request bytes here, so a follower can be sent the same entry
 * and reach the same answer.
 *
 * <p>Threads: {@link #append}, {@link #sync} and {@link #truncateFrom} on the Raft log's writer;
 * {@link #get} from any thread.
 */
final class RaftEntryIndex implements Closeable {
    private static final int HEADER = 4 + 8 + 8 + 2 + 2 * (8 + 8 + 4) + 4;
    /** Larger than any request the broker takes (kafka.max-request-bytes): a longer length is corruption. */
    private static final int MAX_RECORD = HEADER + (256 << 20);

    /**
     * @param ack       the offset the producer is told (its first record's, or the original for a retry); -1 on error
     * @param error     Kafka error code of a refused batch, 0 when written
     * @param start     the log's end before the entry
     * @param end       the log's end after it
     * @param unwritten the request bytes, when the entry wrote nothing to the log
     */
    record Entry(long index, long ack, short error, PartitionLog.End start, PartitionLog.End end, byte[] unwritten) {
        boolean wroteNothing() {
            return start.offset() == end.offset();
        }
    }

    private final FileChannel channel;
    private final ConcurrentSkipListMap<Long, Entry> entries = new ConcurrentSkipListMap<>();
    private final ConcurrentSkipListMap<Long, Long> positions = new ConcurrentSkipListMap<>();
    private long size;

    private RaftEntryIndex(FileChannel channel) {
        this.channel = channel;
    }

    /** Opens (or creates) the file and reads every whole entry; a torn or corrupt tail is cut. */
    static RaftEntryIndex open(Path file) throws IOException {
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        RaftEntryIndex index = new RaftEntryIndex(channel);
        index.load();
        return index;
    }

    /** Reads record by record; the file is cut only at a torn or corrupt record, never for its size. */
    private void load() throws IOException {
        long fileSize = channel.size();
        long position = 0;
        var in = new java.io.DataInputStream(new java.io.BufferedInputStream(java.nio.channels.Channels.newInputStream(
                channel.position(0)), 1 << 16));
        while (fileSize - position >= HEADER) {
            int length = in.readInt();
            if (length < HEADER || length > fileSize - position || length > MAX_RECORD) {
                break;
            }
            ByteBuffer record = ByteBuffer.allocate(length).putInt(length);
            in.readFully(record.array(), 4, length - 4);
            CRC32C crc = new CRC32C();
            crc.update(record.array(), 0, length - 4);
            if ((int) crc.getValue() != record.getInt(length - 4)) {
                break;
            }
            long index = record.getLong();
            long ack = record.getLong();
            short error = record.getShort();
            PartitionLog.End from = new PartitionLog.End(record.getLong(), record.getLong(), record.getInt());
            PartitionLog.End to = new PartitionLog.End(record.getLong(), record.getLong(), record.getInt());
            int payload = length - HEADER;
            byte[] unwritten = null;
            if (payload > 0) {
                unwritten = new byte[payload];
                record.get(unwritten);
            }
            entries.put(index, new Entry(index, ack, error, from, to, unwritten));
            positions.put(index, position);
            position += length;
        }
        size = position;
        if (size < fileSize) {
            channel.truncate(size);
        }
        channel.position(0);
    }

    void append(Entry entry) throws IOException {
        int payload = entry.unwritten() == null ? 0 : entry.unwritten().length;
        ByteBuffer buf = ByteBuffer.allocate(HEADER + payload);
        buf.putInt(HEADER + payload).putLong(entry.index()).putLong(entry.ack()).putShort(entry.error());
        put(buf, entry.start());
        put(buf, entry.end());
        if (payload > 0) {
            buf.put(entry.unwritten());
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue()).flip();
        long at = size;
        while (buf.hasRemaining()) {
            channel.write(buf, at + buf.position());
        }
        size += buf.limit();
        positions.put(entry.index(), at);
        entries.put(entry.index(), entry);
    }

    private static void put(ByteBuffer buf, PartitionLog.End end) {
        buf.putLong(end.offset()).putLong(end.segmentBase()).putInt(end.position());
    }

    void sync() throws IOException {
        channel.force(false);
    }

    /** Forgets the entries from {@code index} on. */
    void truncateFrom(long index) throws IOException {
        Map.Entry<Long, Long> first = positions.ceilingEntry(index);
        if (first == null) {
            return;
        }
        size = first.getValue();
        channel.truncate(size);
        channel.force(false);
        entries.tailMap(index, true).clear();
        positions.tailMap(index, true).clear();
    }

    Entry get(long index) {
        return entries.get(index);
    }

    /** The first entry at or after {@code index}, or null. */
    Entry ceiling(long index) {
        Map.Entry<Long, Entry> e = entries.ceilingEntry(index);
        return e == null ? null : e.getValue();
    }

    /** The last entry, or null. */
    Entry last() {
        Map.Entry<Long, Entry> e = entries.lastEntry();
        return e == null ? null : e.getValue();
    }

    /** The last entry at or before {@code index}, or null. */
    Entry floor(long index) {
        Map.Entry<Long, Entry> e = entries.floorEntry(index);
        return e == null ? null : e.getValue();
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
