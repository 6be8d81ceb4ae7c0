package dev.oms.streaming.cluster;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import dev.oms.streaming.storage.InvalidBatchException;
import dev.oms.streaming.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.MutableRecordBatch;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replicated partition: the Raft group's state machine, whose data is the partition log
 * itself (Ratis' data API, the pattern of Apache Ozone's container state machine). A produce
 * request's record batches travel as the entry's state-machine data: every replica writes them
 * once, to its segment, when Raft appends the entry ({@link #write}), and makes them durable when
 * Raft flushes ({@link #flush}), so an entry a majority acknowledged is on a majority's disks.
 * Raft's own log keeps only the entry's header. The high watermark moves when an entry is
 * committed and applied ({@link #applyTransaction}); entries a new leader did not keep are cut
 * from the segment ({@link #truncate}).
 *
 * <p>Offsets are assigned by each replica as it writes, in Raft's order, from identical logs, so
 * they agree everywhere; so do the idempotent producer's checks, which therefore run on every
 * replica and decide the same.
 *
 * <p>A snapshot records only where the applied entries end in the log (the records are already
 * in the segments) and where the log starts; it lets a restart show exactly the committed records
 * again at once. Raft's log is purged at each snapshot down to its last entries (whether every
 * member has them or not: {@link RaftNode}), and so is {@link RaftEntryIndex}: neither grows with
 * the partition. A lagging follower is sent the entries it lacks from the segments; one that
 * lacks entries purged everywhere (it was away too long, or its disk was replaced) copies the
 * records up to the leader's snapshot from the leader instead ({@link #install}). Segments roll
 * by size and age as they are written, and go once both the partition's start (DeleteRecords,
 * retention: entries of the group) and Raft's purge have passed them ({@link #cleanSegments}); in
 * a compacted topic, each replica compacts the segments Raft's purge has passed, as each Kafka
 * replica cleans its own log (the latest record of each key is kept everywhere; the copies may
 * differ in what superseded records they still hold).
 *
 * <p>Threads (Ratis 3.2): {@link #write} and {@link #truncate} run on the thread that appends to
 * Raft's log, under its lock, in index order; {@link #flush} on the log worker, beside them;
 * {@link #applyTransaction} and snapshots on the updater; {@link #read} and the leader's answers
 * to an installing follower ({@link #answer}) on Ratis' server threads; {@link #install} on a
 * thread of its own while Raft appends nothing here; {@link #cleanSegments} on the node's
 * housekeeping thread. The {@code writing} lock orders what changes the log's shape among them.
 */
final class PartitionStateMachine extends SnapshotFileStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionStateMachine.class);

    private final TopicPartition topicPartition;
    private final PartitionLog log;
    private final RaftEntryIndex entries;
    private final AtomicBoolean closed = new AtomicBoolean();
    /** Set once a write, flush or cut failed: the replica stops ({@link #stop}). */
    private final AtomicBoolean failed = new AtomicBoolean();
    /** Whether {@link #cutWhatRaftLost} ran since the start (on the thread that writes). */
    private boolean tailChecked;
    /** Where the applied entries end in the log. */
    private volatile PartitionLog.End applied;
    /** Where the latest snapshot says they end (a restart looks for that segment). */
    private volatile PartitionLog.End snapshotEnd;
    /** Raft's log of this group, once known. */
    private volatile RaftLog raftLog;
    /**
     * A query for the batches from an offset: kind, offset, most bytes; answered with the first
     * offset the leader still has, then the batches.
     */
    private static final byte RECORDS_QUERY = OWN_QUERIES;
    /** A query for the producers' state at a segment's base: kind, offset; answered with the snapshot file. */
    private static final byte PRODUCERS_QUERY = OWN_QUERIES + 1;
    /**
     * Held while the replica's log changes shape: Raft's writes and cuts (one thread), an install,
     * and segments leaving by retention or swapped in by compaction (which only try it, briefly).
     */
    private final java.util.concurrent.locks.ReentrantLock writing = new java.util.concurrent.locks.ReentrantLock();
    /**
     * Held through a pass of {@link #cleanSegments} and by {@link #close}: the log is never closed
     * or deleted under a pass (whose compaction reads and writes files outside {@link #writing}).
     */
    private final java.util.concurrent.locks.ReentrantLock housekeeping = new java.util.concurrent.locks.ReentrantLock();
    /** Bytes of batches an installing replica asks for at once. */
    private static final int INSTALL_FETCH_BYTES = 1 << 20;

    /**
     * Run, on a thread of its own, once an install failed and left the log neither as it was nor
     * whole ({@link #startOver}); null: the replica stops instead.
     */
    private final Runnable onStartOver;
    /** Set once by whichever comes first: {@link #close} (closing the log) or {@link #startOver} (handing it on). */
    private final AtomicBoolean logReleased = new AtomicBoolean();
    /** Set when the replica starts over: its log stays open, for the replica that follows. */
    private volatile boolean logHandedOn;

    PartitionStateMachine(TopicPartition topicPartition, PartitionLog log) throws IOException {
        this(topicPartition, log, null);
    }

    /**
     * A replica of {@code topicPartition} over {@code log}; {@code startOver} closes it and opens
     * another over the same log, emptied, when an install leaves the log unusable.
     */
    PartitionStateMachine(TopicPartition topicPartition, PartitionLog log, Runnable startOver) throws IOException {
        this.topicPartition = topicPartition;
        this.log = log;
        this.onStartOver = startOver;
        java.nio.file.Path file = log.directory().resolve(ENTRIES);
        if (!Files.exists(file) && log.end().offset() > log.start().offset()) {
            throw new IllegalStateException(topicPartition + " holds records written outside Raft (a single-node data"
                    + " directory?): a cluster node starts from its own, empty data directory");
        }
        this.entries = RaftEntryIndex.open(file);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        // What the segment holds past the last entry noted, or what a noted entry claims past the
        // segment's end, was never flushed by Raft: neither belongs to an entry Raft kept.
        log.hideAfter(log.start());
        RaftEntryIndex.Entry last = entries.last();
        while (last != null && last.end().offset() > log.end().offset()) {
            entries.truncateFrom(last.index());
            last = entries.last();
        }
        log.truncateTo(last == null ? log.start() : last.end());
        applied = log.start();
        SingleFileSnapshotInfo snapshot = initStorage(raftStorage);
        if (snapshot != null) {
            load(snapshot);
        }
        log.hideAfter(applied);
        LOG.info("{}: replica ready, {} records visible, log ends at {}", topicPartition, applied.offset(),
                log.end().offset());
    }

    /** Shows the records up to where {@code snapshot} says the applied entries end. */
    @Override
    protected void load(SingleFileSnapshotInfo snapshot) throws IOException {
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(snapshot.getFile().getPath())) {
            props.load(in);
        }
        PartitionLog.End end = endOf(props);
        snapshotEnd = end;
        // A leader applies what two followers hold before its own flush: its snapshot may name
        // records its own disk lost in a crash. Raft sends them again; until then they are not shown.
        PartitionLog.End written = log.end();
        applied = end.offset() > written.offset() ? written : end;
        log.hideAfter(applied);
    }

    private static PartitionLog.End endOf(Properties props) {
        return new PartitionLog.End(Long.parseLong(props.getProperty("offset")),
                Long.parseLong(props.getProperty("segment")), Integer.parseInt(props.getProperty("position")));
    }

    /**
     * Copies the records up to the leader's snapshot at {@code at}: cuts this replica back to what
     * it applied (committed, so alike on every replica), then fetches the leader's batches from
     * there, offsets kept. The entry index is emptied but for one entry at {@code at}, so that a
     * restart knows where the log ends; Raft sends the entries after it.
     *
     * <p>An {@value #INSTALLING} file marks the partition while it changes: a node that stops
     * before the install is whole starts the replica over, empty, its Raft log and snapshots gone
     * ({@link #startOverIfInstallCutShort}), as a replaced disk but for its term and vote. An install that fails here (the leader
     * went) puts the log back as it was and Raft notifies again; one that fails after the log
     * started afresh starts the replica over the same way without waiting for a restart
     * ({@link #startOver}).
     */
    @Override
    protected byte[] install(Leader leader, TermIndex at, byte[] leaderSnapshot) throws IOException {
        Properties theirs = new Properties();
        theirs.load(new java.io.StringReader(new String(leaderSnapshot, java.nio.charset.StandardCharsets.ISO_8859_1)));
        long target = Long.parseLong(theirs.getProperty("offset"));
        long start = Long.parseLong(theirs.getProperty("start", "0"));
        RaftLog ownLog = getServer().join().getDivision(getGroupId()).getRaftLog();
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
        while (getLastAppliedTermIndex().getIndex() < ownLog.getLastCommittedIndex()) { // nothing half applied
            if (System.nanoTime() > deadline) {
                throw new IOException(topicPartition + ": entries committed here were not applied within 30 s");
            }
            pause(10);
        }
        // Under writing, no call into Ratis' log: an append Ratis took before the install began
        // holds that log's lock while its write waits for writing.
        writing.lock();
        try {
            if (failed.get() || closed.get()) {
                throw new IOException(topicPartition + ": this replica stopped (or starts over)");
            }
            dev.oms.streaming.storage.Directories.createDurably(log.directory().resolve(INSTALLING));
            PartitionLog.End before = applied;
            long lastApplied = getLastAppliedTermIndex().getIndex();
            // Entries written past the last applied one (Raft holds them) would lose their records for good.
            RaftEntryIndex.Entry lastWritten = entries.last();
            boolean undoable = lastWritten == null || lastWritten.index() <= lastApplied;
            startedAfresh = false;
            log.truncateTo(before);
            entries.truncateFrom(lastApplied + 1);
            try {
                copyRecords(leader, target);
            } catch (IOException | RuntimeException e) {
                if (undoable && !startedAfresh) {
                    log.truncateTo(before); // as it was: the entries up to it are still noted
                    unmarkInstall(log.directory());
                } else {
                    startOver("copying the records of the leader's snapshot", e);
                }
                throw e;
            }
            try {
                return finishInstall(at, start);
            } catch (IOException | RuntimeException e) {
                stop("installing the leader's snapshot", e);
                throw e;
            }
        } finally {
            writing.unlock();
        }
    }

    /** Waits during an install. */
    private void pause(long millis) throws java.io.InterruptedIOException {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("installing a snapshot of " + topicPartition);
        }
    }

    /** The Raft index the last install (since the start) copied the records up to; -1 before one. */
    private volatile long installedThrough = -1;

    /** Whether the install under way started the log afresh (on its thread, under {@link #writing}). */
    private boolean startedAfresh;

    /** The install's snapshot could not be saved: the log holds the copy, Raft the old state. */
    @Override
    protected void installNotSaved(Throwable cause) {
        stop("saving the installed snapshot", cause);
    }

    /** Marks a partition whose replica is being changed by an install (see {@link #install}). */
    static final String INSTALLING = "installing";

    /**
     * At a node's start, before the replica opens: when an install of it was cut short (the node
     * stopped midway), empties its log and its entry index; true then, and its Raft group's log and
     * snapshots must go too before Raft starts ({@link ReplicatedLog#start}), which also removes the mark.
     */
    static boolean startOverIfInstallCutShort(TopicPartition tp, PartitionLog log) throws IOException {
        if (!installUnfinished(log)) {
            return false;
        }
        LOG.warn("{}: an install from the leader was cut short; the replica starts over, empty", tp);
        log.resetTo(0, new byte[0], System.currentTimeMillis());
        Files.deleteIfExists(log.directory().resolve(ENTRIES));
        dev.oms.streaming.storage.Directories.sync(log.directory()); // before Raft's state goes
        return true;
    }

    /** Whether {@code log} is marked by an install that did not finish (see {@link #install}). */
    static boolean installUnfinished(PartitionLog log) {
        return Files.exists(log.directory().resolve(INSTALLING));
    }

    /**
     * Removes the install's mark from the partition in {@code partitionDir}: the install is final,
     * undone, or the replica started over (its log emptied and Raft's log and snapshots gone).
     */
    static void unmarkInstall(Path partitionDir) throws IOException {
        Files.deleteIfExists(partitionDir.resolve(INSTALLING));
    }

    /** The entry index's file, beside the segments. */
    private static final String ENTRIES = "raft-entries";

    @Override
    protected void installed() throws IOException {
        unmarkInstall(log.directory());
    }

    /**
     * Ratis' hook for tests, as a configuration entry is applied (a new leader's first entry of its
     * term is one: it is ready once that is applied): the partition, the entry's term.
     */
    static final String APPLY_CONFIGURATION = "PartitionStateMachine.applyConfiguration";

    @Override
    public void notifyConfigurationChanged(long term, long index,
                                           org.apache.ratis.proto.RaftProtos.RaftConfigurationProto configuration) {
        org.apache.ratis.util.CodeInjectionForTesting.execute(APPLY_CONFIGURATION, topicPartition, null, term);
    }

    /** Ratis' hook for tests, at each ask of a copy: the partition, the offset asked from, whether the log started afresh. */
    static final String COPY_RECORDS = "PartitionStateMachine.copyRecords";

    /** Copies the leader's batches from this log's end up to {@code target}, starting afresh where retention left none. */
    private void copyRecords(Leader leader, long target) throws IOException {
        long emptySince = -1;
        while (log.end().offset() < target) {
            long from = log.end().offset();
            org.apache.ratis.util.CodeInjectionForTesting.execute(COPY_RECORDS, topicPartition, null, from, startedAfresh);
            if (closed.get()) { // its close waits for this copy to let go of the log (a deleted topic, a stop)
                throw new IOException(topicPartition + ": the replica closed during its copy from the leader");
            }
            ByteBuffer batches = leader.ask(ByteBuffer.allocate(13).put(RECORDS_QUERY).putLong(from)
                    .putInt(INSTALL_FETCH_BYTES).flip());
            long leaderFirst = batches.getLong();
            if (leaderFirst > target) {
                throw new IOException(topicPartition + ": the leader's log now starts at " + leaderFirst + ", past its snapshot"
                        + " at " + target + " (a newer one comes with the next notification)");
            }
            if (from < leaderFirst) {
                // Retention removed what this replica lacks from every log: start where the leader's starts.
                ByteBuffer producers = leader.ask(ByteBuffer.allocate(9).put(PRODUCERS_QUERY).putLong(leaderFirst).flip());
                byte[] snapshot = new byte[producers.remaining()];
                producers.get(snapshot);
                startedAfresh = true; // from here on the log cannot be put back
                log.resetTo(leaderFirst, snapshot, System.currentTimeMillis());
                continue;
            }
            batches = batches.slice();
            MemoryRecords upToTarget = MemoryRecords.readableRecords(batches.slice(0, bytesBefore(batches, target)));
            if (upToTarget.sizeInBytes() > 0) {
                log.appendReplica(upToTarget, System.currentTimeMillis());
            } else if (log.mayHaveGaps() && batches.hasRemaining()) {
                // Its first batch from here lies at or past its snapshot's end: its compaction
                // removed every batch before (a newer snapshot let it clean the segment that end
                // lies in). Nothing to copy, but the offsets up to there are taken.
                log.skipTo(target, System.currentTimeMillis());
            } else {
                // No batch at all proves nothing (a new leader that has not applied up to there
                // yet, its first segment deleted under the read): asked again, for a while.
                long now = System.nanoTime();
                emptySince = emptySince < 0 ? now : emptySince;
                if (now - emptySince > java.util.concurrent.TimeUnit.SECONDS.toNanos(30)) {
                    throw new IOException(topicPartition + ": the leader sent no records from offset " + from
                            + " for 30 s (its snapshot ends at " + target + ")");
                }
                pause(100);
                continue;
            }
            emptySince = -1;
        }
        log.sync();
    }

    /** The copy is whole: the entry index notes only where it ends; returns this replica's snapshot at {@code at}. */
    private byte[] finishInstall(TermIndex at, long start) throws IOException {
        log.startAt(start);
        PartitionLog.End end = log.end();
        entries.truncateFrom(Long.MIN_VALUE); // Raft holds none of them from now on
        entries.append(new RaftEntryIndex.Entry(at.getIndex(), -1, (short) 0, end, end, null));
        entries.sync();
        installedThrough = at.getIndex();
        log.publishUpTo(end);
        applied = end;
        snapshotEnd = end;
        LOG.info("{}: copied the records up to offset {} from the leader", topicPartition, end.offset());
        java.io.StringWriter own = new java.io.StringWriter();
        snapshotProperties(end, start).store(own, topicPartition + ": where the applied entries end in the log");
        return own.toString().getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    /** The length of the whole batches at the start of {@code batches} that lie before {@code offset}. */
    private static int bytesBefore(ByteBuffer batches, long offset) {
        int length = 0;
        for (MutableRecordBatch batch : MemoryRecords.readableRecords(batches.duplicate()).batches()) {
            if (batch.baseOffset() >= offset) {
                break;
            }
            length += batch.sizeInBytes();
        }
        return length;
    }

    /** The leader's batches for an installing replica ({@link #install}). */
    @Override
    protected ByteBuffer answer(ByteBuffer request) throws IOException {
        if (request.get(0) == PRODUCERS_QUERY) {
            return ByteBuffer.wrap(log.producerSnapshotAt(request.getLong(1)));
        }
        if (request.get(0) != RECORDS_QUERY) {
            return super.answer(request);
        }
        long first = log.firstSegmentBase(); // before the read: a segment may go meanwhile
        ByteBuffer batches = log.readForReplica(Math.max(first, request.getLong(1)), request.getInt(9));
        return ByteBuffer.allocate(8 + batches.remaining()).putLong(first).put(batches).flip();
    }

    /**
     * Removes the segments wholly before both the partition's start (moved by the cluster:
     * DeleteRecords, retention) and the records of the oldest entry Raft may still send a follower;
     * in a compacted topic, compacts the segments before that entry's too.
     *
     * @return how many segments went
     */
    int cleanSegments(long nowMs) throws IOException {
        if (!getServer().isDone()) {
            return 0; // not joined yet: the next look
        }
        housekeeping.lock();
        try {
            if (closed.get() || failed.get() || !writing.tryLock()) {
                return 0; // closed or stopped, or an install copies: the next look
            }
            long keepSegment;
            int dropped;
            try {
                long raftStart;
                try {
                    raftStart = raftLog().getStartIndex();
                } catch (IOException | IllegalStateException notYet) {
                    return 0; // the group is still being added here
                }
                RaftEntryIndex.Entry oldest = entries.ceiling(raftStart);
                PartitionLog.End needed = oldest == null ? applied : oldest.start();
                PartitionLog.End snapshot = snapshotEnd;
                // Ends name their segment: an end at a segment's last byte names it though the next
                // entry's records are in the next one, so the segments so named stay too.
                keepSegment = Math.min(needed.segmentBase(), Math.min(applied.segmentBase(),
                        snapshot == null ? Long.MAX_VALUE : snapshot.segmentBase()));
                dropped = log.dropSegmentsBefore(Math.min(log.logStartOffset(), needed.offset()), keepSegment, nowMs);
            } finally {
                writing.unlock();
            }
            compactBefore(keepSegment, nowMs);
            return dropped;
        } finally {
            housekeeping.unlock();
        }
    }

    /**
     * Compacts the segments before {@code keepSegment} (a compacted topic's): they hold committed
     * records only, and nothing Raft may still send, cut or restart from points into them. The
     * reading and rewriting happen while Raft goes on writing (a pass over a large log takes longer
     * than an election timeout); only the swap waits for the lock on the segments.
     */
    private void compactBefore(long keepSegment, long nowMs) throws IOException {
        PartitionLog.Compaction pass = log.prepareCompaction(keepSegment, nowMs, closed::get);
        if (pass == null) {
            return;
        }
        boolean locked = false;
        try {
            locked = writing.tryLock(1, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            if (locked && !closed.get() && !failed.get()) {
                log.finishCompaction(pass, nowMs); // drops what an install removed meanwhile
            }
        } finally {
            // What was not swapped in: all of it when an install held the lock (the next look starts
            // again) or the replica closed, the rest when the swap failed, nothing when it was done.
            log.abandon(pass);
            if (locked) {
                writing.unlock();
            }
        }
    }

    /**
     * Where retention would start the partition now ({@link PartitionLog#retentionPoint}), never
     * past the committed records.
     */
    long retentionPoint(long nowMs) {
        return Math.min(log.retentionPoint(nowMs), log.highWatermark());
    }

    long logStartOffset() {
        return log.logStartOffset();
    }

    /**
     * Marks an entry that moves the partition's start (DeleteRecords) instead of appending: eight
     * bytes no producer sends as a batch's base offset, then the offset; 16 bytes, shorter than
     * any record batch. It travels in Raft's own log (log data), so no replica writes or reads it
     * as records; each applies it in its place in the log.
     */
    private static final long START_AT = 0x6f6d732d73746172L; // "oms-star"

    /** The entry that makes the records before {@code offset} go. */
    static ByteString startAt(long offset) {
        return UnsafeByteOperations.unsafeWrap(ByteBuffer.allocate(16).putLong(START_AT).putLong(offset).flip());
    }

    /** The offset of a {@link #startAt} entry's data, or -1 for any other data. */
    private static long startAtOf(ByteString data) {
        if (data.size() != 16) {
            return -1; // every produce: no view made of its bytes
        }
        ByteBuffer buf = data.asReadOnlyByteBuffer();
        return buf.getLong(0) == START_AT ? buf.getLong(8) : -1;
    }

    /** Refuses a request that is not a valid v2 batch before it takes a place in Raft's log. */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        ByteString data = request.getMessage().getContent();
        if (startAtOf(data) >= 0) {
            return TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request).setLogData(data).build();
        }
        // A private copy, checked here and written by this leader's write(): a read-only buffer
        // (all a ByteString gives) hides its array, and Kafka's CRC then goes byte by byte (40% of
        // the connection threads' CPU under full produce load).
        byte[] bytes = data.toByteArray();
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        int batches = 0;
        try {
            for (MutableRecordBatch batch : records.batches()) {
                PartitionLog.requireValid(batch);
                batches++;
            }
        } catch (CorruptRecordException e) { // the batches' framing itself
            throw new InvalidBatchException(e.getMessage());
        }
        if (batches == 0) {
            throw new InvalidBatchException("no record batch in the request");
        }
        return TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request)
                .setLogData(ByteString.EMPTY).setStateMachineData(data).setStateMachineContext(bytes).build();
    }

    /** On every replica, in Raft's order, as the entry is appended: the batches go to the segment. */
    @Override
    public CompletableFuture<?> write(LogEntryProto entry, TransactionContext context) {
        if (failed.get()) {
            return stopped();
        }
        try {
            writing.lock();
            try {
                byte[] copy = null;
                if (context != null) { // this leader's: taken once, not kept while the client waits
                    copy = (byte[]) context.getStateMachineContext();
                    context.setStateMachineContext(null);
                }
                writeEntry(entry, copy);
            } finally {
                writing.unlock();
            }
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stop("writing Raft entry " + entry.getIndex(), e);
        }
    }

    /** {@code copy}: the entry's records as this leader's startTransaction copied them, or null. */
    private void writeEntry(LogEntryProto entry, byte[] copy) throws IOException {
        if (entry.getIndex() <= installedThrough) {
            // An append Ratis took before an install began, written after it: the copy holds its records.
            LOG.info("{}: Raft entry {} is part of the copy installed up to entry {}; not written again", topicPartition,
                    entry.getIndex(), installedThrough);
            return;
        }
        RaftEntryIndex.Entry known = entries.ceiling(entry.getIndex());
        if (known != null) {
            // Raft writes this index again (after a restart, or a leader's replacement): cut first.
            cut(entry.getIndex());
        }
        if (!tailChecked) {
            cutWhatRaftLost(entry.getIndex());
            tailChecked = true;
        }
        ByteString data = entry.getStateMachineLogEntry().getStateMachineEntry().getStateMachineData();
        byte[] bytes = copy != null ? copy : data.toByteArray(); // offsets are assigned in place: a private copy
        MemoryRecords records = MemoryRecords.readableRecords(ByteBuffer.wrap(bytes));
        PartitionLog.End start = log.end();
        long ack = -1;
        short error = 0;
        try {
            ack = log.append(records, System.currentTimeMillis());
        } catch (IOException e) {
            throw e;
        } catch (RuntimeException e) {
            // A producer check refused it: the same on every replica, answered as Kafka would.
            error = (e instanceof InvalidBatchException ? Errors.CORRUPT_MESSAGE : Errors.forException(e)).code();
        }
        PartitionLog.End end = log.end();
        entries.append(new RaftEntryIndex.Entry(entry.getIndex(), ack, error, start, end,
                start.offset() == end.offset() ? data.toByteArray() : null));
        if ((entry.getIndex() & (RaftEntryIndex.MIN_DROP - 1)) == 0) {
            entries.dropBefore(raftLog().getStartIndex()); // what Raft purged since
        }
    }

    /**
     * Once, at the first write after a start: cuts the entries Raft's log no longer holds. The
     * records of an entry are written (and survive a process crash) before Raft's own buffered log
     * has the entry, so a crash can leave entries here that Raft lost; an entry Raft sends again
     * with records is cut by {@link #write}, but one its new leader put a configuration or an
     * empty entry in place of would stay, and its records would show before the next entry's.
     */
    private void cutWhatRaftLost(long index) throws IOException {
        RaftLog raftLog = raftLog();
        long lost = -1;
        for (RaftEntryIndex.Entry e = entries.lower(index); e != null && e.index() >= raftLog.getStartIndex();
             e = entries.lower(e.index())) {
            LogEntryProto held = raftLog.get(e.index());
            if (held != null && held.hasStateMachineLogEntry() && held.getStateMachineLogEntry().getLogData().isEmpty()) {
                break; // records, as noted here
            }
            lost = e.index();
        }
        if (lost >= 0) {
            LOG.warn("{}: Raft entries from {} were written here before a crash but not kept by Raft; cut", topicPartition, lost);
            cut(lost);
        }
    }

    private RaftLog raftLog() throws IOException {
        if (raftLog == null) {
            raftLog = getServer().join().getDivision(getGroupId()).getRaftLog();
        }
        return raftLog;
    }

    /**
     * A write, flush or cut that failed (a disk error) makes Ratis' log worker fail every later
     * write of the group, while the division goes on answering heartbeats: a leader that commits
     * nothing, whose followers never elect another. So the replica stops (its division closes, on
     * a thread of its own: Ratis' thread called), as Kafka takes a failed log directory offline,
     * and the others elect a leader among themselves. It takes part again once the node restarts.
     * From then on every write fails at once and nothing more is applied. A failure while the
     * replica closes anyway (a stop, a deleted topic) is only that.
     */
    private <T> CompletableFuture<T> stop(String what, Throwable cause) {
        if (closed.get()) {
            LOG.debug("{}: {} failed while closing", topicPartition, what, cause);
        } else if (failed.compareAndSet(false, true)) {
            LOG.error("{}: {} failed; this replica stops until the node restarts", topicPartition, what, cause);
            Thread.ofPlatform().daemon().name("oms-replica-stop-" + topicPartition).start(() -> {
                try {
                    getServer().join().getDivision(getGroupId()).close();
                } catch (IOException | RuntimeException e) {
                    LOG.error("{}: stopping the replica failed", topicPartition, e);
                }
            });
        }
        return CompletableFuture.failedFuture(cause);
    }

    /**
     * An install failed once the log could no longer be put back (it started afresh, or entries
     * Raft holds were cut): neither Raft's state nor the log can go on from here. The replica
     * starts over, empty, with its Raft log and snapshots gone (term and vote kept), as a node's
     * start does with the {@value #INSTALLING} mark this leaves, so the leader notifies it again
     * and it copies everything. From here on writes fail, as after {@link #stop}; without a
     * {@code startOver} the replica just stops.
     */
    private void startOver(String what, Throwable cause) {
        // Stopped already (a disk error) or closed meanwhile: only that.
        // And a log whose fsync failed: starting over would wipe it and fail again, every 2 s.
        if (onStartOver == null || log.fsyncFailed() || !letGoOfLog()) {
            stop(what, cause);
            return;
        }
        LOG.warn("{}: {} failed after the log changed; the replica starts over, empty", topicPartition, what, cause);
        Thread.ofPlatform().daemon().name("oms-replica-start-over-" + topicPartition).start(() -> {
            writing.lock(); // taken once the install that failed let go of the log
            writing.unlock();
            onStartOver.run();
        });
    }

    @Override
    protected boolean startsOver() {
        return logHandedOn;
    }

    /**
     * Lets go of the log for a replica over it that takes this one's place when its division
     * restarts ({@link ReplicatedLog}'s stalled followers): a write under way ends first, later ones
     * fail, and {@link #close} leaves the log open. Null if this replica closed, stopped or let go
     * already.
     */
    PartitionLog handOn() {
        if (!letGoOfLog()) {
            return null;
        }
        writing.lock();
        writing.unlock();
        return log;
    }

    /**
     * Hands the log on to the replica that follows this one, unless this one stopped, closed or
     * let go already: from here on writes fail, and {@link #close} leaves the log open.
     */
    private boolean letGoOfLog() {
        if (failed.get() || !logReleased.compareAndSet(false, true)) {
            return false;
        }
        logHandedOn = true;
        failed.set(true);
        return true;
    }

    private <T> CompletableFuture<T> stopped() {
        return CompletableFuture.failedFuture(new IOException(topicPartition + ": this replica stopped after a failure"));
    }

    /** Raft flushes its log: the segment and the entry index first, so an entry Raft keeps has its records. */
    @Override
    public CompletableFuture<Void> flush(long index) {
        if (failed.get()) {
            return stopped();
        }
        try {
            log.sync();
            entries.sync();
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stop("flushing to Raft entry " + index, e);
        }
    }

    /** Entries from {@code index} on were replaced by a new leader: their records leave the segment. */
    @Override
    public CompletableFuture<Void> truncate(long index) {
        if (failed.get()) {
            return stopped();
        }
        try {
            writing.lock();
            try {
                // Never into an install's copy: a cut Ratis queued before the install began
                // (entries up to the install's are committed, and Raft purges them as it loads it).
                cut(Math.max(index, installedThrough + 1));
            } finally {
                writing.unlock();
            }
            return CompletableFuture.completedFuture(null);
        } catch (IOException | RuntimeException e) {
            return stop("cutting from Raft entry " + index, e);
        }
    }

    private void cut(long index) throws IOException {
        RaftEntryIndex.Entry first = entries.ceiling(index);
        if (first != null) {
            log.truncateTo(first.start());
            entries.truncateFrom(index);
        }
    }

    /** The entry's request as sent, from the segment, for a follower that needs it. */
    @Override
    public CompletableFuture<ByteString> read(LogEntryProto entry, TransactionContext context) {
        RaftEntryIndex.Entry e;
        try {
            e = entries.get(entry.getIndex());
        } catch (RuntimeException unreadable) {
            return CompletableFuture.failedFuture(unreadable);
        }
        if (e == null) {
            return CompletableFuture.failedFuture(new IOException(topicPartition + ": no Raft entry " + entry.getIndex()));
        }
        if (e.wroteNothing()) {
            return CompletableFuture.completedFuture(UnsafeByteOperations.unsafeWrap(e.unwritten()));
        }
        try {
            return CompletableFuture.completedFuture(UnsafeByteOperations.unsafeWrap(log.bytesBetween(e.start(), e.end())));
        } catch (IOException | RuntimeException e2) {
            return CompletableFuture.failedFuture(e2);
        }
    }

    /**
     * Committed: the entry's records become visible; the producer is told its offset or its error.
     * A {@link #startAt} entry moves the start instead, and is answered with the start now.
     * An entry that cannot be applied (committed but never written here) stops this replica:
     * thrown, not a failed future, which Ratis would only log and go past, and whatever came after
     * would then show at the wrong offsets.
     */
    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        if (failed.get()) {
            // Stopping already: no throw, so that Ratis' updater reaches the end its close waits for.
            return CompletableFuture.failedFuture(new IllegalStateException(topicPartition + ": this replica stopped"));
        }
        long startAt = startAtOf(entry.getStateMachineLogEntry().getLogData());
        if (startAt >= 0) {
            try {
                log.startAt(startAt);
            } catch (IOException failure) {
                return stop("moving the start to " + startAt, failure);
            }
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.completedFuture(reply(log.logStartOffset(), (short) 0));
        }
        RaftEntryIndex.Entry e = entries.get(entry.getIndex());
        if (e == null) {
            // An install under way may have cut it (committed after the install looked): once it
            // is done, its copy holds the records, or, undone, the entry is back.
            writing.lock();
            writing.unlock();
            e = entries.get(entry.getIndex());
        }
        if (e == null && entry.getIndex() <= installedThrough) {
            // Committed before the install Ratis is about to load: the copy holds its records.
            return CompletableFuture.completedFuture(reply(-1, Errors.NOT_LEADER_OR_FOLLOWER.code()));
        }
        try {
            if (e == null) {
                throw new IllegalStateException(topicPartition + ": committed Raft entry " + entry.getIndex()
                        + " was never written here");
            }
            log.publishUpTo(e.end());
        } catch (RuntimeException failure) {
            LOG.error("{}: applying Raft entry {} failed; this replica stops", topicPartition, entry.getIndex(), failure);
            throw failure;
        }
        applied = e.end();
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(reply(e.ack(), e.error()));
    }

    /** An offset, or a Kafka error: what {@link #offsetOf} reads. */
    private static Message reply(long offset, short error) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(ByteBuffer.allocate(10).putLong(offset).putShort(error).flip()));
    }

    /** Decodes {@link #applyTransaction}'s reply: the first offset, or the Kafka error. */
    static long offsetOf(Message reply) {
        ByteBuffer buf = reply.getContent().asReadOnlyByteBuffer();
        long offset = buf.getLong();
        short error = buf.getShort();
        if (error != 0) {
            throw Errors.forCode(error).exception();
        }
        return offset;
    }

    @Override
    protected void writeSnapshot(java.io.File file) throws IOException {
        PartitionLog.End end = applied;
        try (var out = Files.newBufferedWriter(file.toPath())) {
            snapshotProperties(end, log.logStartOffset()).store(out,
                    topicPartition + ": where the applied entries end in the log");
        }
        snapshotEnd = end;
    }

    /**
     * A snapshot: where the applied entries end ({@code offset}; {@code segment} and {@code position}
     * in this replica's files, which roll by age and so differ between replicas) and the log start.
     */
    private static Properties snapshotProperties(PartitionLog.End end, long start) {
        Properties props = new Properties();
        props.setProperty("offset", Long.toString(end.offset()));
        props.setProperty("segment", Long.toString(end.segmentBase()));
        props.setProperty("position", Integer.toString(end.position()));
        props.setProperty("start", Long.toString(start));
        return props;
    }

    /** Idempotent: Ratis closes it when its division closes, a deleted topic's removal again. */
    @Override
    public void close() throws IOException {
        if (closed.getAndSet(true)) {
            return;
        }
        super.close();
        housekeeping.lock(); // a pass under way ends first: it stops at its next segment, closed being set
        boolean quiet = false;
        try {
            // And an install's copy, which writes the log and the entry index under writing: it
            // stops at its next batch. Closed (and deleted, for a deleted topic) under it, the copy
            // went on into closed files, and a segment it rolled meanwhile stayed open.
            quiet = writing.tryLock(CLOSE_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            if (!quiet) {
                LOG.warn("{}: closes while a copy from the leader still holds its log ({} s)", topicPartition, CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            entries.close();
            if (logReleased.compareAndSet(false, true)) { // not handed on to a replica starting over
                try {
                    log.close();
                } catch (UncheckedIOException e) {
                    LOG.error("closing {}", topicPartition, e);
                }
            }
        } finally {
            if (quiet) {
                writing.unlock();
            }
            housekeeping.unlock();
        }
    }

    /** How long a close waits for an install's copy to stop at its next batch (one answer of the leader's). */
    private static final long CLOSE_WAIT_SECONDS = 30;

    /** Closes the replica and deletes its files, {@code raft-entries} with the segments (DeleteTopics). */
    void delete() throws IOException {
        close();
        log.deleteFiles();
    }
}
