package dev.oms.streaming.cluster;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.oms.streaming.storage.InvalidBatchException;
import dev.oms.streaming.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.CorruptRecordException;
import org.apache.kafka.common.errors.KafkaStorageException;
import org.apache.kafka.common.errors.NotLeaderOrFollowerException;
import org.apache.kafka.common.errors.UnsupportedVersionException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The log of a cluster node: every partition replicated by its own Raft group on all nodes
 * ({@link PartitionStateMachine}), topics created through the controller group
 * ({@link ControllerStateMachine}). An append is taken by the partition's leader only, and
 * answered once a majority has it on disk; a follower answers NOT_LEADER_OR_FOLLOWER, and clients
 * find the leader in Metadata.
 *
 * <p>Threads: every method may be called from any thread; topics are opened on one thread of
 * their own, in the order the controller applied them.
 */
public final class ReplicatedLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ReplicatedLog.class);
    /** Longer than a leader election, shorter than a producer's delivery timeout. */
    private static final long APPEND_TIMEOUT_MS = 30_000;
    private static final long TOPIC_TIMEOUT_MS = 30_000;

    /** What the node does with the topics the controller holds; both idempotent. */
    public interface Host {
        /**
         * The topic exists with these partitions: open those not open yet, and return every one. Its
         * settings are {@code configs} as of controller log index {@code asOf}: settings held as of
         * a later one stay (an entry replayed at a start is older).
         */
        List<PartitionLog> openTopic(String name, Uuid id, int partitions, Map<String, String> configs, long asOf)
                throws IOException;

        /**
         * The topic with this id was deleted: stop serving it, if this node has it (its partitions
         * are closed and deleted here next); the partitions it had here, none if none.
         */
        Map<Integer, PartitionLog> forgetTopic(String name, Uuid id) throws IOException;
    }

    /** The feature level this build applies (see {@link ControllerStateMachine#FEATURE_LEVEL}). */
    public static final int FEATURE_LEVEL = ControllerStateMachine.FEATURE_LEVEL;

    /**
     * A node as Kafka clients reach it ({@code port}), its HTTP API ({@code httpPort}, 0 if unknown),
     * and the feature level its build applies ({@code featureLevel}: 0 for a build from before
     * levels, -1 if not told).
     */
    public record Node(int id, String host, int port, int httpPort, int featureLevel) {
    }

    /**
     * A partition's leader now: its node and its Raft term, Kafka's leader epoch; {@code ready}
     * once it has applied everything committed before its term (only then may it coordinate).
     */
    public record Leader(int nodeId, int epoch, boolean ready) {
    }

    private final ClusterConfig config;
    private final Host host;
    private final Map<RaftGroupId, PartitionStateMachine> machines = new ConcurrentHashMap<>();
    private final Map<TopicPartition, RaftGroupId> groups = new ConcurrentHashMap<>();
    /** The topic id of each partition here (its group is named by it). */
    private final Map<TopicPartition, String> topicIds = new ConcurrentHashMap<>();
    /** Partitions whose Raft group this node has joined (or had joined before this start). */
    private final java.util.Set<TopicPartition> joined = ConcurrentHashMap.newKeySet();
    private final ControllerStateMachine controller;
    private final CompletableFuture<RaftNode> node = new CompletableFuture<>();
    private final ExecutorService opener = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "oms-cluster-topics");
        t.setDaemon(true);
        return t;
    });
    /**
     * Looks at the followers of the partitions this node leads and reports their ISR to the
     * controller; applies retention to the partitions here.
     */
    private final java.util.concurrent.ScheduledExecutorService housekeeping = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "oms-cluster-housekeeping");
        t.setDaemon(true);
        return t;
    });
    private final Map<TopicPartition, InSyncReplicas> inSync = new ConcurrentHashMap<>();
    /** Groups whose replica an install cut short: emptied at {@link #start}, with their partition's directory. */
    private final Map<RaftGroupId, Path> startingOver = new ConcurrentHashMap<>();
    /** The logs of replicas that start over while the node runs ({@link #startOver}), until a new replica takes each. */
    private final Map<RaftGroupId, PartitionLog> handedOn = new ConcurrentHashMap<>();
    /** Held while a replica starts over, and by {@link #close} to end that first. */
    private final Object startingOverNow = new Object();
    /** Set by {@link #close}, under {@link #startingOverNow}. */
    private boolean closing;
    /** How long a replica waits to start over: a failure that repeats (a broken disk) does not spin. */
    private static final long START_OVER_DELAY_MS = 2_000;
    /** Partitions whose leader here has a retention start on its way through Raft. */
    private final java.util.Set<TopicPartition> retentionInFlight = ConcurrentHashMap.newKeySet();
    /** This node as it registered, once it has. */
    private volatile ControllerStateMachine.NodeInfo registered;
    private final java.util.concurrent.atomic.AtomicBoolean reregistering = new java.util.concurrent.atomic.AtomicBoolean();

    public ReplicatedLog(ClusterConfig config, Host host) {
        this.config = config;
        this.host = host;
        this.controller = new ControllerStateMachine(config.peers().stream().map(ClusterConfig.Peer::id).toList(),
                new ControllerStateMachine.Listener() {
                    @Override
                    public void topic(ControllerStateMachine.TopicInfo topic, long asOf) {
                        opener.execute(() -> open(topic, asOf));
                    }

                    @Override
                    public void deleted(ControllerStateMachine.TopicInfo topic) {
                        opener.execute(() -> remove(topic));
                    }

                    @Override
                    public void reconfirm(int nodeId) {
                        if (nodeId != config.nodeId()) {
                            registerAgain();
                        }
                    }
                });
    }

    /** Takes a partition found on disk; call before {@link #start}. */
    public void adopt(TopicPartition tp, Uuid topicId, PartitionLog log) throws IOException {
        org.apache.ratis.protocol.RaftGroup raftGroup = RaftNode.group(config, topicId.toString(), tp.partition(), tp.partition());
        RaftGroupId group = raftGroup.getGroupId();
        boolean startsOver = !node.isDone() && PartitionStateMachine.startOverIfInstallCutShort(tp, log);
        if (startsOver) {
            startingOver.put(group, log.directory());
        }
        if (groups.putIfAbsent(tp, group) == null) {
            machines.put(group, replica(tp, raftGroup, log));
        }
        topicIds.put(tp, topicId.toString());
        if (!node.isDone()) {
            joined.add(tp); // found on disk: its group resumes when the server starts
        }
    }

    private PartitionStateMachine replica(TopicPartition tp, org.apache.ratis.protocol.RaftGroup group, PartitionLog log)
            throws IOException {
        return new PartitionStateMachine(tp, log, () -> startOver(tp, group, log));
    }

    /**
     * Starts a replica over, empty, while the node runs: an install left its log neither as it
     * was nor whole ({@link PartitionStateMachine#startOver}). As a start does with an install cut
     * short: its division closes, the log and its entry index are emptied, Raft's log and
     * snapshots forgotten (term and vote kept), the mark removed; then a new replica over the same
     * log joins the group, and the leader notifies it to copy everything.
     */
    private void startOver(TopicPartition tp, org.apache.ratis.protocol.RaftGroup group, PartitionLog log) {
        handedOn.put(group.getGroupId(), log);
        try {
            housekeeping.schedule(() -> opener.execute(() -> {
                if (handedOn.remove(group.getGroupId(), log)) {
                    startOverNow(tp, group, log);
                }
            }), START_OVER_DELAY_MS, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            if (handedOn.remove(group.getGroupId(), log)) {
                log.close(); // the node stops: its next start starts the replica over
            }
        }
    }

    private void startOverNow(TopicPartition tp, org.apache.ratis.protocol.RaftGroup group, PartitionLog log) {
        replaceReplica(tp, group, log, () -> machines.containsKey(group.getGroupId()), raft -> {
            if (!PartitionStateMachine.installUnfinished(log)) { // the mark alone makes a stop from here on safe
                throw new IllegalStateException("no install mark: the replica's log may not be emptied");
            }
            raft.leaveForgettingLog(group.getGroupId());
            PartitionStateMachine.startOverIfInstallCutShort(tp, log);
            PartitionStateMachine.unmarkInstall(log.directory());
        }, "started over, empty; the leader sends it everything", "starting the replica over");
    }

    /** How a replica's division leaves its group before another replica over its log joins. */
    private interface Leaving {
        void leave(RaftNode raft) throws IOException;
    }

    /**
     * Puts a new replica over {@code log} in the place of the group's division, unless the node
     * stops or {@code wanted} says the partition went meanwhile: the division leaves the group as
     * {@code leaving} says, then the new replica joins. On a failure the replica stays stopped until
     * the node restarts. One at a time, and never while the node closes.
     */
    private void replaceReplica(TopicPartition tp, org.apache.ratis.protocol.RaftGroup group, PartitionLog log,
                                java.util.function.BooleanSupplier wanted, Leaving leaving, String done, String what) {
        synchronized (startingOverNow) {
            PartitionStateMachine next = null;
            PartitionLog unadopted = log; // closed by the catch below unless closed or adopted already
            try {
                if (closing || !wanted.getAsBoolean()) {
                    unadopted = null;
                    log.close(); // the node stops (its next start resumes the replica), or the topic was deleted meanwhile
                    return;
                }
                RaftNode raft = node.join();
                leaving.leave(raft);
                next = replica(tp, group, log);
                machines.put(group.getGroupId(), next);
                joinWithRetries(raft, group);
                LOG.info("{}: the replica {}", tp, done);
            } catch (IOException | RuntimeException e) {
                LOG.error("{}: {} failed; it stays stopped until the node restarts", tp, what, e);
                try {
                    if (next != null) {
                        next.close();
                    } else if (unadopted != null) {
                        unadopted.close();
                    }
                } catch (IOException | RuntimeException failure) {
                    LOG.error("closing {}", tp, failure);
                }
            }
        }
    }

    /** Starts the Raft server: every group on disk resumes, and the controller brings new topics. */
    public void start(Path raftDir) throws IOException {
        RaftGroupId controllerGroup = RaftNode.controllerGroup(config).getGroupId();
        StateMachine.Registry registry = group -> {
            if (group.equals(controllerGroup)) {
                return controller;
            }
            PartitionStateMachine machine = machines.get(group);
            if (machine == null) {
                throw new IllegalStateException("Raft group " + group + " belongs to no partition this node has");
            }
            return machine;
        };
        for (var partition : startingOver.entrySet()) {
            // Raft's log and snapshots go with the records; its term and vote stay (raft-meta: a
            // node must not vote twice in a term). The replica resumes empty, then the mark goes.
            String name = partition.getKey().getUuid().toString();
            for (Path group : List.of(raftDir.resolve(name), raftDir.resolve(name + ".resuming"))) {
                RaftNode.forgetLogAndSnapshots(group);
            }
            PartitionStateMachine.unmarkInstall(partition.getValue());
        }
        List<org.apache.ratis.protocol.RaftGroup> resume = new ArrayList<>();
        for (TopicPartition tp : joined) {
            resume.add(RaftNode.group(config, topicIds.get(tp), tp.partition(), tp.partition()));
        }
        try {
            node.complete(RaftNode.start(config, raftDir, registry, resume));
        } catch (IOException | RuntimeException e) {
            node.completeExceptionally(e); // nothing waits for a server that will not come
            throw e;
        }
        // Kafka looks every half of replica.lag.time.max.ms; a finer look costs little here.
        long every = Math.max(100, Math.min(1_000, config.replicaLagTimeMaxMs() / 4));
        housekeeping.scheduleWithFixedDelay(this::reportInSyncReplicas, every, every, TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(this::restartStalledFollowers, every, every, TimeUnit.MILLISECONDS);
        housekeeping.scheduleWithFixedDelay(this::applyRetention, dev.oms.streaming.shard.Shard.MAINTENANCE_INTERVAL_MS,
                dev.oms.streaming.shard.Shard.MAINTENANCE_INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** A follower replica's Raft log end, and since when it has not moved while its leader's commit was past it. */
    private record Stall(long nextIndex, long sinceNanos) {
    }

    private final Map<RaftGroupId, Stall> stalls = new ConcurrentHashMap<>();
    /** When each replica's division last restarted: at most once per replica.lag.time.max.ms, so a failure that repeats does not spin. */
    private final Map<RaftGroupId, Long> restartedAt = new ConcurrentHashMap<>();
    /** When {@link #restartStalledFollowers} last looked; on the housekeeping thread only. */
    private long lastStallLookNanos;

    /**
     * Restarts the division of a replica that takes none of its leader's entries: at once when
     * Ratis' append chain is seen failed ({@link RaftNode#appendsBroken}), and otherwise when its
     * leader has told it of entries committed past its log and its log has not grown for
     * replica.lag.time.max.ms (not while it installs the leader's copy). Ratis 3.2 chains a
     * follower's appends one after the other (RaftServerImpl#appendLog); once one fails, whatever
     * the cause, every later one fails too, while heartbeats go on passing: neither side notices,
     * and the replica stays behind for ever, out of the ISR. Seen once a leader cut off by the
     * network came back and had to replace an entry it alone held: two of its new leader's appends
     * ran at once on two gRPC threads, and the second failed with "Already running a method"
     * (RaftLogSequentialOps' check, which throws rather than waits). Closing the division and joining
     * again, over the same log and Raft storage, starts a fresh chain: the leader's entries flow again.
     */
    private void restartStalledFollowers() {
        RaftNode raft = node.getNow(null);
        long now = System.nanoTime();
        long window = TimeUnit.MILLISECONDS.toNanos(config.replicaLagTimeMaxMs());
        if (now - lastStallLookNanos > window / 2) {
            stalls.clear(); // this process did not run for a while (paused, or a long GC): its leaders had no chance
        }
        lastStallLookNanos = now;
        stalls.keySet().retainAll(machines.keySet()); // not those of partitions deleted since
        restartedAt.keySet().retainAll(machines.keySet());
        for (var partition : groups.entrySet()) {
            RaftGroupId group = partition.getValue();
            PartitionStateMachine machine = machines.get(group);
            try {
                Long restarted = restartedAt.get(group);
                if (restarted != null && now - restarted < window) {
                    continue; // restarted a moment ago: it gets a window to catch up first
                }
                if (machine != null && raft.appendsBroken(group)) {
                    stalls.remove(group);
                    LOG.warn("{}: Ratis takes no more of the leader's entries on this replica (an append failed, and"
                            + " every later one fails with it); its division restarts", partition.getKey());
                    restart(partition.getKey(), group, machine);
                    continue;
                }
                RaftNode.FollowerPosition position = machine == null || machine.installing() ? null
                        : raft.followerPosition(group).filter(RaftNode.FollowerPosition::behind).orElse(null);
                if (position == null) {
                    stalls.remove(group); // leading, installing, or as far as its leader has committed
                    continue;
                }
                long next = position.nextIndex();
                Stall stall = stalls.get(group);
                if (stall == null || stall.nextIndex() != next) {
                    stalls.put(group, new Stall(next, now));
                } else if (now - stall.sinceNanos() >= window) {
                    stalls.remove(group);
                    LOG.warn("{}: this follower took none of its leader's entries for {} ms (its Raft log ends before"
                            + " entry {}, committed up to {}); its division restarts", partition.getKey(),
                            config.replicaLagTimeMaxMs(), next, position.leaderCommit());
                    restart(partition.getKey(), group, machine);
                }
            } catch (IOException | RuntimeException e) {
                stalls.remove(group); // closed or left meanwhile
            }
        }
    }

    /** Closes the replica's division and joins its group again with a replica over the same log. */
    private void restart(TopicPartition tp, RaftGroupId group, PartitionStateMachine machine) {
        PartitionLog log = machine.handOn();
        if (log == null) {
            return; // closed or stopped meanwhile
        }
        restartedAt.put(group, System.nanoTime());
        org.apache.ratis.protocol.RaftGroup raftGroup = RaftNode.group(config, topicIds.get(tp), tp.partition(), tp.partition());
        handedOn.put(group, log); // closed by close() if the node stops first
        try {
            opener.execute(() -> {
                if (handedOn.remove(group, log)) {
                    replaceReplica(tp, raftGroup, log, () -> machines.get(group) == machine, raft -> raft.closeDivision(group),
                            "restarted its division; its leader's entries reach it again", "restarting the replica's division");
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            if (handedOn.remove(group, log)) {
                log.close(); // the node stops: its next start resumes the replica
            }
        }
    }

    /**
     * Retention on replicated partitions. The leader of each decides where retention starts it (its
     * segments' times and sizes, the rules of a single node) and writes that start to the
     * partition's Raft group, as DeleteRecords does: every replica hides the same records at the
     * same point of its log. Then every replica removes the segments wholly before both its start
     * and the records Raft may still send a follower (its segments roll apart from the others'),
     * and compacts those of a compacted topic.
     */
    private void applyRetention() {
        RaftNode raft = node.getNow(null);
        long now = System.currentTimeMillis();
        for (var partition : groups.entrySet()) {
            TopicPartition tp = partition.getKey();
            PartitionStateMachine machine = machines.get(partition.getValue());
            if (machine == null) {
                continue;
            }
            try {
                if (raft.leadsReady(partition.getValue()) && retentionInFlight.add(tp)) {
                    long point = machine.retentionPoint(now);
                    if (point > machine.logStartOffset() && controller.belowFeatureLevel("retention", 1) == null) {
                        submit(raft, tp, partition.getValue(), PartitionStateMachine.startAt(point)).whenComplete((start, error) -> {
                            retentionInFlight.remove(tp);
                            if (error != null) {
                                LOG.debug("{}: retention's start not written (the next look retries)", tp, error);
                            } else {
                                LOG.info("{}: retention moved the log start to {}", tp, start);
                            }
                        });
                    } else {
                        retentionInFlight.remove(tp);
                    }
                }
                int dropped = machine.cleanSegments(now);
                if (dropped > 0) {
                    LOG.info("{}: {} segment(s) before the log start ({}) deleted", tp, dropped, machine.logStartOffset());
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("{}: retention failed (the next look retries)", tp, e);
            }
        }
    }

    /**
     * For each partition this node leads, its in-sync replicas now; written to the controller
     * when they differ from what it holds (or were reported in an earlier term).
     */
    private void reportInSyncReplicas() {
        RaftNode raft = node.getNow(null);
        long now = TimeUnit.NANOSECONDS.toMillis(System.nanoTime());
        for (var partition : groups.entrySet()) {
            TopicPartition tp = partition.getKey();
            try {
                Optional<InSyncReplicas.Followers> followers = raft.followers(partition.getValue());
                if (followers.isEmpty()) {
                    inSync.remove(tp);
                    continue;
                }
                String topicId = topicIds.get(tp);
                if (topicId == null || !controller.holds(tp.topic(), topicId)) {
                    inSync.remove(tp);
                    continue; // deleted; this node removes its copy
                }
                long term = followers.get().term();
                Optional<ControllerStateMachine.IsrInfo> recorded = controller.isr(tp);
                List<Integer> isr = inSync.computeIfAbsent(tp, t -> new InSyncReplicas(config.replicaLagTimeMaxMs()))
                        .at(now, followers.get(), recorded.map(ControllerStateMachine.IsrInfo::isr).orElseGet(this::replicas));
                if (recorded.isEmpty() || recorded.get().term() != term || !recorded.get().isr().equals(isr)) {
                    raft.submitToController(ControllerStateMachine.encode(ControllerStateMachine.Command.isr(
                            new ControllerStateMachine.IsrInfo(tp.topic(), tp.partition(), term, isr, topicId))));
                    LOG.info("{}: in-sync replicas {} (term {})", tp, isr, term);
                }
            } catch (IOException | RuntimeException e) {
                // The controller has no majority now, or this node stopped leading: the next look retries.
                LOG.debug("{}: in-sync replicas not reported", tp, e);
            }
        }
    }

    private void open(ControllerStateMachine.TopicInfo topic, long asOf) {
        if (controller.deleted(topic.id())) {
            return; // its creation replayed at a start, its deletion applied since
        }
        try {
            RaftNode raft = node.join();
            Uuid id = Uuid.fromString(topic.id());
            List<PartitionLog> logs = host.openTopic(topic.name(), id, topic.partitions(),
                    ControllerStateMachine.configsOf(topic), asOf);
            if (logs.isEmpty()) {
                // A topic of that name with another id is here: this one was deleted since (its
                // creation is replayed from the controller's log at a start), and its tombstone follows.
                return;
            }
            for (int p = 0; p < logs.size(); p++) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                adopt(tp, id, logs.get(p));
                joinWithRetries(raft, raft.partitionGroup(topic.id(), p));
                joined.add(tp);
            }
            LOG.info("topic {}: {} partitions replicated on {} nodes", topic.name(), topic.partitions(),
                    config.peers().size());
        } catch (IOException | RuntimeException e) {
            LOG.error("opening topic {} from the cluster metadata failed", topic.name(), e);
        }
    }

    /**
     * Removes this node's copy of a deleted topic, whatever of it is left: it stops being served,
     * each partition's Raft group is left (which closes the replica) and its directory deleted,
     * then the partition's files; in that order, so that a stop halfway leaves nothing Raft would
     * resume without its partition, and the tombstone finishes it at the next start. A partition
     * is forgotten here only once it is gone.
     */
    private void remove(ControllerStateMachine.TopicInfo topic) {
        try {
            RaftNode raft = node.join();
            Uuid id = Uuid.fromString(topic.id());
            Map<Integer, PartitionLog> here = host.forgetTopic(topic.name(), id);
            int count = here.keySet().stream().mapToInt(p -> p + 1).max().orElse(0);
            for (int p = 0; p < Math.max(count, topic.partitions()); p++) {
                TopicPartition tp = new TopicPartition(topic.name(), p);
                RaftGroupId group = raft.partitionGroup(topic.id(), p).getGroupId();
                PartitionStateMachine machine = machines.get(group);
                if (machine != null) {
                    raft.leave(group);
                    machine.delete();
                } else if (here.containsKey(p)) {
                    here.get(p).close(); // opened, never adopted
                    here.get(p).deleteFiles();
                }
                machines.remove(group);
                groups.remove(tp, group);
                topicIds.remove(tp, topic.id());
                joined.remove(tp);
                inSync.remove(tp);
            }
            if (!here.isEmpty()) {
                LOG.info("topic {} ({}): deleted, {} partitions removed from this node", topic.name(), id, here.size());
            }
        } catch (IOException | RuntimeException e) {
            LOG.error("removing deleted topic {} ({}) from this node failed; the next start tries again", topic.name(),
                    topic.id(), e);
        }
    }

    private static void joinWithRetries(RaftNode raft, org.apache.ratis.protocol.RaftGroup group) throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                raft.join(group);
                return;
            } catch (IOException e) {
                if (attempt == 10) {
                    throw e;
                }
                LOG.warn("joining Raft group {} failed (attempt {}), retrying", group.getGroupId(), attempt, e);
                try {
                    Thread.sleep(200L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted", interrupted);
                }
            }
        }
    }

    /**
     * Announces this node's Kafka and HTTP addresses and its build's feature level to the cluster,
     * and asks the other nodes to register again: what this node holds of them may come from a
     * snapshot an earlier build wrote, which keeps no levels, and would make it refuse changes
     * the cluster is ready for.
     */
    public void register(String host, int kafkaPort, int httpPort) throws IOException {
        ControllerStateMachine.NodeInfo self = new ControllerStateMachine.NodeInfo(config.nodeId(), host, kafkaPort,
                httpPort, ControllerStateMachine.FEATURE_LEVEL);
        registered = self;
        submitToController(ControllerStateMachine.encode(ControllerStateMachine.Command.register(self, true)));
    }

    /**
     * Registers again, once for any number of asks (they come from the controller's updater, which
     * must not wait on its own group, and a start replays every ask in the log).
     */
    private void registerAgain() {
        ControllerStateMachine.NodeInfo self = registered;
        if (self == null || !reregistering.compareAndSet(false, true)) {
            return; // not started yet: its own registration comes
        }
        try {
            housekeeping.execute(() -> {
                reregistering.set(false);
                try {
                    submitToController(ControllerStateMachine.encode(ControllerStateMachine.Command.register(self, false)));
                } catch (IOException | RuntimeException e) {
                    LOG.warn("registering again with the controller failed (the next node to start asks again)", e);
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException stopping) {
            // this node is stopping: it registers when it starts
        }
    }

    /**
     * Creates a topic through the controller, or finds it; returns once its partitions are open
     * here. The answer says whether it was new.
     */
    public record Created(boolean created, int partitions) {
    }

    public Created createTopic(String name, int partitions, Map<String, String> configs) throws IOException {
        Uuid proposed = Uuid.randomUuid();
        ControllerStateMachine.TopicInfo topic = ControllerStateMachine.topicOf(submitToController(
                ControllerStateMachine.encode(ControllerStateMachine.Command.createTopic(
                        new ControllerStateMachine.TopicInfo(name, proposed.toString(), partitions, Map.copyOf(configs))))));
        awaitHere("topic " + name + " was created but its partitions did not open here",
                () -> joined.containsAll(partitionsOf(name, topic.partitions())));
        return new Created(topic.id().equals(proposed.toString()), topic.partitions());
    }

    /**
     * Grows a topic through the controller to {@code count} partitions; returns once the new
     * partitions are open here.
     *
     * @throws org.apache.kafka.common.errors.ApiException the controller's refusal (unknown topic, a count not larger)
     */
    public void createPartitions(String name, int count) throws IOException {
        requireFeatureLevel("CreatePartitions", 1);
        decide(ControllerStateMachine.Command.createPartitions(name, count)).topicOrThrow();
        awaitHere("topic " + name + " grew to " + count + " partitions but they did not open here",
                () -> joined.containsAll(partitionsOf(name, count)));
    }

    /** The settings the controller holds for the topic of this name and id (as this node has applied them). */
    public Map<String, String> topicConfigs(String name, Uuid id) {
        return controller.topicConfigs(name, id.toString())
                .orElseThrow(() -> new org.apache.kafka.common.errors.UnknownTopicOrPartitionException("unknown topic " + name));
    }

    /**
     * Sets a topic's own settings to {@code next} through the controller, if they are still
     * {@code expected} there; every node applies them. Returns once {@code appliedHere} says this
     * node has.
     *
     * @throws org.apache.kafka.common.errors.InvalidUpdateVersionException if they changed meanwhile
     */
    public void alterTopicConfigs(String name, Uuid id, Map<String, String> expected, Map<String, String> next,
                                  java.util.function.BooleanSupplier appliedHere) throws IOException {
        requireFeatureLevel("AlterConfigs", 2);
        decide(ControllerStateMachine.Command.alterConfigs(new ControllerStateMachine.TopicInfo(name, id.toString(), 0,
                Map.copyOf(next)), Map.copyOf(expected))).topicOrThrow();
        awaitHere("the settings of topic " + name + " were altered but not applied here", appliedHere);
    }

    /**
     * Deletes a topic through the controller (the one with this id, when given); every node
     * removes its copy. Returns once this node has.
     *
     * @throws org.apache.kafka.common.errors.UnknownTopicOrPartitionException if there is no such topic
     */
    public void deleteTopic(String name, Uuid id) throws IOException {
        requireFeatureLevel("DeleteTopics", 1);
        ControllerStateMachine.TopicInfo topic = decide(ControllerStateMachine.Command.deleteTopic(name,
                id == null ? null : id.toString())).topicOrThrow();
        RaftNode raft = node.join();
        List<RaftGroupId> replicas = new ArrayList<>();
        for (int p = 0; p < topic.partitions(); p++) {
            replicas.add(raft.partitionGroup(topic.id(), p).getGroupId());
        }
        awaitHere("topic " + name + " was deleted but its partitions are still here",
                () -> replicas.stream().noneMatch(machines::containsKey));
    }

    /**
     * Refuses a change that needs feature {@code level} while a configured node has not
     * registered at it, as this node's metadata has it (see {@link ControllerStateMachine#FEATURE_LEVEL}).
     */
    private void requireFeatureLevel(String change, int level) {
        String refused = controller.belowFeatureLevel(change, level);
        if (refused != null) {
            throw new UnsupportedVersionException(refused);
        }
    }

    /** A topic change, as the controller decided it. */
    private ControllerStateMachine.Outcome decide(ControllerStateMachine.Command command) throws IOException {
        return ControllerStateMachine.outcomeOf(submitToController(ControllerStateMachine.encode(command)));
    }

    /** A command for the controller group, as written; answered once applied (tests speak for other builds through it). */
    Message submitToController(Message command) throws IOException {
        return node.join().submitToController(command);
    }

    /** Waits for what the controller applied to take effect on this node's topic thread. */
    private static void awaitHere(String failure, java.util.function.BooleanSupplier done) throws IOException {
        long deadline = System.currentTimeMillis() + TOPIC_TIMEOUT_MS;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException(failure + " within " + TOPIC_TIMEOUT_MS + " ms");
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
    }

    private static List<TopicPartition> partitionsOf(String topic, int count) {
        List<TopicPartition> partitions = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            partitions.add(new TopicPartition(topic, p));
        }
        return partitions;
    }

    /**
     * Appends through the partition's Raft group; completes with the first offset once a majority
     * holds the records durably, or with NOT_LEADER_OR_FOLLOWER on a node that does not lead it.
     */
    public CompletableFuture<Long> append(TopicPartition tp, MemoryRecords records) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        if (group == null || raft == null) {
            return CompletableFuture.failedFuture(new NotLeaderOrFollowerException(tp + " has no replica here"));
        }
        org.apache.ratis.thirdparty.com.google.protobuf.ByteString data = UnsafeByteOperations.unsafeWrap(records.buffer().duplicate());
        HeldAppends hold = held.get(group);
        if (hold == null && raft.leadership(group) == RaftNode.Leadership.NOT_READY) {
            hold = held.computeIfAbsent(group, g -> new HeldAppends(tp, g));
        }
        if (hold != null) {
            synchronized (hold) {
                if (hold.refusing) {
                    return CompletableFuture.failedFuture(notReady(tp));
                }
                if (!hold.released) {
                    CompletableFuture<Long> answer = new CompletableFuture<>();
                    hold.appends.add(Map.entry(data, answer));
                    if (hold.appends.size() == 1) { // the first: a hold takes appends only until it refuses or is released
                        awaitReady(hold);
                    }
                    return answer;
                }
            }
        }
        return submit(raft, tp, group, data);
    }

    /**
     * Appends that reached this node while it led the partition's group but was not ready yet (its
     * term's first entry not yet applied), kept in the order they came. Ratis refuses those as
     * not ready, and a moment later takes the next ones: an idempotent producer whose pipelined
     * batches met that moment had its first refused and its second written, and then retried the
     * first until it gave up (OUT_OF_ORDER_SEQUENCE_NUMBER for two minutes, found under load on a
     * new topic). Metadata names a leader as soon as the other nodes hear from it, which is before
     * it is ready, so every new topic and every failover opened that window.
     */
    private final Map<RaftGroupId, HeldAppends> held = new ConcurrentHashMap<>();
    /** How long appends wait for their leader to be ready before they are refused, all of them. */
    private static final long HOLD_MS = 10_000;
    /**
     * Watches the held appends' leaders (every 2 ms: the window lasts one commit round); a thread
     * of its own, as housekeeping waits on the controller.
     */
    private final java.util.concurrent.ScheduledExecutorService readiness = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "oms-cluster-leader-ready");
        t.setDaemon(true);
        return t;
    });

    private static final class HeldAppends {
        final TopicPartition tp;
        final RaftGroupId group;
        final java.util.ArrayDeque<Map.Entry<org.apache.ratis.thirdparty.com.google.protobuf.ByteString, CompletableFuture<Long>>> appends =
                new java.util.ArrayDeque<>();
        final long since = System.nanoTime();
        /**
         * Set when the leader was not ready within {@link #HOLD_MS}: what was held is refused, and so
         * is every later append until it is ready (one taken meanwhile would split a producer's batches again).
         */
        boolean refusing;
        /** Set once the appends were submitted or refused: later ones go straight to Raft. */
        boolean released;

        HeldAppends(TopicPartition tp, RaftGroupId group) {
            this.tp = tp;
            this.group = group;
        }
    }

    /**
     * Submits the held appends in their order once this node's leadership is ready, or refuses them
     * all (NOT_LEADER_OR_FOLLOWER, which producers retry after a Metadata refresh) if it stops
     * leading or the node closes. The hold leaves {@link #held} last, under its lock: an append
     * that no longer finds it comes after every one it held. Submitting under that lock takes
     * Ratis' lock after ours; nothing that answers an append may append again (Ratis answers
     * some under its own lock, and would then take ours after its own).
     */
    private void awaitReady(HeldAppends hold) {
        RaftNode raft = node.getNow(null);
        RaftNode.Leadership now = raft == null ? RaftNode.Leadership.NONE : raft.leadership(hold.group);
        synchronized (hold) {
            if (now == RaftNode.Leadership.NOT_READY) {
                if (!hold.refusing && System.nanoTime() - hold.since > TimeUnit.MILLISECONDS.toNanos(HOLD_MS)) {
                    hold.refusing = true;
                    hold.appends.forEach(append -> append.getValue().completeExceptionally(notReady(hold.tp)));
                    hold.appends.clear();
                }
                try {
                    readiness.schedule(() -> awaitReady(hold), 2, TimeUnit.MILLISECONDS);
                    return;
                } catch (java.util.concurrent.RejectedExecutionException closing) {
                    now = RaftNode.Leadership.NONE;
                }
            }
            for (var append : hold.appends) {
                CompletableFuture<Long> answer = append.getValue();
                try {
                    if (now == RaftNode.Leadership.READY) {
                        submit(raft, hold.tp, hold.group, append.getKey()).whenComplete((offset, error) -> {
                            if (error != null) {
                                answer.completeExceptionally(error);
                            } else {
                                answer.complete(offset);
                            }
                        });
                    } else {
                        answer.completeExceptionally(new NotLeaderOrFollowerException(hold.tp + ": this node no longer leads it"));
                    }
                } catch (RuntimeException e) {
                    answer.completeExceptionally(e);
                }
            }
            hold.appends.clear();
            hold.released = true;
            held.remove(hold.group, hold);
        }
    }

    private static NotLeaderOrFollowerException notReady(TopicPartition tp) {
        return new NotLeaderOrFollowerException(tp + ": this node leads it but has not been ready for " + HOLD_MS + " ms");
    }

    /** An entry for the partition's group, submitted here; completes with the offset the state machine answers. */
    private static CompletableFuture<Long> submit(RaftNode raft, TopicPartition tp, RaftGroupId group,
                                                  org.apache.ratis.thirdparty.com.google.protobuf.ByteString data) {
        try {
            return raft.submit(group, data).orTimeout(APPEND_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                    .handle((reply, error) -> answer(tp, reply, error));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(new KafkaStorageException(e.getMessage(), e));
        }
    }

    /**
     * Deletes the records before {@code offset} (at most the high watermark, which the caller
     * checked) of a partition this node leads: a Raft entry of the partition's own group, so every
     * replica hides the same records once it is committed, and a new leader has applied it before
     * it serves (Kafka's DeleteRecords waits for its in-sync replicas alike). Completes with where
     * the partition starts now. Whole segments before it go once Raft no longer needs them
     * ({@link #applyRetention}).
     */
    public CompletableFuture<Long> deleteRecords(TopicPartition tp, long offset) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        if (group == null || raft == null || !raft.leadsReady(group)) {
            return CompletableFuture.failedFuture(new NotLeaderOrFollowerException("this node does not lead " + tp));
        }
        try {
            requireFeatureLevel("DeleteRecords", 1);
        } catch (UnsupportedVersionException refused) {
            return CompletableFuture.failedFuture(refused);
        }
        return submit(raft, tp, group, PartitionStateMachine.startAt(offset));
    }

    /**
     * Appends through the partition's Raft group wherever its leader is: submitted here when this
     * node leads (and is ready), else sent to the leader by a Raft client (which follows leadership
     * changes, keeps one sender's writes in order, and retries with the same call id, so Raft's
     * retry cache keeps a retry from being appended twice). For in-process writers; Kafka clients
     * use {@link #append}.
     */
    public CompletableFuture<Long> appendAtLeader(TopicPartition tp, MemoryRecords records) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        if (group == null || raft == null) {
            return append(tp, records);
        }
        if (raft.leadsReady(group)) {
            // Not sent again through the client if it fails: a leader that steps down fails requests
            // its successor may still commit, and a resend would append the batch twice. The
            // caller sees the failure (a worker resumes from its checkpoint, an HTTP client retries).
            return append(tp, records);
        }
        return raft.forward(group, UnsafeByteOperations.unsafeWrap(records.buffer().duplicate()))
                .orTimeout(APPEND_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                .handle((reply, error) -> answer(tp, reply, error));
    }

    /**
     * True when this node leads the partition and has applied everything committed before its term.
     * Asked by every engine worker on every turn: no allocation.
     */
    public boolean leadsHere(TopicPartition tp) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        return group != null && raft != null && raft.leadsReady(group);
    }

    private static long answer(TopicPartition tp, RaftClientReply reply, Throwable error) {
        if (error != null) {
            Throwable cause = error instanceof java.util.concurrent.CompletionException ? error.getCause() : error;
            if (cause instanceof TimeoutException) {
                throw new org.apache.kafka.common.errors.TimeoutException(tp + ": no majority took the records within " + APPEND_TIMEOUT_MS + " ms");
            }
            throw new KafkaStorageException(tp + ": " + cause.getMessage(), cause);
        }
        if (reply.isSuccess()) {
            return PartitionStateMachine.offsetOf(reply.getMessage());
        }
        if (reply.getNotLeaderException() != null || reply.getException() instanceof NotLeaderException) {
            throw new NotLeaderOrFollowerException("node no longer leads " + tp);
        }
        StateMachineException refused = reply.getStateMachineException();
        if (refused != null && refused.getCause() instanceof InvalidBatchException invalid) {
            throw new CorruptRecordException(invalid.getMessage());
        }
        Throwable cause = reply.getException();
        throw new NotLeaderOrFollowerException(tp + ": " + (cause == null ? "not appended" : cause.getMessage()));
    }

    /** The leader of a partition, if one is elected and known here. */
    public Optional<Leader> leader(TopicPartition tp) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        if (group == null || raft == null) {
            return Optional.empty();
        }
        return raft.leader(group).map(l -> new Leader(l.nodeId(), (int) Math.min(Integer.MAX_VALUE, l.term()), l.ready()));
    }

    /** Each partition's Raft group. */
    Map<TopicPartition, RaftGroupId> groups() {
        return java.util.Collections.unmodifiableMap(groups);
    }

    /** This node's Raft server; null until it has started. */
    RaftNode raftNode() {
        return node.getNow(null);
    }

    /** How many Raft entries each follower is behind, when this node leads the partition. */
    public Optional<long[]> followerLag(TopicPartition tp) {
        RaftGroupId group = groups.get(tp);
        RaftNode raft = node.getNow(null);
        return group == null || raft == null ? Optional.empty() : raft.followerLag(group);
    }

    /**
     * A partition's in-sync replicas, as its leader last reported them to the controller; every
     * replica until a leader has.
     */
    public List<Integer> inSyncReplicas(TopicPartition tp) {
        return controller.isr(tp).map(ControllerStateMachine.IsrInfo::isr).orElseGet(this::replicas);
    }

    /** Every node's id: each partition has a replica on each. */
    public List<Integer> replicas() {
        List<Integer> ids = new ArrayList<>();
        config.peers().forEach(p -> ids.add(p.id()));
        return ids;
    }

    /** The nodes that announced their Kafka address. */
    public Collection<Node> nodes() {
        return controller.nodes().stream().map(n -> new Node(n.id(), n.host(), n.kafkaPort(), n.httpPort(), n.featureLevel()))
                .toList();
    }

    /**
     * The feature level every configured node has registered at: what the cluster may use (see
     * {@code ControllerStateMachine.FEATURE_LEVEL}).
     */
    public int featureLevel() {
        return controller.featureLevel();
    }

    public int nodeId() {
        return config.nodeId();
    }

    /** The same on every node: named after the controller group. */
    public String clusterId() {
        return RaftNode.controllerGroup(config).getGroupId().getUuid().toString();
    }

    /** The controller group's leader, Kafka's active controller. */
    public int controllerId() {
        RaftNode raft = node.getNow(null);
        return raft == null ? -1 : raft.leader(raft.controllerGroupId()).map(RaftNode.Leader::nodeId).orElse(-1);
    }

    /** True once this node's Raft server runs: its state machines own the partition logs then. */
    public boolean running() {
        return node.isDone() && !node.isCompletedExceptionally();
    }

    @Override
    public void close() throws IOException {
        synchronized (startingOverNow) { // one under way finishes first, uninterrupted; none begins
            closing = true;
        }
        housekeeping.shutdownNow();
        opener.shutdownNow();
        readiness.shutdownNow();
        held.values().forEach(this::awaitReady); // settled now: submitted if ready, else refused
        RaftNode raft = running() ? node.getNow(null) : null;
        if (raft != null) {
            raft.close(); // closes every state machine, and with them the partition logs
        }
        for (RaftGroupId group : handedOn.keySet()) { // but those of replicas that were to start over
            PartitionLog log = handedOn.remove(group);
            if (log != null) {
                log.close();
            }
        }
    }
}
