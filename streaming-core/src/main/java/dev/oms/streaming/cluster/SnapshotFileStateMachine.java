package dev.oms.streaming.cluster;

import java.io.File;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;

import org.apache.ratis.client.RaftClient;
import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A state machine whose snapshot is one small file, written on Ratis' updater thread (the
 * thread that applies entries, so it sees the state as of the last applied one).
 *
 * <p>Raft's log is purged up to a snapshot, so a replica may need entries no member holds any
 * more (its disk was replaced). Ratis then notifies it ({@link #notifyInstallSnapshotFromLeader};
 * the leader is configured not to send snapshot files itself): the replica asks the leader for its
 * latest snapshot with a read-only query, brings its own state there ({@link #install}), and
 * Ratis resumes it from that point ({@link #pause}, {@link #reinitialize}).
 */
abstract class SnapshotFileStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(SnapshotFileStateMachine.class);
    /** A query for the latest snapshot: its term, its index, then the file's bytes. */
    static final byte SNAPSHOT_QUERY = 1;
    /** First byte of queries subclasses answer ({@link #answer}). */
    static final byte OWN_QUERIES = 16;

    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();
    /**
     * The latest snapshot, or null: set where one is loaded or recorded, the only ways one comes
     * to be here. Ratis asks for it at every append a follower takes, and its storage lists the
     * snapshot directory each time while there is none (a group's first 10,000 entries): a
     * sixth of a follower's gRPC executor under full produce load.
     */
    private volatile SingleFileSnapshotInfo latest;

    /** Writes the state as of the last applied entry. */
    protected abstract void writeSnapshot(File file) throws IOException;

    /** Replaces the state with the one {@code snapshot} holds (after an install). */
    protected abstract void load(SingleFileSnapshotInfo snapshot) throws IOException;

    /**
     * Brings this replica's state to the leader's snapshot at {@code at}, whose file holds
     * {@code leaderSnapshot}, asking the leader what else it needs through {@code leader}; returns
     * this replica's own snapshot file for that point.
     */
    protected abstract byte[] install(Leader leader, TermIndex at, byte[] leaderSnapshot) throws IOException;

    /** {@link #install} changed the state, but its snapshot could not be saved (a disk error). */
    protected void installNotSaved(Throwable cause) {
    }

    /** The snapshot {@link #install} brought is durable and the latest: what the install changed is final. */
    protected void installed() throws IOException {
    }

    /** Set while an install the leader notified runs (or waits for the replica to start over). */
    private volatile boolean installing;

    /** Whether this replica is installing the leader's snapshot (its Raft log stays empty meanwhile). */
    boolean installing() {
        return installing;
    }

    /**
     * Whether a failed install left this replica to start over (closed, then opened anew and
     * installed from scratch) rather than to be notified again.
     */
    protected boolean startsOver() {
        return false;
    }

    /** Answers a query of this state machine's own kind ({@code request} starts with its kind byte). */
    protected ByteBuffer answer(ByteBuffer request) throws IOException {
        throw new IOException("unknown query kind " + request.get(0));
    }

    /** The leader of the group, as an installing replica asks it. */
    @FunctionalInterface
    interface Leader {
        ByteBuffer ask(ByteBuffer request) throws IOException;
    }

    /**
     * Prepares the snapshot storage; the latest snapshot, or null, for the caller to load. The
     * state machine counts as running from here ({@link #pause} requires it; Ratis' base class
     * leaves its life cycle at NEW).
     */
    protected SingleFileSnapshotInfo initStorage(RaftStorage raftStorage) throws IOException {
        storage.init(raftStorage);
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        latest = snapshot;
        if (snapshot != null) {
            setLastAppliedTermIndex(snapshot.getTermIndex());
        }
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.getCurrentState() == LifeCycle.State.NEW) {
            lifeCycle.transition(LifeCycle.State.STARTING);
            lifeCycle.transition(LifeCycle.State.RUNNING);
        }
        return snapshot;
    }

    @Override
    public final long takeSnapshot() throws IOException {
        TermIndex last = getLastAppliedTermIndex();
        if (last == null || last.getIndex() < 0) {
            return -1;
        }
        File file = storage.getSnapshotFile(last.getTerm(), last.getIndex());
        File tmp = new File(file.getPath() + ".tmp"); // not a snapshot's name: never loaded half written
        writeSnapshot(tmp);
        saveSnapshot(tmp, file, last);
        return last.getIndex();
    }

    /** Makes {@code tmp} durable, puts it in place of {@code file}, and the latest snapshot. */
    private void saveSnapshot(File tmp, File file, TermIndex at) throws IOException {
        try (var channel = FileChannel.open(tmp.toPath(), StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        dev.oms.streaming.storage.Directories.replaceDurably(tmp.toPath(), file.toPath());
        recordSnapshot(file, at);
    }

    /**
     * {@code file}, durable in place, is the latest snapshot, at {@code at}. Synchronized: the
     * updater's snapshots and an install's record theirs from two threads.
     */
    private synchronized void recordSnapshot(File file, TermIndex at) throws IOException {
        var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        latest = storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), at));
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        ByteBuffer buf = request.getContent().asReadOnlyByteBuffer();
        try {
            if (buf.remaining() > 0 && buf.get(0) == SNAPSHOT_QUERY) {
                SingleFileSnapshotInfo snapshot = latest;
                if (snapshot == null) {
                    throw new IOException(getGroupId() + ": no snapshot here yet");
                }
                byte[] bytes = Files.readAllBytes(snapshot.getFile().getPath());
                ByteBuffer reply = ByteBuffer.allocate(16 + bytes.length).putLong(snapshot.getTerm())
                        .putLong(snapshot.getIndex()).put(bytes).flip();
                return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(reply)));
            }
            return CompletableFuture.completedFuture(Message.valueOf(UnsafeByteOperations.unsafeWrap(answer(buf))));
        } catch (IOException | RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * The leader purged entries this replica lacks: on a thread of its own, it fetches the
     * leader's latest snapshot and installs it. A failure (the leader changed, stopped) is logged
     * by Ratis, and the next leader's notification tries again.
     */
    @Override
    public CompletableFuture<TermIndex> notifyInstallSnapshotFromLeader(RoleInfoProto role, TermIndex firstAvailable) {
        RaftPeerId leader = RaftPeerId.valueOf(role.getFollowerInfo().getLeaderInfo().getId().getId());
        CompletableFuture<TermIndex> installed = new CompletableFuture<>();
        installing = true;
        installed.whenComplete((at, failure) -> installing = false);
        Thread.ofPlatform().daemon().name("oms-install-" + getGroupId()).start(() -> {
            try {
                installed.complete(installFrom(leader, firstAvailable));
            } catch (IOException | RuntimeException e) {
                if (startsOver()) {
                    // Left pending: Ratis answers the leader's notifications "in progress" (a
                    // failure would have it notify again at each heartbeat) until the division closes.
                    LOG.warn("{}: installing the leader's snapshot failed: {}; the replica starts over", getGroupId(),
                            e.toString());
                    return;
                }
                LOG.warn("{}: installing the leader's snapshot failed: {}", getGroupId(), e.toString());
                installed.completeExceptionally(e);
            }
        });
        return installed;
    }

    private TermIndex installFrom(RaftPeerId leaderId, TermIndex firstAvailable) throws IOException {
        LOG.info("{}: the leader {} no longer holds the entries this replica lacks (its log starts at {}): "
                + "installing its snapshot", getGroupId(), leaderId, firstAvailable);
        try (RaftClient client = RaftNode.client(getServer().join().getDivision(getGroupId()).getGroup())) {
            // Asked of whichever server leads when asked (the client follows a change): what an install
            // copies is committed, alike on every replica, at the same offsets.
            Leader leader = request -> {
                var reply = client.io().sendReadOnly(Message.valueOf(UnsafeByteOperations.unsafeWrap(request)));
                if (!reply.isSuccess()) {
                    throw new IOException(getGroupId() + ": the leader did not answer: " + reply.getException());
                }
                return reply.getMessage().getContent().asReadOnlyByteBuffer();
            };
            ByteBuffer reply = leader.ask(ByteBuffer.wrap(new byte[] {SNAPSHOT_QUERY}));
            TermIndex at = TermIndex.valueOf(reply.getLong(), reply.getLong());
            if (at.getIndex() + 1 < firstAvailable.getIndex()) {
                throw new IOException(getGroupId() + ": the leader's snapshot " + at + " is older than its log start "
                        + firstAvailable);
            }
            byte[] leaderSnapshot = new byte[reply.remaining()];
            reply.get(leaderSnapshot);
            byte[] own = install(leader, at, leaderSnapshot);
            try {
                File file = storage.getSnapshotFile(at.getTerm(), at.getIndex());
                dev.oms.streaming.storage.Directories.writeDurably(file.toPath(), ByteBuffer.wrap(own));
                recordSnapshot(file, at);
                installed();
            } catch (IOException | RuntimeException e) {
                installNotSaved(e);
                throw e;
            }
            LOG.info("{}: installed the leader's snapshot at {}", getGroupId(), at);
            return at;
        }
    }

    /** Ratis stops applying entries while an installed snapshot is loaded. */
    @Override
    public void pause() {
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.getCurrentState() == LifeCycle.State.RUNNING) {
            lifeCycle.transition(LifeCycle.State.PAUSING);
            lifeCycle.transition(LifeCycle.State.PAUSED);
        }
    }

    /** Loads the snapshot just installed (recorded by the install) and resumes from it. */
    @Override
    public void reinitialize() throws IOException {
        SingleFileSnapshotInfo snapshot = latest;
        if (snapshot != null) {
            load(snapshot);
            setLastAppliedTermIndex(snapshot.getTermIndex());
        }
        LifeCycle lifeCycle = getLifeCycle();
        if (lifeCycle.getCurrentState() == LifeCycle.State.PAUSED) {
            lifeCycle.transition(LifeCycle.State.STARTING);
            lifeCycle.transition(LifeCycle.State.RUNNING);
        }
    }

    /**
     * Ratis closes a single division by itself when its election finds it outside the group's
     * configuration (or a voter says so), and logs that only at INFO; the replica stays out until
     * the node restarts, so it is an error here. A whole server's close ({@code allServer}) is a stop.
     */
    @Override
    public void notifyServerShutdown(RoleInfoProto role, boolean allServer) {
        if (!allServer) {
            LoggerFactory.getLogger(getClass()).error("Raft group {}: Ratis closed this node's replica (a {}, last applied"
                    + " {}); it takes no part in the group until the node restarts", getGroupId(), role.getRole(),
                    getLastAppliedTermIndex());
        }
    }

    @Override
    public StateMachineStorage getStateMachineStorage() {
        return storage;
    }

    @Override
    public SingleFileSnapshotInfo getLatestSnapshot() {
        return latest;
    }
}
