package dev.oms.streaming.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.oms.streaming.storage.Directories;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.netty.NettyConfigKeys;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientAsynchronousProtocol;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's Ratis server: one server, many Raft groups (multi-Raft), a group for the cluster
 * metadata (the controller) and one per partition. Group ids and memberships follow from names
 * alone, so every node computes the same ones without asking.
 *
 * <p>Leaders are spread by priority: partition {@code p} of a topic prefers the {@code p mod n}-th
 * node, and Ratis hands leadership back to a preferred node once it has caught up after a return.
 */
public final class RaftNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RaftNode.class);
    /** Entries between snapshots, and entries kept behind the last one for followers that were away. */
    static final int ENTRIES_KEPT = 10_000;

    private final ClusterConfig config;
    /** Ratis' storage: a directory per group. */
    private final Path dir;
    private final RaftServer server;
    private final RaftGroup controllerGroup;
    private final RaftClient controllerClient;
    private final ClientId localClient = ClientId.randomId();
    private final AtomicLong callIds = new AtomicLong();
    /** Raft clients that send in-process writes to the leaders of groups this node does not lead. */
    private final Map<RaftGroupId, RaftClient> forwarders = new ConcurrentHashMap<>();

    private RaftNode(ClusterConfig config, Path dir, RaftServer server, RaftGroup controllerGroup, RaftClient controllerClient) {
        this.config = config;
        this.dir = dir;
        this.server = server;
        this.controllerGroup = controllerGroup;
        this.controllerClient = controllerClient;
    }

    /**
     * Starts the server on the node's Raft port with the controller group, then resumes the
     * groups this node has on disk ({@code resume}) with their members.
     */
    static RaftNode start(ClusterConfig config, Path dir, StateMachine.Registry stateMachines,
                          Collection<RaftGroup> resume) throws IOException {
        boolean freshController = !Files.isDirectory(dir.resolve(controllerGroup(config).getGroupId().getUuid().toString()));
        if (freshController) {
            if (config.replaceLostStorage()) {
                LOG.warn("node {} starts without Raft storage, replacing lost storage (cluster.replace-lost-storage): keep"
                        + " the other nodes up until it has caught up", config.nodeId());
            } else {
                refuseIfKnownAlready(config);
            }
        } else if (config.replaceLostStorage()) {
            LOG.warn("cluster.replace-lost-storage is set but node {} has its Raft storage: unset it, or a later loss"
                    + " of this node's storage will not be refused", config.nodeId());
        }
        // Ratis resumes every group directory it finds as a group of no members, whose members
        // then come from the configuration entries in its log. A replica that must cut its whole
        // log (it led alone, at index 0, before a crash) cuts those entries too, and the ones just
        // received with them (Ratis 3.2 notes a batch's configurations before the cut), and is
        // left a member of nothing: its next election closes its division for good. So the
        // groups are hidden from that scan and added back with their members.
        for (RaftGroup group : resume) {
            Path found = dir.resolve(group.getGroupId().getUuid().toString());
            if (Files.isDirectory(found)) {
                Files.move(found, hidden(dir, group), StandardCopyOption.ATOMIC_MOVE);
            }
        }
        setAsideGroupsOfNoPartition(dir, controllerGroup(config), resume);
        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(props, List.of(dir.toFile()));
        // gRPC between nodes. Ratis' Netty transport (-Draft.rpc.type=NETTY on every node) measured
        // lower latency and CPU here (5,000 records/s: p50 / p99 7 / 46 ms against 17 / 145 ms;
        // docs/benchmarks.md) but is not the default: its server handles each request on a network
        // thread until done (RATIS-2629), so a follower flushes the entries of all groups one leader
        // sends it one after another, heartbeats behind them; and its client connects synchronously,
        // for up to 30 s to a peer that drops packets.
        GrpcConfigKeys.Server.setHost(props, config.self().host());
        GrpcConfigKeys.Server.setPort(props, config.self().port());
        NettyConfigKeys.Server.setHost(props, config.self().host()); // for -Draft.rpc.type=NETTY
        NettyConfigKeys.Server.setPort(props, config.self().port());
        // The partition's records are the state machine's data: Raft's log holds headers only,
        // and waits for the data's fsync before it counts an entry as flushed.
        RaftServerConfigKeys.Log.StateMachineData.setSync(props, true);
        // false: Raft's log cache keeps recent entries with their records, so followers are sent
        // them without a read back from the segment (read() serves only older entries).
        RaftServerConfigKeys.Log.StateMachineData.setCachingEnabled(props, false);
        // Raft's log files hold only entry headers (about 30 bytes each), but Ratis sizes a file by
        // the entries it keeps in its cache, records included (no state machine cache): a file
        // rolls after 1 MB of records or some 26,000 entries without. A purge removes whole files,
        // so small ones keep what it leaves, and the partition segments retention must keep for
        // it, close to the entries kept.
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf("1MB"));
        // Ratis fills each new file with zeros up to its preallocation (4 MB by default, capped at
        // the file's size) so that an fsync need not also record the file's growth. At 1 MB of
        // records per file that wrote a megabyte of zeros for every megabyte of records (and
        // synced it at the next flush): 13% of each node's CPU under full produce load, for
        // files that end at under a kilobyte. 16 KB holds a file of large batches' headers.
        RaftServerConfigKeys.Log.setPreallocatedSize(props, SizeInBytes.valueOf("16KB"));
        // A snapshot every 10,000 entries, then Raft's log is purged up to it but for its last
        // 10,000 entries, whether or not every member has them: a follower that was away a while
        // is sent the entries it lacks. Ratis' default purges no entry some member has not
        // committed yet, so a node down for good would keep every other node's Raft log, and the
        // segments its entries lie in, from shrinking: retention would stop deleting anything. A
        // member further behind, or one that lacks entries no one holds any more (its disk was
        // replaced), is notified instead of sent the snapshot, which names a place in the segments
        // and is no copy of them: it fetches the records it lacks from the leader
        // (SnapshotFileStateMachine#notifyInstallSnapshotFromLeader), as a Kafka replica that fell
        // behind fetches whatever retention left.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, ENTRIES_KEPT);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(props, ENTRIES_KEPT);
        RaftServerConfigKeys.Log.setPurgeGap(props, 1024);
        RaftServerConfigKeys.Log.Appender.setInstallSnapshotEnabled(props, false);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, 2); // the default keeps every snapshot file
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        overrides(props); // over ours
        RaftGroup controller = controllerGroup(config);
        RaftServer server = RaftServer.newBuilder()
                .setServerId(peerId(config.nodeId()))
                .setGroup(controller)
                .setProperties(props)
                .setStateMachineRegistry(stateMachines)
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
        server.start();
        RaftProperties clientProps = overrides(new RaftProperties());
        RaftClient client = RaftClient.newBuilder().setProperties(clientProps).setRaftGroup(controller)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(600,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
        RaftNode node = new RaftNode(config, dir, server, controller, client);
        if (freshController) {
            // As a group joined with a new directory (join): the controller group's leader may count
            // this node's lost copy as caught up, and would then send it nothing.
            Thread.ofVirtual().name("oms-fresh-" + controller.getGroupId())
                    .start(() -> node.unstickIfTheLeaderKnewAnOlderCopy(controller));
        }
        for (RaftGroup group : resume) {
            Path held = hidden(dir, group);
            if (Files.isDirectory(held)) {
                Files.move(held, dir.resolve(group.getGroupId().getUuid().toString()),
                        StandardCopyOption.ATOMIC_MOVE);
                node.join(group);
            }
        }
        LOG.info("node {} serves Raft on {} with peers {}", config.nodeId(), config.self().address(), config.peers());
        return node;
    }

    /**
     * A node that starts without Raft storage must be new to the cluster. One that has run in it
     * before has lost its storage (a replaced disk, a data directory emptied or mistyped) and with
     * it its votes and the entries it acknowledged: counted in a majority again at once, it could
     * elect a leader that lacks acknowledged writes (its empty log makes any candidate up to date)
     * if another node failed before it caught up. So it is refused, unless the operator says it
     * replaces lost storage ({@code cluster.replace-lost-storage}): then it starts empty, and the
     * others should stay up until it has caught up. Whether it ran before, the other nodes' copies
     * of the cluster metadata say (every node registers when it starts); each is asked, leader or
     * not. None answering (a new cluster's first start, or every other node down) lets it start.
     */
    private static void refuseIfKnownAlready(ClusterConfig config) throws IOException {
        RaftGroup controller = controllerGroup(config);
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(3, TimeUnit.SECONDS)); // an operator's over it
        try (RaftClient client = RaftClient.newBuilder().setProperties(overrides(props)).setRaftGroup(controller)
                .setRetryPolicy(RetryPolicies.noRetry()).build()) {
            Message query = Message.valueOf(ByteString.copyFrom(new byte[] {ControllerStateMachine.REGISTERED_QUERY}));
            Map<Integer, CompletableFuture<RaftClientReply>> asked = new java.util.TreeMap<>();
            for (ClusterConfig.Peer peer : config.peers()) {
                if (peer.id() != config.nodeId()) { // all at once: a peer that drops packets costs its timeout once
                    asked.put(peer.id(), client.async().sendStaleRead(query, 0, peerId(peer.id())));
                }
            }
            List<String> unanswered = new ArrayList<>();
            for (var answer : asked.entrySet()) {
                java.nio.ByteBuffer registered;
                try {
                    RaftClientReply reply = answer.getValue().get(10, TimeUnit.SECONDS);
                    if (!reply.isSuccess()) {
                        throw new IOException(String.valueOf(reply.getException()));
                    }
                    registered = reply.getMessage().getContent().asReadOnlyByteBuffer();
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException | IOException e) {
                    // Down, not started as a member yet, or a build without the query: it cannot say.
                    unanswered.add("node " + answer.getKey() + " (" + (e.getCause() != null ? e.getCause() : e) + ")");
                    continue;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new java.io.InterruptedIOException("asking the other nodes whether node " + config.nodeId()
                            + " ran before");
                }
                while (registered.remaining() >= Integer.BYTES) {
                    if (registered.getInt() == config.nodeId()) {
                        throw new IllegalStateException("node " + config.nodeId() + " has no Raft storage, but node "
                                + answer.getKey() + " knows it as a node that ran before: it lost its storage, and with it"
                                + " its votes and the entries it acknowledged. Counted in a majority again before it caught"
                                + " up, it could elect a leader missing acknowledged writes. Start it with its data"
                                + " directory; or, replacing a lost disk, set cluster.replace-lost-storage=true"
                                + " (OMS_CLUSTER_REPLACE_LOST_STORAGE) and keep the other nodes up until `oms cluster info`"
                                + " shows it caught up");
                    }
                }
            }
            if (unanswered.size() == asked.size()) {
                LOG.warn("node {} starts without Raft storage and no other node said whether it ran before ({}): if it"
                        + " did and lost its storage, keep the others up until it has caught up", config.nodeId(),
                        String.join(", ", unanswered));
            } else if (!unanswered.isEmpty()) {
                LOG.info("node {} is new to the cluster (no node that answered knows it; no answer from {})",
                        config.nodeId(), String.join(", ", unanswered));
            }
        }
    }

    /**
     * Finishes the deletions of groups a crash interrupted, and sets aside (renamed
     * {@code <group>.orphaned-<time>}, kept for an operator) any other group directory that belongs to
     * no partition here: Ratis would fail to start with a group it has no state machine for.
     */
    private static void setAsideGroupsOfNoPartition(Path dir, RaftGroup controller, Collection<RaftGroup> resume)
            throws IOException {
        if (!Files.isDirectory(dir)) {
            return;
        }
        Directories.deleteLeftovers(dir);
        Set<String> known = new HashSet<>();
        known.add(controller.getGroupId().getUuid().toString());
        resume.forEach(g -> known.add(g.getGroupId().getUuid().toString()));
        try (var dirs = Files.list(dir)) {
            for (Path d : dirs.filter(Files::isDirectory).toList()) {
                String name = d.getFileName().toString();
                if (name.matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}") && !known.contains(name)) {
                    Path aside = d.resolveSibling(name + ".orphaned-" + System.currentTimeMillis());
                    LOG.warn("Raft group directory {} belongs to no partition here; set aside as {}", d, aside.getFileName());
                    Files.move(d, aside, StandardCopyOption.ATOMIC_MOVE);
                }
            }
        }
    }

    /** Where a group's directory waits, out of Ratis' sight, while the server starts (or after a crash then). */
    private static Path hidden(Path dir, RaftGroup group) {
        return dir.resolve(group.getGroupId().getUuid() + ".resuming");
    }

    /** Any Ratis setting may be given as a system property (-Draft.server.…, -Draft.rpc.type=NETTY). */
    private static RaftProperties overrides(RaftProperties props) {
        System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("raft."))
                .forEach(k -> props.set(k, System.getProperty(k)));
        return props;
    }

    static RaftPeerId peerId(int nodeId) {
        return RaftPeerId.valueOf("n" + nodeId);
    }

    static int nodeId(RaftPeerId peer) {
        return Integer.parseInt(peer.toString().substring(1));
    }

    /** The group that holds the cluster metadata, of every node. */
    static RaftGroup controllerGroup(ClusterConfig config) {
        return group(config, "__cluster_metadata", 0, 0);
    }

    /** The group of a named thing on every node, its leader preferably the {@code preferred mod n}-th. */
    static RaftGroup group(ClusterConfig config, String name, int index, int preferred) {
        UUID uuid = UUID.nameUUIDFromBytes((name + "/" + index).getBytes(StandardCharsets.UTF_8));
        List<ClusterConfig.Peer> peers = config.peers();
        int favourite = Math.floorMod(preferred, peers.size());
        List<RaftPeer> members = new java.util.ArrayList<>();
        for (int i = 0; i < peers.size(); i++) {
            ClusterConfig.Peer p = peers.get(i);
            members.add(RaftPeer.newBuilder().setId(peerId(p.id())).setAddress(p.address())
                    .setPriority(i == favourite ? 1 : 0).build());
        }
        return RaftGroup.valueOf(RaftGroupId.valueOf(uuid), members);
    }

    /** The Raft group of a partition, named by its topic's id. */
    RaftGroup partitionGroup(String topicId, int partition) {
        return group(config, topicId, partition, partition);
    }

    RaftGroupId controllerGroupId() {
        return controllerGroup.getGroupId();
    }

    /** Makes this server a member of {@code group}, unless it already is. */
    void join(RaftGroup group) throws IOException {
        // Formatted only when new: a directory found is resumed, never wiped (Ratis formats one a
        // crash left before its metadata was written: its "current" is then empty).
        boolean format = !Files.isDirectory(dir.resolve(group.getGroupId().getUuid().toString()));
        try {
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(localClient, server.getId(),
                    callIds.incrementAndGet(), group, format));
            Exception failure = reply.getException();
            if (!reply.isSuccess() && !(failure instanceof AlreadyExistsException)
                    && !String.valueOf(failure).contains("already exists")) {
                throw new IOException("joining Raft group " + group.getGroupId() + " failed", reply.getException());
            }
        } catch (AlreadyExistsException e) {
            // a member since an earlier start
        }
        if (format) {
            Thread.ofVirtual().name("oms-fresh-" + group.getGroupId()).start(() -> unstickIfTheLeaderKnewAnOlderCopy(group));
        }
    }

    /**
     * A replica that joined its group with a new directory while the group's leader counted it as
     * caught up (this node's disk was replaced, and it came back before a new leader was elected)
     * would wait for ever: Ratis' leader keeps the follower's old match index, sends heartbeats from
     * there, and answers the follower's "my log is empty" with the same again
     * (LogAppenderBase#getNextIndexForInconsistency); only once something is written does it walk
     * back, one entry per round trip (up to the 10,000 entries Raft keeps). A
     * leader elected anew knows nothing of the follower and sends it everything (or notifies it
     * to copy the records). So when the replica's Raft log is still empty and no copy runs
     * {@value #FRESH_GRACE_MS} ms after a leader is known, that leader is asked to step down: the
     * election that follows (which it may win again, if preferred) begins a new term, and with
     * it the leader's view of its followers.
     * A new group's members all join with new directories: the leader's first entry reaches them
     * at once, and nothing is done.
     */
    private void unstickIfTheLeaderKnewAnOlderCopy(RaftGroup group) {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        long leaderSince = -1;
        RaftPeerId leaderSeen = null;
        try {
            while (System.nanoTime() < deadline) {
                Thread.sleep(250);
                RaftServer.Division division = division(group.getGroupId());
                if (division.getRaftLog().getNextIndex() > 0 || division.getInfo().getLastAppliedIndex() >= 0) {
                    return; // entries (or a copy) arrived
                }
                // The replica loses sight of such a leader now and then (its heartbeats do not
                // count as valid here), so only another leader, or a copy, starts the wait over.
                RaftPeerId leader = division.getInfo().getLeaderId();
                boolean copying = division.getStateMachine() instanceof SnapshotFileStateMachine machine && machine.installing();
                if (copying || leader != null && !leader.equals(leaderSeen)) {
                    leaderSeen = copying ? null : leader;
                    leaderSince = System.nanoTime();
                }
                if (leaderSeen == null || leaderSeen.equals(server.getId())
                        || System.nanoTime() - leaderSince < TimeUnit.MILLISECONDS.toNanos(FRESH_GRACE_MS)) {
                    continue;
                }
                LOG.warn("{}: the leader {} sends this new replica nothing (it counts an earlier copy of it as caught up);"
                        + " asking it to step down", group.getGroupId(), leaderSeen);
                try (RaftClient client = client(group)) {
                    client.admin().transferLeadership(null, leaderSeen, 10_000); // no new leader named: a step-down
                } catch (IOException | RuntimeException e) {
                    LOG.warn("{}: asking {} to step down failed (asked again)", group.getGroupId(), leaderSeen, e);
                }
                leaderSeen = null;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException | IllegalStateException e) {
            LOG.debug("{}: the new replica closed", group.getGroupId(), e); // left, or the node stops
        }
    }

    /** How long a new replica waits for entries from a known leader before it asks for another. */
    private static final long FRESH_GRACE_MS = 5_000;

    /**
     * Leaves a group (its topic was deleted): Ratis closes this node's division of it, which
     * closes its state machine; then the group's directory is deleted. A group this node does not
     * have is left already.
     */
    void leave(RaftGroupId group) throws IOException {
        RaftClient forwarder = forwarders.remove(group);
        if (forwarder != null) {
            forwarder.close();
        }
        closeDivision(group);
        forwarder = forwarders.remove(group); // one made meanwhile
        if (forwarder != null) {
            forwarder.close();
        }
        // Ratis deletes a group's directory file by file; a crash then would leave one it cannot resume.
        Directories.delete(dir.resolve(group.getUuid().toString()));
    }

    /**
     * Closes this node's division of a group, which closes its state machine, and forgets the
     * division's Raft log and snapshots, keeping its term and vote (raft-meta: a node must not vote
     * twice in a term); {@link #join} then resumes it empty, with the state machine the registry
     * gives then, and the leader sends it everything (as {@link ReplicatedLog#start} does with a
     * replica whose install was cut short).
     */
    void leaveForgettingLog(RaftGroupId group) throws IOException {
        closeDivision(group);
        forgetLogAndSnapshots(dir.resolve(group.getUuid().toString()));
    }

    /**
     * Removes the group's division from the server (which closes it and its state machine), its
     * directory kept: {@link #join} resumes it from its Raft log and snapshots.
     */
    void closeDivision(RaftGroupId group) throws IOException {
        try {
            RaftClientReply reply = server.groupManagement(GroupManagementRequest.newRemove(localClient, server.getId(),
                    callIds.incrementAndGet(), group, false, false));
            if (!reply.isSuccess() && !(reply.getException() instanceof GroupMismatchException)) {
                throw new IOException("leaving Raft group " + group + " failed", reply.getException());
            }
        } catch (GroupMismatchException e) {
            // not a member (any more)
        }
    }

    /** Submits a write to the controller group, wherever its leader is; waits for it to be applied. */
    Message submitToController(Message command) throws IOException {
        RaftClientReply reply = controllerClient.io().send(command);
        if (!reply.isSuccess()) {
            throw new IOException("the cluster metadata did not take the change", reply.getException());
        }
        return reply.getMessage();
    }

    /**
     * Submits a write to a group this node leads; completes with the state machine's reply once a
     * majority has it and it is applied. Fails with Ratis' NotLeaderException on a follower.
     * Writes submitted one after another from one thread take their places in the group's log in
     * that order (the division is called directly: the server's own entry point hands requests to
     * a thread pool, which could reorder a producer's pipelined batches).
     */
    CompletableFuture<RaftClientReply> submit(RaftGroupId group, ByteString data) throws IOException {
        RaftClientRequest request = RaftClientRequest.newBuilder().setClientId(localClient).setServerId(server.getId())
                .setGroupId(group).setCallId(callIds.incrementAndGet()).setMessage(Message.valueOf(data))
                .setType(RaftClientRequest.writeRequestType()).build();
        if (division(group) instanceof RaftClientAsynchronousProtocol division) {
            return division.submitClientRequestAsync(request);
        }
        return server.submitClientRequestAsync(request);
    }

    /**
     * Sends a write to a group's leader, wherever it is, through this node's Raft client for the
     * group: one client per group, so writes sent one after another keep their order, and the
     * client finds a new leader after a change (retrying for up to about 30 s).
     */
    CompletableFuture<RaftClientReply> forward(RaftGroupId groupId, ByteString data) {
        RaftClient client = forwarders.get(groupId);
        if (client == null) {
            RaftGroup group;
            try {
                group = division(groupId).getGroup();
            } catch (IOException e) {
                return CompletableFuture.failedFuture(e);
            }
            client = forwarders.computeIfAbsent(groupId, id -> client(group));
        }
        return client.async().send(Message.valueOf(data));
    }

    /**
     * Empties a group's Raft storage directory but for its term and vote ({@code current/raft-meta*}):
     * its log segments ({@code current/log_*}) and its state machine's snapshots ({@code sm/}) go,
     * so the member resumes with nothing and is sent (or notified of) everything. Before the server starts.
     */
    static void forgetLogAndSnapshots(Path groupDir) throws IOException {
        Path current = groupDir.resolve("current");
        if (Files.isDirectory(current)) {
            try (var files = Files.list(current)) {
                for (Path file : files.filter(f -> f.getFileName().toString().startsWith("log_")).toList()) {
                    Files.delete(file);
                }
            }
            dev.oms.streaming.storage.Directories.sync(current);
        }
        Path snapshots = groupDir.resolve("sm");
        if (Files.isDirectory(snapshots)) {
            try (var files = Files.list(snapshots)) {
                for (Path file : files.toList()) {
                    Files.delete(file);
                }
            }
            dev.oms.streaming.storage.Directories.sync(snapshots);
        }
    }

    /** A client of {@code group} that follows its leader, retrying for up to about 30 s. */
    static RaftClient client(RaftGroup group) {
        return RaftClient.newBuilder().setProperties(overrides(new RaftProperties())).setRaftGroup(group)
                .setRetryPolicy(RetryPolicies.retryUpToMaximumCountWithFixedSleep(300,
                        TimeDuration.valueOf(100, TimeUnit.MILLISECONDS)))
                .build();
    }

    /** This node's member of a group; fails for a group it is not in. */
    RaftServer.Division division(RaftGroupId group) throws IOException {
        return server.getDivision(group);
    }

    /**
     * Whether Ratis takes no more appends on this node's division of {@code group}: RaftServerImpl
     * (3.2) chains a follower's appends on one future, which a single failed append fails for good.
     * Nothing in Ratis' API shows it, so the field is read; false where it is not there (another
     * Ratis version).
     */
    boolean appendsBroken(RaftGroupId group) throws IOException {
        if (APPEND_LOG_FUTURE == null) {
            return false;
        }
        RaftServer.Division division = division(group);
        try {
            return APPEND_LOG_FUTURE.get(division) instanceof java.util.concurrent.atomic.AtomicReference<?> chain
                    && chain.get() instanceof CompletableFuture<?> last && last.isCompletedExceptionally();
        } catch (IllegalAccessException | IllegalArgumentException e) {
            return false;
        }
    }

    /** RaftServerImpl's appendLogFuture, or null. */
    private static final java.lang.reflect.Field APPEND_LOG_FUTURE = appendLogFuture();

    private static java.lang.reflect.Field appendLogFuture() {
        try {
            java.lang.reflect.Field field = Class.forName("org.apache.ratis.server.impl.RaftServerImpl")
                    .getDeclaredField("appendLogFuture");
            field.setAccessible(true);
            return field;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.info("Ratis' follower append chain cannot be read ({}): stalled followers are told by their progress only",
                    e.toString());
            return null;
        }
    }

    /** A follower's Raft log end ({@code nextIndex}) and the commit index its leader last told it (-1 if not told). */
    record FollowerPosition(long nextIndex, long leaderCommit) {
        /** Whether the leader committed entries this follower's log does not hold yet. */
        boolean behind() {
            return leaderCommit >= nextIndex;
        }
    }

    /** Where this node's replica of {@code group} stands as a follower; empty unless it follows a known leader. */
    Optional<FollowerPosition> followerPosition(RaftGroupId group) throws IOException {
        RaftServer.Division division = division(group);
        RaftPeerId leader = division.getInfo().getLeaderId();
        if (!division.getInfo().isFollower() || leader == null) {
            return Optional.empty();
        }
        long leaderCommit = division.getCommitInfos().stream()
                .filter(info -> info.getServer().getId().equals(leader.toByteString()))
                .mapToLong(org.apache.ratis.proto.RaftProtos.CommitInfoProto::getCommitIndex).findFirst().orElse(-1);
        return Optional.of(new FollowerPosition(division.getRaftLog().getNextIndex(), leaderCommit));
    }

    /** True when this node leads {@code group} now and has applied everything committed before its term. */
    boolean leadsReady(RaftGroupId group) {
        return leadership(group) == Leadership.READY;
    }

    /** This node's part in a group: not its leader, its leader not ready yet (Ratis refuses writes then), its ready leader. */
    enum Leadership { NONE, NOT_READY, READY }

    /** This node's leadership of a group, read once (its role first: a leader that became ready meanwhile reads ready). */
    Leadership leadership(RaftGroupId group) {
        try {
            var info = division(group).getInfo();
            if (!info.isLeader()) {
                return Leadership.NONE;
            }
            return info.isLeaderReady() ? Leadership.READY : Leadership.NOT_READY;
        } catch (IOException e) {
            return Leadership.NONE;
        }
    }

    /** The current leader of a group and its term (Kafka's leader epoch), if one is known. */
    record Leader(int nodeId, long term, boolean ready) {
    }

    Optional<Leader> leader(RaftGroupId group) {
        try {
            RaftServer.Division division = division(group);
            RaftPeerId leader = division.getInfo().getLeaderId();
            // A closed division keeps the last leader it knew: no view of the group at all.
            if (leader == null || !division.getInfo().isAlive()) {
                return Optional.empty();
            }
            boolean self = division.getInfo().isLeader();
            return Optional.of(new Leader(nodeId(leader), division.getInfo().getCurrentTerm(),
                    !self || division.getInfo().isLeaderReady()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Ratis' metric registries of this node's member of a group: its server's timers and its
     * log's. Asked of the member rather than of Ratis' global list of registries, which loses the
     * server's when the member stops leading (LeaderStateImpl#stop unregisters it) while the
     * member goes on recording into it.
     */
    List<org.apache.ratis.metrics.RatisMetricRegistry> metricRegistries(RaftGroupId group) {
        try {
            RaftServer.Division division = division(group);
            List<org.apache.ratis.metrics.RatisMetricRegistry> registries = new ArrayList<>();
            if (division.getRaftServerMetrics() instanceof org.apache.ratis.metrics.RatisMetrics server) {
                registries.add(server.getRegistry());
            }
            if (division.getRaftLog().getRaftLogMetrics() instanceof org.apache.ratis.metrics.RatisMetrics log) {
                registries.add(log.getRegistry());
            }
            return registries;
        } catch (IOException | IllegalStateException e) { // gone, or joined and not started yet (no log)
            return List.of();
        }
    }

    /**
     * How far each follower's log is behind the leader's, in entries, when this node leads the
     * group; -1 for a follower that has not answered since this node became leader (Ratis knows
     * nothing of its log until then, not even that it is behind).
     */
    Optional<long[]> followerLag(RaftGroupId group) {
        try {
            RaftServer.Division division = division(group);
            if (!division.getInfo().isLeader()) {
                return Optional.empty();
            }
            var last = division.getRaftLog().getLastEntryTermIndex();
            long[] match = division.getInfo().getFollowerMatchIndices(); // null once it stepped down meanwhile
            if (match == null) {
                return Optional.empty();
            }
            long[] lag = new long[match.length];
            for (int i = 0; i < match.length; i++) {
                lag[i] = match[i] < 0 ? -1 : Math.max(0, (last == null ? 0 : last.getIndex()) - match[i]);
            }
            return Optional.of(lag);
        } catch (IOException | IllegalStateException e) {
            return Optional.empty();
        }
    }

    /**
     * What this node sees of its followers in {@code group} while it leads it: how long ago each
     * answered, how far its log reaches (its commit index as it last reported it), and the
     * leader's term (read with its role, so that a leader deposed meanwhile reports its own term,
     * which the controller then ignores) and last entry.
     */
    Optional<InSyncReplicas.Followers> followers(RaftGroupId group) {
        try {
            RaftServer.Division division = division(group);
            var role = division.getInfo().getRoleInfoProto();
            // A leader sets up its followers after it takes the role: until every one is there
            // (and the leader's state with them), there is nothing to judge yet.
            if (role.getRole() != org.apache.ratis.proto.RaftProtos.RaftPeerRole.LEADER || !role.hasLeaderInfo()
                    || role.getLeaderInfo().getFollowerInfoCount() + 1 < division.getGroup().getPeers().size()) {
                return Optional.empty();
            }
            var last = division.getRaftLog().getLastEntryTermIndex();
            Map<Integer, Long> committed = new java.util.HashMap<>();
            division.getCommitInfos().forEach(c -> committed.put(nodeId(RaftPeerId.valueOf(c.getServer().getId())),
                    c.getCommitIndex()));
            var followers = role.getLeaderInfo().getFollowerInfoList();
            int[] ids = new int[followers.size()];
            long[] reached = new long[ids.length];
            long[] answeredAgoMs = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = nodeId(RaftPeerId.valueOf(followers.get(i).getId().getId()));
                reached[i] = committed.getOrDefault(ids[i], -1L);
                answeredAgoMs[i] = followers.get(i).getLastRpcElapsedTimeMs();
            }
            return Optional.of(new InSyncReplicas.Followers(config.nodeId(), role.getLeaderInfo().getTerm(),
                    last == null ? 0 : last.getIndex(), ids, reached, answeredAgoMs));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        controllerClient.close();
        for (RaftClient client : forwarders.values()) {
            client.close();
        }
        server.close();
    }
}
