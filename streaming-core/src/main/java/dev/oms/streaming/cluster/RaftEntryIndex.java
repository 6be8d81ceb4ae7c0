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
 * one checksummed record per entry, written into zeros written ahead of them; a torn tail, and the
 * zeros, are dropped at open.
 *
 * <p>An entry that wrote nothing (a retried batch of an idempotent producer, or a batch the
 * producer checks refused) keeps its request bytes here, so a follower can be sent the same entry
 * and reach the same answer.
 *
 * <p>Memory: every entry's place in the file is kept (16 bytes each, in arrays); the entries
 * themselves only for the last {@value #CACHED} Raft indexes (those Raft re-applies after a restart or
 * cuts when a leader changes), older ones are read back from the file when a lagging follower
 * needs them. Entries Raft has purged from its own log are dropped ({@link #dropBefore}): the file
 * and the arrays hold about what Raft's log holds.
 *
 * <p>Threads: {@link #append}, {@link #truncateFrom} and {@link #dropBefore} on the Raft log's
 * writer; {@link #sync} on its flusher; the readers from any thread. The file is replaced only under
 * this object's monitor, which every use of it but the writer's own holds.
 */
final class RaftEntryIndex implements Closeable {
    private static final int HEADER = 4 + 8 + 8 + 2 + 2 * (8 + 8 + 4) + 4;
    /** Larger than any request the broker takes (kafka.max-request-bytes): a longer length is corruption. */
    private static final int MAX_RECORD = HEADER + (256 << 20);
    /** Entries kept in memory: well past a snapshot interval (Raft re-applies at most that many at start). */
    static final int CACHED = 100_000;

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

    private final Path file;
    /** Replaced by {@link #dropBefore} (guarded by this; the writer reads it without). */
    private FileChannel channel;
    private final int cached;
    /** The entries of the last {@code cached} Raft indexes. */
    private final ConcurrentSkipListMap<Long, Entry> recent = new ConcurrentSkipListMap<>();
    /** Every entry's index and file position, in index order (guarded by this). */
    private long[] indexes = new long[1024];
    private long[] positions = new long[1024];
    private int count;
    private long size;
    /**
     * Zeros written ahead of the entries, this many bytes at a time: a sync inside them need not
     * also record the file's growth (fdatasync measured 190-210 us growing a file here, 125-130 us
     * inside zeros). 0: none, the file grows with each entry.
     */
    private final int preallocate;
    /** Where the file ends, zeros written ahead included (the writer's). */
    private long allocated;

    /** Zeros written ahead of the entries by default: about 900 entries' worth. */
    static final int PREALLOCATE = 64 * 1024;
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(PREALLOCATE).asReadOnlyBuffer();

    private RaftEntryIndex(Path file, FileChannel channel, int cached, int preallocate) {
        this.file = file;
        this.channel = channel;
        this.cached = cached;
        this.preallocate = preallocate;
    }

    /** Opens (or creates) the file and reads every whole entry; a torn or corrupt tail is cut. */
    static RaftEntryIndex open(Path file) throws IOException {
        return open(file, CACHED);
    }

    /** Keeping the entries of the last {@code cached} indexes in memory. */
    static RaftEntryIndex open(Path file, int cached) throws IOException {
        return open(file, cached, PREALLOCATE);
    }

    /** Writing {@code preallocate} bytes of zeros ahead of the entries at a time (0: none; at most {@link #PREALLOCATE}). */
    static RaftEntryIndex open(Path file, int cached, int preallocate) throws IOException {
        if (preallocate < 0 || preallocate > PREALLOCATE) {
            throw new IllegalArgumentException("preallocate " + preallocate + " is not within 0.." + PREALLOCATE);
        }
        java.nio.file.Files.deleteIfExists(rewritten(file)); // a drop cut short: the file is still whole
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        RaftEntryIndex index = new RaftEntryIndex(file, channel, cached, preallocate);
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
            Entry entry = parse(record);
            if (entry == null) {
                break;
            }
            remember(entry, position);
            position += length;
        }
        size = position;
        if (size < fileSize) {
            channel.truncate(size); // zeros written ahead go too
        }
        allocated = size;
        channel.position(0);
    }

    /** The entry in a whole record (its length first), or null when its checksum fails. */
    private static Entry parse(ByteBuffer record) {
        int length = record.getInt(0);
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, length - 4);
        if ((int) crc.getValue() != record.getInt(length - 4)) {
            return null;
        }
        record.position(4);
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
        return new Entry(index, ack, error, from, to, unwritten);
    }

    private synchronized void remember(Entry entry, long position) {
        if (count == indexes.length) {
            indexes = java.util.Arrays.copyOf(indexes, count * 2);
            positions = java.util.Arrays.copyOf(positions, count * 2);
        }
        indexes[count] = entry.index();
        positions[count] = position;
        count++;
        recent.put(entry.index(), entry);
        recent.headMap(entry.index() - cached, false).clear();
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
        if (preallocate > 0 && size > allocated) { // past the zeros: the next entries go into new ones
            ByteBuffer zeros = ZEROS.duplicate().limit(preallocate);
            while (zeros.hasRemaining()) {
                channel.write(zeros, size + zeros.position());
            }
            allocated = size + preallocate;
        }
        remember(entry, at);
    }

    private static void put(ByteBuffer buf, PartitionLog.End end) {
        buf.putLong(end.offset()).putLong(end.segmentBase()).putInt(end.position());
    }

    synchronized void sync() throws IOException {
        channel.force(false);
    }

    private static Path rewritten(Path file) {
        return file.resolveSibling(file.getFileName() + ".tmp");
    }

    /** Entries below this many are not worth rewriting the file for. */
    static final int MIN_DROP = 1024;

    /**
     * Forgets the entries before {@code index} (Raft purged them: it will neither send, re-apply
     * nor cut them), but never the last one, which tells where the log ends at the next start. The
     * file is rewritten without them and swapped in atomically, once they are at least half of it.
     */
    void dropBefore(long index) throws IOException {
        int drop;
        long from;
        synchronized (this) {
            drop = Math.min(ceilingSlot(index), count - 1);
            if (drop < Math.max(MIN_DROP, count / 2)) {
                return;
            }
            from = positions[drop];
        }
        Path tmp = rewritten(file);
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            for (long at = from; at < size; ) {
                at += channel.transferTo(at, size - at, out);
            }
            out.force(true);
        }
        synchronized (this) {
            dev.oms.streaming.storage.Directories.replaceDurably(tmp, file);
            channel.close();
            channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            count -= drop;
            System.arraycopy(indexes, drop, indexes, 0, count);
            for (int i = 0; i < count; i++) {
                positions[i] = positions[i + drop] - from;
            }
            size -= from;
            allocated = size;
            if (indexes.length > 1024 && count < indexes.length / 4) {
                indexes = java.util.Arrays.copyOf(indexes, Math.max(1024, count * 2));
                positions = java.util.Arrays.copyOf(positions, indexes.length);
            }
        }
    }

    /** How many entries are indexed (in memory and in the file). */
    synchronized int size() {
        return count;
    }

    /** Forgets the entries from {@code index} on. */
    void truncateFrom(long index) throws IOException {
        synchronized (this) {
            int first = ceilingSlot(index);
            if (first == count) {
                return;
            }
            size = positions[first];
            count = first;
        }
        channel.truncate(size); // zeros written ahead go too
        allocated = size;
        channel.force(false);
        recent.tailMap(index, true).clear();
    }

    /** The first slot whose index is at or after {@code index} ({@code count} if none). */
    private int ceilingSlot(long index) {
        int lo = 0;
        int hi = count;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (indexes[mid] < index) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    Entry get(long index) {
        Entry entry = recent.get(index);
        if (entry != null) {
            return entry;
        }
        synchronized (this) { // the position and the file it is in, at once: a drop may swap both
            int slot = ceilingSlot(index);
            if (slot == count || indexes[slot] != index) {
                return null;
            }
            Entry read = readAt(positions[slot]);
            if (read == null || read.index() != index) {
                throw new IllegalStateException("raft-entries: the record at " + positions[slot] + " is not entry " + index);
            }
            return read;
        }
    }

    /** The first entry at or after {@code index}, or null. */
    Entry ceiling(long index) {
        long found;
        synchronized (this) {
            int slot = ceilingSlot(index);
            if (slot == count) {
                return null;
            }
            found = indexes[slot];
        }
        return get(found);
    }

    /** The last entry before {@code index}, or null. */
    Entry lower(long index) {
        long found;
        synchronized (this) {
            int slot = ceilingSlot(index) - 1;
            if (slot < 0) {
                return null;
            }
            found = indexes[slot];
        }
        return get(found);
    }

    /** The last entry, or null. */
    Entry last() {
        Map.Entry<Long, Entry> e = recent.lastEntry();
        if (e != null) {
            return e.getValue();
        }
        long lastIndex;
        synchronized (this) {
            if (count == 0) {
                return null;
            }
            lastIndex = indexes[count - 1];
        }
        return get(lastIndex);
    }

    /** An older entry, read back from the file (a follower far behind). Under the monitor: the file may be swapped. */
    private Entry readAt(long position) {
        try {
            ByteBuffer length = ByteBuffer.allocate(4);
            channel.read(length, position);
            if (length.getInt(0) < HEADER || length.getInt(0) > MAX_RECORD) {
                return null;
            }
            ByteBuffer record = ByteBuffer.allocate(length.getInt(0));
            while (record.hasRemaining()) {
                if (channel.read(record, position + record.position()) < 0) {
                    return null;
                }
            }
            return parse(record);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public synchronized void close() throws IOException {
        channel.close();
    }
}
