package dev.oms.streaming.cluster;

import java.io.File;
import java.io.IOException;

import org.apache.ratis.proto.RaftProtos.RoleInfoProto;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.storage.FileInfo;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachineStorage;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.statemachine.impl.SimpleStateMachineStorage;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;
import org.apache.ratis.util.MD5FileUtil;
import org.slf4j.LoggerFactory;

/**
 * A state machine whose snapshot is one small file, written on Ratis' updater thread (the
 * thread that applies entries, so it sees the state as of the last applied one).
 */
abstract class SnapshotFileStateMachine extends BaseStateMachine {
    private final SimpleStateMachineStorage storage = new SimpleStateMachineStorage();

    /** Writes the state as of the last applied entry. */
    protected abstract void writeSnapshot(File file) throws IOException;

    /** Prepares the snapshot storage; the latest snapshot, or null, for the caller to load. */
    protected SingleFileSnapshotInfo initStorage(RaftStorage raftStorage) throws IOException {
        storage.init(raftStorage);
        SingleFileSnapshotInfo snapshot = storage.loadLatestSnapshot();
        if (snapshot != null) {
            setLastAppliedTermIndex(snapshot.getTermIndex());
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
        writeSnapshot(file);
        var md5 = MD5FileUtil.computeAndSaveMd5ForFile(file);
        storage.updateLatestSnapshot(new SingleFileSnapshotInfo(new FileInfo(file.toPath(), md5), last));
        return last.getIndex();
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
        return storage.getLatestSnapshot();
    }
}
