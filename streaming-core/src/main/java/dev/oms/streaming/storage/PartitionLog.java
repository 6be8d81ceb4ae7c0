package dev.oms.streaming.storage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.StandardCopyOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One partition's log: a directory of segment files holding Kafka v2 record batches exactly as
 * received, offsets assigned in place (Kafka's own layout, read and written with kafka-clients'
 * {@link FileRecords}). The active segment rolls by size and age; closed segments are deleted by
 * retention time and size, or compacted to the latest record of each key ({@link LogCleaner}).
 *
 * <p>Threads: {@link #append}, {@link #flush} and {@link #maintain} belong to the shard that owns
 * the partition, so the append path takes no lock. {@link #read} and the offset getters may be
 * called from any thread and see only what the last flush published: the high watermark moves
 * only after fsync (or, with write caching, after the write).
 */
public final class PartitionLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);
    /** How long a deleted segment's file stays for readers that still hold it (Kafka: file.delete.delay.ms). */
    private static final long FILE_DELETE_DELAY_MS = 60_000;
    private static final String SWAP = ".swap";
    private static final String LOG_START_FILE = "log-start-offset";
    private static final String SNAPSHOT = ".snapshot";
    /**
     * Marks a log whose topic was ever compacted: compaction leaves gaps between offsets, which a
     * log read as never compacted would take for a cut, and delete from there on.
     */
    private static final String COMPACTED_FILE = "compacted";

    private final TopicPartition topicPartition;
    private final Path dir;
    private volatile TopicConfig config;
    /** Offsets may have gaps: the topic is, or once was, compacted (see {@link #COMPACTED_FILE}). */
    private volatile boolean mayHaveGaps;
    private final ProducerStateManager producers = new ProducerStateManager();
    private final ArrayDeque<PendingDelete> pendingDeletes = new ArrayDeque<>();
    private volatile LogSegment[] segments;
    /** Records before this offset were deleted on request (DeleteRecords), even inside a segment. */
    private volatile long deletedBefore;
    /** Written by the owner only; read by others (a fetch's bound), hence volatile. */
    private volatile long logEndOffset;
    /** Compaction's last pass covered the segments before this offset. */
    private long cleanedUpTo = -1;
    /** Written but not yet visible to readers. */
    private int pendingBytes;
    /** Written to the active segment but not yet fsync'd. */
    private boolean unsynced;
    /**
     * The first fsync that failed, after which the partition takes no more writes. Linux reports a
     * writeback error once: a later fsync that succeeds says nothing of pages the failed one lost,
     * so writing on would acknowledge records on top of a hole (PostgreSQL's "fsyncgate"; Kafka
     * takes the log directory offline). A restart recovers the log: the last segment, where those
     * writes are, has its CRCs checked.
     */
    private volatile IOException fsyncFailure;
    /** What readers may see: everything below the high watermark, which ends in {@code segment} at {@code bytes}. */
    private volatile Visible visible;
    // Completed, and replaced, each time the high watermark moves: long-polling readers wait on it.
    private volatile CompletableFuture<Void> highWatermarkMoved = new CompletableFuture<>();
    /** Told each time the high watermark moves, on the owner shard's thread; they must be quick. */
    private final java.util.List<Runnable> highWatermarkListeners = new java.util.concurrent.CopyOnWriteArrayList<>();

    private record Visible(long highWatermark, LogSegment segment, int bytes) {
    }

    private record PendingDelete(LogSegment segment, long atMs) {
    }

    private PartitionLog(TopicPartition topicPartition, Path dir, TopicConfig config) {
        this.topicPartition = topicPartition;
        this.dir = dir;
        this.config = config;
    }

    /** Opens (or creates) {@code <logDir>/<topic>-<partition>} with default settings and recovers it. */
    public static PartitionLog open(Path logDir, TopicPartition topicPartition) throws IOException {
        return open(logDir, topicPartition, TopicConfig.DEFAULTS);
    }

    /** Opens (or creates) {@code <logDir>/<topic>-<partition>} and recovers it. */
    public static PartitionLog open(Path logDir, TopicPartition topicPartition, TopicConfig config) throws IOException {
        Path dir = logDir.resolve(topicPartition.topic() + "-" + topicPartition.partition());
        Files.createDirectories(dir);
        PartitionLog log = new PartitionLog(topicPartition, dir, config);
        log.mayHaveGaps = Files.exists(dir.resolve(COMPACTED_FILE));
        if (config.compact()) {
            log.markCompacted();
        }
        log.recover();
        return log;
    }

    /**
     * Recovers every segment in offset order. A segment cut short (a torn write) ends the log:
     * later segments cannot follow a hole and are deleted.
     */
    private void recover() throws IOException {
        finishInterruptedCleaning();
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> {
                String name = f.getFileName().toString();
                if (name.endsWith(Directories.DELETED_SUFFIX)) {
                    deleteQuietly(f); // left by a crash between marking and deleting
                    return false;
                }
                return name.matches("\\d{20}\\.log");
            }).sorted().toList();
        }
        boolean compacted = mayHaveGaps;
        // The producers' state: from the latest snapshot taken at the base of a segment there is,
        // then the batches from that segment on (every segment is still checked).
        long snapshotBase = loadLatestSnapshot(files.stream().map(PartitionLog::baseOf).toList());
        List<LogSegment> recovered = new ArrayList<>();
        long nextOffset = -1;
        boolean cut = false;
        boolean deleted = false;
        LogSegment crcChecked = null;
        for (Path file : files) {
            long base = baseOf(file);
            if (cut || (nextOffset >= 0 && !LogSegment.follows(base, nextOffset, compacted))) {
                LOG.warn("{}: deleting segment {}: it does not follow offset {} of the segment before", topicPartition,
                        file.getFileName(), nextOffset);
                Files.delete(file);
                deleted = true;
                continue;
            }
            boolean tracked = base >= snapshotBase;
            if (tracked && base > 0 && !Files.exists(snapshotFile(base))) {
                producers.writeSnapshot(snapshotFile(base)); // a log written before snapshots were: the state as of here
            }
            LogSegment segment = LogSegment.open(file, base);
            // The last clean point is the last segment's start: a roll syncs the segment it closes
            // before the next exists, so a crash can tear only the last one. Reading every batch of
            // the others to check its CRC (Kafka does not either, below its recovery point) took a
            // restart seconds per few GB of log; consumers still check each batch they read.
            boolean last = file.equals(files.getLast());
            LogSegment.Recovery recovery = segment.recover(tracked ? producers : null, compacted, last);
            if (last) {
                crcChecked = segment;
            }
            cut = logCut(file, recovery);
            recovered.add(segment);
            nextOffset = Math.max(recovery.nextOffset(), base);
        }
        if (deleted) {
            Directories.sync(dir); // as truncateTo does
        }
        boolean recheckedLast = false;
        if (!recovered.isEmpty() && recovered.getLast() != crcChecked) {
            // The segment after it went (cut short, or not following): this one, checked by its
            // headers only, ends the log now, so its CRCs are checked too, as the last one's are.
            LogSegment unchecked = recovered.getLast();
            unchecked.close();
            // Its age as first read: a cut in the first pass changed the file's modification time.
            LogSegment segment = LogSegment.open(unchecked.file(), unchecked.baseOffset(), unchecked.createdAtMs());
            LogSegment.Recovery recovery = segment.recover(null, compacted, true);
            recheckedLast = logCut(segment.file(), recovery);
            recovered.set(recovered.size() - 1, segment);
            nextOffset = Math.max(recovery.nextOffset(), segment.baseOffset());
        }
        if (recovered.isEmpty()) {
            recovered.add(LogSegment.create(dir, 0, config.preallocate() ? config.segmentBytes() : 0, System.currentTimeMillis()));
            nextOffset = 0;
        }
        segments = recovered.toArray(LogSegment[]::new);
        logEndOffset = nextOffset;
        if (recheckedLast || snapshotBase > 0 && recovered.stream().noneMatch(segment -> segment.baseOffset() == snapshotBase)) {
            rebuildProducers(); // a torn segment before the snapshot's cut the log short of it, or the last one was cut again
        }
        deleteSnapshotsNotAtASegment();
        LogSegment active = active();
        visible = new Visible(nextOffset, active, active.size());
        Path start = dir.resolve(LOG_START_FILE);
        if (Files.exists(start)) {
            deletedBefore = Long.parseLong(Files.readString(start).trim());
        }
    }

    /** Whether recovery cut {@code file} short; logged if it did. */
    private boolean logCut(Path file, LogSegment.Recovery recovery) {
        if (recovery.preallocatedOnly()) {
            // Every stop but a clean one leaves the active segment at its preallocated size: no data.
            LOG.info("{}: trimmed {} bytes of preallocated space from {} after offset {}", topicPartition,
                    recovery.bytesCut(), file.getFileName(), recovery.nextOffset());
        } else if (recovery.bytesCut() > 0) {
            LOG.warn("{}: cut {} bytes from {} after offset {} ({})", topicPartition, recovery.bytesCut(),
                    file.getFileName(), recovery.nextOffset(), recovery.reason());
        }
        return recovery.bytesCut() > 0;
    }

    /**
     * Assigns the next offsets to every batch of {@code records} in place and writes them, rolling
     * the active segment first when it is full or old (not yet durable: see {@link #flush}). A
     * retried batch of an idempotent producer is not written again. Owner shard only.
     *
     * @return the offset of the first record (for a retried batch, the offset it got the first time)
     * @throws InvalidBatchException if a batch is not a valid v2 batch; nothing is written then
     * @throws org.apache.kafka.common.errors.OutOfOrderSequenceException   on a gap in a producer's sequence
     * @throws org.apache.kafka.common.errors.InvalidProducerEpochException for a fenced producer epoch
     */
    public long append(MemoryRecords records, long nowMs) throws IOException {
        requireNoFsyncFailure();
        int batches = 0;
        boolean idempotent = false;
        for (MutableRecordBatch batch : records.batches()) {
            requireValid(batch);
            batches++;
            idempotent |= batch.hasProducerId();
        }
        if (batches == 0) {
            throw new InvalidBatchException("no record batch in the request");
        }
        if (config.compact()) {
            for (MutableRecordBatch batch : records.batches()) {
                for (org.apache.kafka.common.record.internal.Record record : batch) {
                    if (!record.hasKey()) {
                        throw new org.apache.kafka.common.InvalidRecordException(
                                "a compacted topic keeps the latest record of each key, so every record needs a key");
                    }
                }
            }
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
        LogSegment active = activeFor(records, nowMs);
        long baseOffset = logEndOffset;
        for (MutableRecordBatch batch : records.batches()) {
            // The base offset is outside the CRC, so assigning it in place keeps the batch valid.
            batch.setLastOffset(logEndOffset + (batch.lastOffset() - batch.baseOffset()));
            batch.setPartitionLeaderEpoch(0);
            producers.onAppend(batch);
            logEndOffset = batch.nextOffset();
        }
        pendingBytes += active.append(records);
        unsynced = true;
        return baseOffset;
    }

    /** Refuses a batch that is not record batch format v2 or whose checksum fails. */
    public static void requireValid(RecordBatch batch) {
        if (batch.magic() != RecordBatch.MAGIC_VALUE_V2) {
            throw new InvalidBatchException("only record batch format v2 is supported, got magic " + batch.magic());
        }
        try {
            batch.ensureValid();
        } catch (CorruptRecordException e) {
            throw new InvalidBatchException(e.getMessage());
        }
    }

    /** The active segment, rolled first when {@code records} would overfill it or it is old. */
    private LogSegment activeFor(MemoryRecords records, long nowMs) throws IOException {
        LogSegment active = active();
        if (active.size() > 0 && (active.size() + records.sizeInBytes() > config.segmentBytes()
                || nowMs - active.createdAtMs() >= config.segmentMs())) {
            active = roll(nowMs);
        }
        return active;
    }

    /**
     * Appends batches a replica copies from its partition's leader as they are, offsets kept
     * (Kafka's appendAsFollower): they were checked when the leader wrote them, and the producers'
     * state follows them as it did there. Refuses a batch that does not start at the log end (in a
     * compacted topic, one that starts before it: compaction leaves gaps).
     * Owner only (in a cluster, the thread that writes the replica).
     */
    public void appendReplica(MemoryRecords records, long nowMs) throws IOException {
        requireNoFsyncFailure();
        long next = logEndOffset;
        boolean compacted = mayHaveGaps;
        for (MutableRecordBatch batch : records.batches()) {
            requireValid(batch);
            if (!LogSegment.follows(batch.baseOffset(), next, compacted)) {
                throw new InvalidBatchException(topicPartition + ": a copied batch starts at offset " + batch.baseOffset()
                        + ", the log at " + next);
            }
            next = batch.nextOffset();
        }
        if (next == logEndOffset) {
            return;
        }
        LogSegment active = activeFor(records, nowMs);
        for (MutableRecordBatch batch : records.batches()) {
            producers.onAppend(batch);
        }
        logEndOffset = next;
        pendingBytes += active.append(records);
        unsynced = true;
    }

    /**
     * Moves a compacted replica's log end to {@code offset} with a batch of no records, as
     * compaction leaves one in place of records it removed: the leader's compaction removed every
     * batch between this log's end and there, and the next entries must get the same offsets here
     * as on the leader. Owner only.
     */
    public void skipTo(long offset, long nowMs) throws IOException {
        if (!mayHaveGaps) {
            throw new InvalidBatchException(topicPartition + ": only a compacted log has gaps, and this one ends at "
                    + logEndOffset + ", not " + offset);
        }
        if (offset <= logEndOffset) {
            return;
        }
        ByteBuffer empty = ByteBuffer.allocate(DefaultRecordBatch.RECORD_BATCH_OVERHEAD);
        DefaultRecordBatch.writeEmptyHeader(empty, RecordBatch.CURRENT_MAGIC_VALUE,
                RecordBatch.NO_PRODUCER_ID, RecordBatch.NO_PRODUCER_EPOCH, RecordBatch.NO_SEQUENCE, logEndOffset, offset - 1,
                RecordBatch.NO_PARTITION_LEADER_EPOCH, TimestampType.CREATE_TIME,
                RecordBatch.NO_TIMESTAMP, false, false); // no time of its own: the segment's age stays its records'
        appendReplica(MemoryRecords.readableRecords(empty.flip()), nowMs);
    }

    /** Appends with the current time deciding an age roll. */
    public long append(MemoryRecords records) throws IOException {
        return append(records, System.currentTimeMillis());
    }

    private static long baseOf(Path segmentFile) {
        return Long.parseLong(segmentFile.getFileName().toString().substring(0, 20));
    }

    /** The producers' state as of {@code base}, the base offset of a segment. */
    private Path snapshotFile(long base) {
        return dir.resolve(String.format("%020d", base) + SNAPSHOT);
    }

    /**
     * Loads the latest readable snapshot taken at one of {@code bases}; its base, or 0 (the state
     * then starts empty, from the first segment). An unreadable snapshot is set aside as {@code .corrupt}.
     */
    private long loadLatestSnapshot(List<Long> bases) throws IOException {
        List<Long> newestFirst = new ArrayList<>(bases);
        newestFirst.sort(java.util.Comparator.reverseOrder());
        for (long base : newestFirst) {
            Path file = snapshotFile(base);
            if (base > 0 && Files.exists(file)) {
                if (producers.readSnapshot(file)) {
                    return base;
                }
                LOG.warn("{}: producer snapshot {} is unreadable (cut short or corrupt); set aside as .corrupt", topicPartition,
                        file.getFileName());
                Files.move(file, file.resolveSibling(file.getFileName() + ".corrupt"), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        producers.clear();
        return 0;
    }

    /** The producers' state from the latest snapshot of a segment there is, and the batches after it. */
    private void rebuildProducers() throws IOException {
        long from = loadLatestSnapshot(Arrays.stream(segments).map(LogSegment::baseOffset).toList());
        for (LogSegment segment : segments) {
            if (segment.baseOffset() >= from) {
                for (var batch : segment.batches()) {
                    producers.onAppend(batch);
                }
            }
        }
    }

    /**
     * Deletes the snapshots of segments that are gone (cut by Raft, past a torn one, or removed by
     * a retention a crash interrupted before their snapshot went), and half-written ones.
     */
    private void deleteSnapshotsNotAtASegment() throws IOException {
        java.util.Set<Long> bases = new java.util.HashSet<>();
        for (LogSegment segment : segments) {
            bases.add(segment.baseOffset());
        }
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(SNAPSHOT + ".tmp") || name.matches("\\d{20}\\" + SNAPSHOT) && !bases.contains(baseOf(file))) {
                    Files.delete(file);
                }
            }
        }
    }

    /**
     * Closes the active segment (durably: it is flushed here) and starts a new one at the log end
     * offset, with the producers' state as of there in a snapshot.
     */
    private LogSegment roll(long nowMs) throws IOException {
        requireNoFsyncFailure();
        LogSegment old = active();
        // Trimmed first, so that the sync covers the size too (fdatasync writes a size change): a
        // closed segment left at its preallocated length, zeros past its data, would read at the
        // next start as a torn segment, and every segment after it would go.
        old.trim();
        try {
            old.flush();
        } catch (java.nio.channels.ClosedChannelException e) {
            throw e; // closed by oms (a shutdown), not a failing disk
        } catch (IOException e) {
            throw fsyncFailed(e);
        }
        producers.writeSnapshot(snapshotFile(logEndOffset));
        LogSegment next = LogSegment.create(dir, logEndOffset, config.preallocate() ? config.segmentBytes() : 0, nowMs);
        LogSegment[] rolled = Arrays.copyOf(segments, segments.length + 1);
        rolled[rolled.length - 1] = next;
        segments = rolled;
        return next;
    }

    /** True when appended batches wait for {@link #flush}. */
    public boolean hasPendingWrites() {
        return pendingBytes > 0 || unsynced;
    }

    /**
     * Makes every appended batch durable (fdatasync) and then visible to readers. One call covers
     * all batches appended since the last one: this is the group commit. Owner shard only.
     */
    public void flush() throws IOException {
        requireNoFsyncFailure(); // nothing written since becomes visible
        if (unsynced) {
            try {
                active().flush();
            } catch (java.nio.channels.ClosedChannelException e) {
                throw e; // closed by oms (a shutdown), not a failing disk
            } catch (IOException e) {
                throw fsyncFailed(e);
            }
            unsynced = false;
        }
        if (pendingBytes > 0) {
            publish();
        }
    }

    /**
     * Makes appended batches visible without waiting for the disk: write caching, the documented
     * trade of durability for latency. A later {@link #flush} makes them durable. Owner shard only.
     */
    public void publishUnflushed() {
        if (pendingBytes > 0 && fsyncFailure == null) { // a roll's failed fsync may have covered them
            publish();
        }
    }

    private void publish() {
        pendingBytes = 0;
        LogSegment active = active();
        visible = new Visible(logEndOffset, active, active.size());
        notifyHighWatermarkMoved();
    }

    private void notifyHighWatermarkMoved() {
        CompletableFuture<Void> moved = highWatermarkMoved;
        highWatermarkMoved = new CompletableFuture<>();
        moved.complete(null);
        for (Runnable listener : highWatermarkListeners) {
            listener.run();
        }
    }

    /**
     * Where the log ends now: the offset the next record gets and the byte position after the last
     * batch in the active segment. A replicated partition notes it per Raft entry, to make the
     * entry visible once committed ({@link #publishUpTo}) or to cut it if it is not ({@link #truncateTo}).
     */
    public record End(long offset, long segmentBase, int position) {
    }

    /** Where the log ends now. Owner only. */
    public End end() {
        LogSegment active = active();
        return new End(logEndOffset, active.baseOffset(), active.size());
    }

    /**
     * Makes appended batches durable without making them visible: a replicated partition shows a
     * batch only once a majority holds it ({@link #publishUpTo}). May run beside {@link #append}
     * on another thread (Raft syncs on its log worker while the next entries are written): it
     * forces the active segment unconditionally, and a roll forces the segment it closes, so
     * every batch appended before the call is on disk when it returns.
     */
    public void sync() throws IOException {
        while (true) {
            LogSegment active = active();
            requireNoFsyncFailure();
            try {
                active.flush();
                return;
            } catch (java.nio.channels.ClosedChannelException e) {
                if (active() == active) {
                    throw e; // closed by oms (a shutdown), not a failing disk
                }
                // Raft cut its entries meanwhile ({@link #truncateTo} closed it): sync the segment now active.
            } catch (IOException e) {
                throw fsyncFailed(e);
            }
        }
    }

    /**
     * Moves the high watermark to {@code end} (an end noted earlier and still in the log); never
     * backwards. The one thread that applies committed entries calls it.
     */
    public void publishUpTo(End end) {
        if (end.offset() <= visible.highWatermark() || fsyncFailure != null) {
            return;
        }
        visible = new Visible(end.offset(), segmentAt(end.segmentBase()), end.position());
        notifyHighWatermarkMoved();
    }

    /**
     * Hides everything past {@code end} from readers, once, right after opening a replicated
     * partition: what was written but not yet known committed stays invisible until it is.
     */
    public void hideAfter(End end) {
        visible = new Visible(end.offset(), segmentAt(end.segmentBase()), end.position());
    }

    /** Where the log starts: {@link #hideAfter} this to show nothing. */
    public End start() {
        return new End(segments[0].baseOffset(), segments[0].baseOffset(), 0);
    }

    /**
     * The bytes appended between two ends (one append: a roll in it puts the batches at the start
     * of the new segment), as written, for a follower that needs them again.
     */
    public ByteBuffer bytesBetween(End from, End to) throws IOException {
        int start = from.segmentBase() == to.segmentBase() ? from.position() : 0;
        return checked(segmentAt(to.segmentBase()).readBytes(start, to.position()));
    }

    /**
     * {@code bytes}, once every batch in it matched its CRC: what goes to another replica is
     * checked here, since a restart checks only the last segment's CRCs and a follower that refused
     * a batch would be stuck on it.
     */
    private ByteBuffer checked(ByteBuffer bytes) {
        for (RecordBatch batch : MemoryRecords.readableRecords(bytes.duplicate()).batches()) {
            batch.ensureValid();
        }
        return bytes;
    }

    /** The segment starting at {@code base}; searched from the newest, where replication works. */
    private LogSegment segmentAt(long base) {
        LogSegment[] segs = segments;
        for (int i = segs.length - 1; i >= 0; i--) {
            if (segs[i].baseOffset() == base) {
                return segs[i];
            }
        }
        throw new IllegalStateException(topicPartition + ": no segment at " + base);
    }

    /**
     * Removes every batch from {@code end} on (Raft entries a new leader did not keep): later
     * segments go, the one holding {@code end} is cut there, and the producer state is rebuilt
     * from what remains. Nothing visible may be cut, so readers, who see only what is below the
     * high watermark, are not disturbed. Owner only.
     */
    public void truncateTo(End end) throws IOException {
        if (end.offset() < visible.highWatermark()) {
            throw new IllegalStateException(topicPartition + ": cannot truncate to " + end.offset()
                    + " below the high watermark " + visible.highWatermark());
        }
        if (end.offset() >= logEndOffset) {
            return;
        }
        LogSegment[] segs = segments;
        int keep = 0;
        while (keep < segs.length && segs[keep].baseOffset() <= end.segmentBase()) {
            keep++;
        }
        if (keep == 0 || segs[keep - 1].baseOffset() != end.segmentBase()) {
            throw new IllegalStateException(topicPartition + ": no segment at " + end.segmentBase() + " to truncate to");
        }
        segments = Arrays.copyOf(segs, keep);
        for (int i = keep; i < segs.length; i++) {
            segs[i].close();
            Files.deleteIfExists(segs[i].file());
        }
        if (keep < segs.length) {
            // Durably gone: come back after a crash, a later segment would make the one cut here,
            // which takes new entries, a closed one whose CRCs the next start does not check.
            Directories.sync(dir);
        }
        segs[keep - 1].truncateTo(end.position());
        logEndOffset = end.offset();
        deleteSnapshotsNotAtASegment();
        rebuildProducers();
        LOG.warn("{}: truncated to offset {} (uncommitted Raft entries replaced)", topicPartition, end.offset());
    }

    /** Runs {@code listener} (quick, on the owner shard's thread) every time the high watermark moves. */
    public void onHighWatermarkMoved(Runnable listener) {
        highWatermarkListeners.add(listener);
    }

    /**
     * Housekeeping on the shard's clock: rolls an old active segment, applies retention by time and
     * size to closed segments, and deletes the files of segments removed a while ago. Owner shard only.
     */
    public void maintain(long nowMs) throws IOException {
        if (fsyncFailure != null) {
            return; // no roll, retention or compaction on a log a restart must recover first
        }
        TopicConfig settings = config;
        LogSegment active = active();
        if (active.size() > 0 && nowMs - active.createdAtMs() >= settings.segmentMs() && !hasPendingWrites()) {
            roll(nowMs);
            publish();
        }
        Compaction pass = prepareCompaction(Long.MAX_VALUE, nowMs, () -> false);
        if (pass != null) {
            finishCompaction(pass, nowMs);
        }
        long total = sizeInBytes();
        for (String why; settings.deleteByRetention() && segments.length > 1
                && (why = retentionDue(segments[0], total, nowMs, settings)) != null; ) {
            LogSegment oldest = segments[0];
            dropOldest(nowMs);
            total -= oldest.size();
            LOG.info("{}: deleted segment at offset {} by retention ({}); log now starts at {}", topicPartition,
                    oldest.baseOffset(), why, segments[0].baseOffset());
        }
        deleteRemovedFiles(nowMs);
    }

    /**
     * Why retention removes {@code oldest} (a closed segment) from a log of {@code total} bytes:
     * "time" or "size"; null if it stays.
     */
    private static String retentionDue(LogSegment oldest, long total, long nowMs, TopicConfig settings) {
        long newest = oldest.maxTimestamp() >= 0 ? oldest.maxTimestamp() : oldest.createdAtMs();
        if (settings.retentionMs() >= 0 && newest < nowMs - settings.retentionMs()) {
            return "time";
        }
        return settings.retentionBytes() >= 0 && total - oldest.size() >= settings.retentionBytes() ? "size" : null;
    }

    /**
     * Where retention would start the log now: the base offset of the first segment it keeps (a
     * replicated partition's leader asks, and the cluster moves every replica's start there).
     */
    public long retentionPoint(long nowMs) {
        TopicConfig settings = config;
        LogSegment[] segs = segments;
        long total = 0;
        for (LogSegment segment : segs) {
            total += segment.size();
        }
        int first = 0;
        while (settings.deleteByRetention() && first < segs.length - 1
                && retentionDue(segs[first], total, nowMs, settings) != null) {
            total -= segs[first].size();
            first++;
        }
        return Math.max(segs[first].baseOffset(), logStartOffset());
    }

    /**
     * Removes the whole segments before {@code offset} (never the active one, nor the segment at
     * {@code keepSegment} or after it), a replicated partition's retention once the cluster has
     * moved its start past them, and deletes the files of segments removed a while ago. Owner only.
     *
     * @return how many segments went
     */
    public int dropSegmentsBefore(long offset, long keepSegment, long nowMs) throws IOException {
        int dropped = 0;
        while (segments.length > 1 && segments[1].baseOffset() <= offset && segments[0].baseOffset() < keepSegment) {
            dropOldest(nowMs);
            dropped++;
        }
        deleteRemovedFiles(nowMs);
        return dropped;
    }

    private void deleteRemovedFiles(long nowMs) throws IOException {
        while (!pendingDeletes.isEmpty() && pendingDeletes.peek().atMs() <= nowMs) {
            pendingDeletes.poll().segment().delete();
        }
    }

    /** The base offset of the oldest segment kept: what a replica copying this log can get. */
    public long firstSegmentBase() {
        return segments[0].baseOffset();
    }

    /**
     * The producers' state as of the start of the segment at {@code base}, as its snapshot file
     * holds it (empty at offset 0, where there are none yet), for a replica that starts its copy there.
     */
    public byte[] producerSnapshotAt(long base) throws IOException {
        if (base == 0) {
            return new byte[0];
        }
        Path file = snapshotFile(base);
        if (!Files.exists(file)) {
            throw new IOException(topicPartition + ": no producer snapshot at offset " + base);
        }
        return Files.readAllBytes(file);
    }

    /**
     * Starts this log afresh at {@code base}, empty, with the producers' state {@code producerSnapshot}
     * (a snapshot file's bytes; none at offset 0): a replica that copies its partition's leader from
     * where the leader's log starts ({@link #producerSnapshotAt} there), or that starts over empty.
     * Everything here goes, old files first: a crash midway leaves fewer of them, never a mix.
     * Owner only, while the replica serves no one (it follows).
     */
    public void resetTo(long base, byte[] producerSnapshot, long nowMs) throws IOException {
        requireNoFsyncFailure();
        LogSegment[] old = segments;
        for (LogSegment segment : old) {
            segment.close();
            Files.deleteIfExists(segment.file());
        }
        if (base > 0) {
            Directories.writeDurably(snapshotFile(base), ByteBuffer.wrap(producerSnapshot));
        }
        LogSegment fresh = LogSegment.create(dir, base, config.preallocate() ? config.segmentBytes() : 0, nowMs);
        fresh.flush();
        segments = new LogSegment[] {fresh};
        visible = new Visible(base, fresh, 0);
        logEndOffset = base;
        pendingBytes = 0;
        unsynced = false;
        Files.deleteIfExists(dir.resolve(LOG_START_FILE));
        deletedBefore = 0;
        startAt(base);
        deleteSnapshotsNotAtASegment();
        if (loadLatestSnapshot(List.of(base)) != base && base > 0) {
            throw new IOException(topicPartition + ": the producer snapshot at " + base + " is unreadable");
        }
        LOG.warn("{}: started afresh at offset {}", topicPartition, base);
    }

    /**
     * A pass of compaction prepared by {@link #prepareCompaction}: the segments it read, and for
     * those whose records were superseded, their cleaned files.
     */
    public static final class Compaction {
        private final Map<LogSegment, Path> cleaned;
        private final long coveredUpTo;

        private Compaction(Map<LogSegment, Path> cleaned, long coveredUpTo) {
            this.cleaned = cleaned;
            this.coveredUpTo = coveredUpTo;
        }
    }

    /**
     * The first half of a compaction pass, the long one, which changes nothing the log reads: over
     * the closed segments before {@code rewriteBefore}, once that set changed since the last pass,
     * finds the latest record of each key and writes each segment that holds superseded records
     * again, filtered, to a {@code .cleaned} file. Null when there is nothing to do, or when
     * {@code cancelled} said so between two segments (the replica closes). Any one thread at a
     * time; the owner may append meanwhile (a replicated partition compacts on its housekeeping
     * thread while Raft writes), and a segment the pass read may go meanwhile: its cleaned file is
     * then dropped by {@link #finishCompaction}.
     */
    public Compaction prepareCompaction(long rewriteBefore, long nowMs, java.util.function.BooleanSupplier cancelled)
            throws IOException {
        TopicConfig settings = config;
        LogSegment[] segs = segments;
        int count = 0;
        while (count < segs.length - 1 && segs[count].baseOffset() < rewriteBefore) {
            count++;
        }
        if (!settings.compact() || count == 0 || segs[count].baseOffset() == cleanedUpTo) {
            return null; // none closed, or no segment joined the set since the last pass
        }
        List<LogSegment> closed = Arrays.asList(Arrays.copyOf(segs, count));
        LogCleaner.Latest latest = LogCleaner.latest(closed, cancelled);
        if (latest == null) {
            return null;
        }
        Compaction pass = new Compaction(new java.util.LinkedHashMap<>(), segs[count].baseOffset());
        boolean prepared = false;
        try {
            for (LogSegment old : closed) {
                if (cancelled.getAsBoolean()) {
                    return null;
                }
                LogCleaner.clean(old, latest, nowMs, settings.deleteRetentionMs()).ifPresent(file -> pass.cleaned.put(old, file));
            }
            prepared = true;
            return pass;
        } finally {
            if (!prepared) {
                abandon(pass);
            }
        }
    }

    /**
     * The second half of a compaction pass, short: swaps each cleaned file in for its segment (renamed
     * to {@code .swap} first, so that a crash at any step is finished or undone on recovery); a
     * segment that went meanwhile has its cleaned file dropped instead. Owner only (in a cluster,
     * under the replica's lock on its segments).
     */
    public void finishCompaction(Compaction pass, long nowMs) throws IOException {
        for (var entry : pass.cleaned.entrySet()) {
            LogSegment old = entry.getKey();
            if (!Arrays.asList(segments).contains(old)) {
                Files.deleteIfExists(entry.getValue());
                continue;
            }
            Path swap = old.file().resolveSibling(old.file().getFileName() + SWAP);
            Files.move(entry.getValue(), swap, StandardCopyOption.ATOMIC_MOVE);
            Path live = old.file();
            old.markDeleted();
            Files.move(swap, live, StandardCopyOption.ATOMIC_MOVE);
            LogSegment replacement = LogSegment.open(live, old.baseOffset());
            replacement.recover(null, true, true);
            // Only now: a failure before leaves the old segment readable (its file open, renamed),
            // and the next start finishes the swap.
            pendingDeletes.add(new PendingDelete(old, nowMs + FILE_DELETE_DELAY_MS));
            LogSegment[] now = segments;
            LogSegment[] swapped = Arrays.copyOf(now, now.length);
            for (int i = 0; i < swapped.length; i++) {
                if (swapped[i] == old) {
                    swapped[i] = replacement;
                }
            }
            segments = swapped;
        }
        cleanedUpTo = pass.coveredUpTo;
    }

    /** Drops a pass's cleaned files not swapped in (all of them when it was not finished; none when it was). */
    public void abandon(Compaction pass) throws IOException {
        for (Path file : pass.cleaned.values()) {
            Files.deleteIfExists(file);
        }
    }

    /** A crash during compaction leaves a {@code .cleaned} file (drop it) or a {@code .swap} file (finish it). */
    private void finishInterruptedCleaning() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (Path file : files.toList()) {
                String name = file.getFileName().toString();
                if (name.endsWith(LogCleaner.CLEANED)) {
                    Files.delete(file);
                } else if (name.endsWith(SWAP)) {
                    Path live = file.resolveSibling(name.substring(0, name.length() - SWAP.length()));
                    Files.move(file, live, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    LOG.info("{}: finished swapping in the compacted {}", topicPartition, live.getFileName());
                }
            }
        }
    }

    /**
     * Applies new settings (AlterConfigs); they take effect at the next append or maintenance, and
     * {@code preallocate} and {@code segment.bytes}' preallocated size at the next segment, as in
     * Kafka. Any thread.
     */
    public void configure(TopicConfig newConfig) throws IOException {
        if (newConfig.compact()) {
            markCompacted(); // durably before compaction can leave a gap
        }
        this.config = newConfig;
    }

    private void markCompacted() throws IOException {
        if (!mayHaveGaps) {
            Directories.createDurably(dir.resolve(COMPACTED_FILE));
            mayHaveGaps = true;
        }
    }

    /** True when offsets may have gaps: the topic is, or once was, compacted. */
    public boolean mayHaveGaps() {
        return mayHaveGaps;
    }

    public TopicConfig config() {
        return config;
    }

    /** Completes the next time the high watermark moves. Any thread. */
    public CompletableFuture<Void> highWatermarkMoved() {
        return highWatermarkMoved;
    }

    /**
     * Visible batches from {@code fromOffset} (the batch containing it first), at most
     * {@code maxBytes} unless the first batch alone is larger, as Kafka's fetch does. Empty when
     * {@code fromOffset} is at or past the high watermark. Any thread.
     */
    public Records read(long fromOffset, int maxBytes) {
        return readVisible(Math.max(fromOffset, deletedBefore), maxBytes);
    }

    /**
     * As {@link #read}, records before the log start too while their segment is kept: what a
     * replica that copies this log needs, whose copy must hold the same batches at the same offsets.
     */
    public ByteBuffer readForReplica(long fromOffset, int maxBytes) throws IOException {
        Records records = readVisible(fromOffset, maxBytes);
        if (records instanceof MemoryRecords memory) {
            return memory.buffer().duplicate();
        }
        ByteBuffer copy = ByteBuffer.allocate(records.sizeInBytes());
        ((FileRecords) records).readInto(copy, 0); // flips it
        return checked(copy);
    }

    private Records readVisible(long fromOffset, int maxBytes) {
        Visible v = visible;
        LogSegment[] segs = segments;
        if (fromOffset >= v.highWatermark()) {
            return MemoryRecords.EMPTY;
        }
        for (int i = floorSegment(segs, fromOffset); i >= 0 && i < segs.length; i++) {
            LogSegment segment = segs[i];
            if (segment.baseOffset() > v.segment().baseOffset()) {
                break;
            }
            int end = segment == v.segment() ? v.bytes() : segment.size();
            Records records = segment.read(fromOffset, maxBytes, end);
            if (records.sizeInBytes() > 0) {
                return records;
            }
        }
        return MemoryRecords.EMPTY;
    }

    /**
     * The first visible record whose timestamp is at or after {@code timestamp} (ListOffsets), or
     * empty. Any thread.
     */
    public Optional<FileRecords.TimestampAndOffset> offsetForTimestamp(long timestamp) {
        long hw = visible.highWatermark();
        long start = logStartOffset(); // records before it are deleted, even where their segment is kept
        for (LogSegment segment : segments) {
            if (segment.baseOffset() >= hw) {
                break;
            }
            Optional<FileRecords.TimestampAndOffset> found = segment.offsetForTimestamp(timestamp, start, hw);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * The first visible record with the partition's largest timestamp (ListOffsets MAX_TIMESTAMP,
     * KIP-734), or empty when it holds none. Any thread.
     */
    public Optional<FileRecords.TimestampAndOffset> offsetOfMaxTimestamp() {
        long hw = visible.highWatermark();
        long max = RecordBatch.NO_TIMESTAMP;
        for (LogSegment segment : segments) {
            if (segment.baseOffset() >= hw) {
                break;
            }
            max = Math.max(max, segment.maxTimestamp());
        }
        return max == RecordBatch.NO_TIMESTAMP ? Optional.empty() : offsetForTimestamp(max);
    }

    private static int floorSegment(LogSegment[] segs, long offset) {
        int lo = 0, hi = segs.length - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (segs[mid].baseOffset() <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found;
    }

    private LogSegment active() {
        return segments[segments.length - 1];
    }

    private IOException fsyncFailed(IOException e) {
        if (fsyncFailure == null) {
            fsyncFailure = e;
            LOG.error("{}: fsync failed; the partition takes no more writes until oms restarts and recovers it",
                    topicPartition, e);
        }
        return noWrites();
    }

    /** True once an fsync of this log failed: it takes no more writes until a restart. */
    public boolean fsyncFailed() {
        return fsyncFailure != null;
    }

    private void requireNoFsyncFailure() throws IOException {
        if (fsyncFailure != null) {
            throw noWrites();
        }
    }

    private IOException noWrites() {
        return new IOException(topicPartition + ": an fsync failed (" + fsyncFailure
                + "), so what was written after the last good one may not be on disk: no more writes until a restart"
                + " recovers the log", fsyncFailure);
    }

    /** The partition's directory. */
    public Path directory() {
        return dir;
    }

    public TopicPartition topicPartition() {
        return topicPartition;
    }

    /** The offset after the last visible record: what readers may see. */
    public long highWatermark() {
        return visible.highWatermark();
    }

    /** The offset the next appended record gets. Any thread (exact on the owner's). */
    public long logEndOffset() {
        return logEndOffset;
    }

    /** The first offset still in the log (retention moves it forward). */
    public long logStartOffset() {
        return Math.max(segments[0].baseOffset(), deletedBefore);
    }

    /**
     * Takes the oldest segment out of the log (retention, DeleteRecords): its file goes once readers
     * that hold it are done, its producer snapshot at once (the next segment's carries its producers).
     */
    private void dropOldest(long nowMs) throws IOException {
        LogSegment oldest = segments[0];
        segments = Arrays.copyOfRange(segments, 1, segments.length);
        oldest.markDeleted();
        Files.deleteIfExists(snapshotFile(oldest.baseOffset()));
        pendingDeletes.add(new PendingDelete(oldest, nowMs + FILE_DELETE_DELAY_MS));
    }

    /**
     * Deletes the records before {@code offset} (Kafka's DeleteRecords): the log start moves there
     * at once and durably; whole segments below it are removed. Owner shard only.
     *
     * @return the new log start offset
     */
    public long deleteRecordsBefore(long offset, long nowMs) throws IOException {
        long target = Math.min(offset, highWatermark());
        if (target <= logStartOffset()) {
            return logStartOffset();
        }
        startAt(target);
        while (segments.length > 1 && segments[1].baseOffset() <= target) {
            dropOldest(nowMs);
        }
        LOG.info("{}: records before {} deleted on request", topicPartition, target);
        return target;
    }

    /**
     * Hides the records before {@code offset} from readers, now and after a restart (durably),
     * and keeps their segments: a replicated partition's start, which the cluster decides and a
     * replica may reach before it has the records. Never moves the start back. Any thread.
     */
    public synchronized void startAt(long offset) throws IOException {
        if (offset <= deletedBefore) {
            return;
        }
        Directories.writeDurably(dir.resolve(LOG_START_FILE),
                ByteBuffer.wrap(Long.toString(offset).getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        deletedBefore = offset;
    }

    /** How many segment files the log has. */
    public int segmentCount() {
        return segments.length;
    }

    /** Bytes held by the log's segments. */
    public long sizeInBytes() {
        long total = 0;
        for (LogSegment segment : segments) {
            total += segment.size();
        }
        return total;
    }

    /** Flushes and closes every segment. Call after the owning shard has stopped. */
    @Override
    public void close() {
        try {
            if (fsyncFailure == null) {
                flush(); // after a failed fsync nothing more is published, nor synced
            }
            for (LogSegment segment : segments) {
                segment.close();
            }
            for (PendingDelete pending : pendingDeletes) {
                pending.segment().delete();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("closing " + topicPartition, e);
        }
    }

    /**
     * Deletes the partition's directory and files (DeleteTopics). Call once it is closed. The
     * directory is first renamed aside in one durable step ({@link Directories#delete}), so that a
     * crash halfway never leaves part of a partition to be opened again.
     */
    public void deleteFiles() throws IOException {
        Directories.delete(dir);
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("could not delete {}", file, e);
        }
    }
}
