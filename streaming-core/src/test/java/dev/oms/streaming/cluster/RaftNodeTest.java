package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

import dev.oms.streaming.storage.PartitionLog;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.ratis.proto.RaftProtos.AppendEntriesRequestProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.statemachine.StateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.CodeInjectionForTesting;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three Ratis servers of this node's making, in one JVM, with partition state machines over real logs. */
class RaftNodeTest {
    /** Ratis' hook in a follower's handling of AppendEntries (RaftServerImpl.APPEND_ENTRIES). */
    private static final String APPEND_ENTRIES = "RaftServerImpl.appendEntries";
    private static final TopicPartition PARTITION = new TopicPartition("payments", 2);

    @TempDir
    Path dir;

    private final List<RaftNode> running = new ArrayList<>();
    /** Each node's partition log, as last opened. */
    private final java.util.Map<Integer, PartitionLog> logs = new java.util.concurrent.ConcurrentHashMap<>();
    /** Each node's controller state machine, as last started. */
    private final java.util.Map<Integer, ControllerStateMachine> controllers = new java.util.concurrent.ConcurrentHashMap<>();

    /** Ratis settings a test set as system properties (RaftNode reads raft.* from there), cleared after it. */
    private final List<String> settings = new ArrayList<>();

    @AfterEach
    void stop() throws IOException {
        CodeInjectionForTesting.remove(APPEND_ENTRIES);
        for (RaftNode node : running) {
            node.close();
        }
        settings.forEach(System::clearProperty);
    }

    private void purgeSoon() {
        settings.addAll(setPurgeSoon());
    }

    /**
     * Small Raft log segments and a snapshot every 64 entries, as system properties for the nodes
     * started next: purges come after a few hundred entries, and keep the last 64. Returns the
     * properties set, to clear.
     */
    static List<String> setPurgeSoon() {
        return setPurgeSoon(64);
    }

    /** As {@link #setPurgeSoon()}, keeping the last {@code kept} entries behind each purge. */
    static List<String> setPurgeSoon(int kept) {
        var settings = java.util.Map.of("raft.server.log.segment.size.max", "16KB",
                "raft.server.snapshot.auto.trigger.threshold", "64", "raft.server.log.purge.gap", "1",
                "raft.server.log.purge.preservation.log.num", Integer.toString(kept));
        settings.forEach(System::setProperty);
        return List.copyOf(settings.keySet());
    }

    /**
     * Raft's log is purged behind the snapshots, and the entry
     * index drops what Raft purged: neither grows with the partition. The records stay. The index
     * drops at every 1,024th entry, once what Raft purged is half of it, and Raft's purges run behind
     * its writes by however long a snapshot takes: at a given moment it can hold a few thousand
     * entries (2,369 of 5,000 once in CI), so the bound is half of what 10,000 would take.
     */
    @Test
    void raftsLogAndTheEntryIndexStayShortAsRecordsAreAppended() throws Exception {
        purgeSoon();
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        List<String> expected = appendMany(List.of(nodes[1], nodes[2], nodes[3]), group.getGroupId(), "r", 10_000);

        Awaitility.await("every replica applied them all").atMost(Duration.ofSeconds(60))
                .until(() -> logs.values().stream().allMatch(log -> log.highWatermark() == expected.size()));
        for (int id = 1; id <= 3; id++) {
            RaftNode node = nodes[id];
            Awaitility.await("node " + id + "'s Raft log purged").atMost(Duration.ofSeconds(30))
                    .until(() -> node.division(group.getGroupId()).getRaftLog().getStartIndex() > 9_000);
            // 66 bytes an entry: all 10,000 would be 660,000 bytes.
            assertThat(java.nio.file.Files.size(entriesFile(id))).as("node %d's raft-entries", id).isLessThan(330_000);
            assertThat(values(logs.get(id))).as("node %d's records", id).isEqualTo(expected);
        }
    }

    /**
     * Raft's log files hold entry headers only, and Ratis rolls them after 1 MB of records (it
     * counts the records it caches with each entry): a file is not filled with zeros up to a
     * megabyte when it opens, which wrote as many bytes of zeros as of records.
     */
    @Test
    void raftsLogFilesRollAfterAMegabyteOfRecordsAndHoldOnlyHeaders() throws Exception {
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        String big = "x".repeat(32 * 1024);
        for (int i = 0; i < 100; i++) { // 3.2 MB of records
            appendThroughLeader(List.of(nodes[3]), group.getGroupId(), big + i);
        }
        for (int id = 1; id <= 3; id++) {
            PartitionLog log = logs.get(id);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> log.highWatermark() == 100);
            Path current = dir.resolve("node-" + id).resolve("raft").resolve(group.getGroupId().getUuid().toString())
                    .resolve("current");
            List<Path> files;
            try (var list = java.nio.file.Files.list(current)) {
                files = list.filter(f -> f.getFileName().toString().startsWith("log_")).toList();
            }
            long bytes = 0;
            for (Path f : files) {
                bytes += java.nio.file.Files.size(f);
            }
            assertThat(files).as("node %d's Raft log files", id).hasSizeGreaterThanOrEqualTo(3);
            assertThat(bytes).as("node %d's Raft log files, together", id).isLessThan(64 * 1024);
        }
    }

    /**
     * A batch whose bytes do not match its CRC is refused by the leader before it takes a place in
     * Raft's log: no replica writes it, and the next batch takes the offset it would have had.
     */
    @Test
    void aBatchWithABadCrcIsRefusedBeforeRaftAndNoReplicaWritesIt() throws Exception {
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        List<RaftNode> all = List.of(nodes[1], nodes[2], nodes[3]);
        List<String> expected = new ArrayList<>(appendMany(all, group.getGroupId(), "before", 3));
        long lastEntry = nodes[3].division(group.getGroupId()).getRaftLog().getLastEntryTermIndex().getIndex();

        MemoryRecords corrupt = records("corrupt");
        java.nio.ByteBuffer bytes = corrupt.buffer();
        bytes.put(bytes.limit() - 1, (byte) (bytes.get(bytes.limit() - 1) ^ 0xFF));
        org.assertj.core.api.Assertions.assertThatThrownBy(
                        () -> nodes[3].submit(group.getGroupId(), UnsafeByteOperations.unsafeWrap(bytes.duplicate())))
                .isInstanceOf(dev.oms.streaming.storage.InvalidBatchException.class).hasMessageContaining("crc");
        assertThat(nodes[3].division(group.getGroupId()).getRaftLog().getLastEntryTermIndex().getIndex()).isEqualTo(lastEntry);
        expected.addAll(appendMany(all, group.getGroupId(), "after", 1));
        awaitEveryReplicaHolds(expected);
    }

    /**
     * A replica whose disk was replaced lacks entries that every other replica purged: it copies
     * the records up to the leader's snapshot from the leader, at the same offsets, then follows
     * Raft from there, and keeps it all across a restart. The controller's metadata, purged alike,
     * comes whole in the leader's snapshot.
     */
    @Test
    void aReplicaWithAnEmptyDiskCopiesThePurgedRecordsFromTheLeader() throws Exception {
        purgeSoon();
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        List<RaftNode> all = new ArrayList<>(List.of(nodes[1], nodes[2], nodes[3]));
        List<String> expected = new ArrayList<>(appendMany(all, group.getGroupId(), "before", 1_000));
        for (int port = 1; port <= 200; port++) { // metadata: a node's HTTP port, changed 200 times
            nodes[1].submitToController(ControllerStateMachine.encode(ControllerStateMachine.Command.register(
                    new ControllerStateMachine.NodeInfo(7, "127.0.0.1", 9092, port, 1), false)));
        }
        RaftGroupId controller = RaftNode.controllerGroup(config(1, peers)).getGroupId();
        Awaitility.await("every replica purged its Raft logs").atMost(Duration.ofSeconds(60)).until(() -> {
            for (int id = 1; id <= 3; id++) {
                if (nodes[id].division(group.getGroupId()).getRaftLog().getStartIndex() <= 0
                        || nodes[id].division(controller).getRaftLog().getStartIndex() <= 0) {
                    return false;
                }
            }
            return true;
        });
        int replaced = 1;
        while (nodes[replaced].leadsReady(group.getGroupId())) {
            replaced++;
        }
        nodes[replaced].close();
        running.remove(nodes[replaced]);
        all.remove(nodes[replaced]);
        dev.oms.streaming.storage.Directories.delete(dir.resolve("node-" + replaced));

        nodes[replaced] = start(replaced, peers, List.of());
        nodes[replaced].join(group);
        all.add(nodes[replaced]);
        expected.addAll(appendMany(all, group.getGroupId(), "after", 10));
        PartitionLog copy = logs.get(replaced);
        Awaitility.await("the new replica has every record").atMost(Duration.ofSeconds(60))
                .until(() -> copy.highWatermark() == expected.size());
        assertThat(values(copy)).isEqualTo(expected);
        assertThat(copy.logStartOffset()).isZero();
        ControllerStateMachine metadata = controllers.get(replaced);
        Awaitility.await("the new replica has the metadata").atMost(Duration.ofSeconds(30))
                .until(() -> metadata.nodes().stream().anyMatch(n -> n.id() == 7 && n.httpPort() == 200));

        nodes[replaced].close();
        running.remove(nodes[replaced]);
        all.remove(nodes[replaced]);
        nodes[replaced] = start(replaced, peers, List.of(group));
        all.add(nodes[replaced]);
        expected.addAll(appendMany(all, group.getGroupId(), "restarted", 10));
        PartitionLog reopened = logs.get(replaced);
        Awaitility.await("the restarted replica has every record").atMost(Duration.ofSeconds(60))
                .until(() -> reopened.highWatermark() == expected.size());
        assertThat(values(reopened)).isEqualTo(expected);
        awaitEveryReplicaHolds(expected);
    }

    /** Until every node's log has exactly {@code expected}, committed. */
    private void awaitEveryReplicaHolds(List<String> expected) {
        for (int id = 1; id <= 3; id++) {
            PartitionLog log = logs.get(id);
            Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> log.highWatermark() == expected.size());
            assertThat(values(log)).as("node %d's records", id).isEqualTo(expected);
        }
    }

    private Path entriesFile(int id) {
        return dir.resolve("node-" + id).resolve("log").resolve(PARTITION.topic() + "-" + PARTITION.partition())
                .resolve("raft-entries");
    }

    /**
     * Appends {@code count} records named {@code prefix-i} through the group's leader, a hundred
     * in flight at a time; returns them in order. Call it once the preferred node leads: a
     * leadership handed back to it mid-batch refuses the batch's rest, and a resend could write
     * an entry twice.
     */
    private static List<String> appendMany(List<RaftNode> nodes, RaftGroupId group, String prefix, int count)
            throws Exception {
        List<String> values = new ArrayList<>();
        for (int from = 0; from < count; from += 100) {
            RaftNode leader = Awaitility.await("a leader").atMost(Duration.ofSeconds(30)).until(
                    () -> nodes.stream().filter(n -> n.leadsReady(group)).findFirst().orElse(null), java.util.Objects::nonNull);
            List<java.util.concurrent.CompletableFuture<org.apache.ratis.protocol.RaftClientReply>> sent = new ArrayList<>();
            for (int i = from; i < Math.min(count, from + 100); i++) {
                values.add(prefix + "-" + i);
                sent.add(leader.submit(group, UnsafeByteOperations.unsafeWrap(records(prefix + "-" + i).buffer().duplicate())));
            }
            for (var reply : sent) {
                assertThat(reply.get(30, java.util.concurrent.TimeUnit.SECONDS).isSuccess()).isTrue();
            }
        }
        return values;
    }

    /**
     * Node 3 wins the group's first election and writes its first entry (index 0) where no one
     * else has it, then crashes; the other two start the log afresh. Back, node 3 must cut its
     * whole log to catch up. Ratis resumes a group found on disk with no members but those in its
     * log's configuration entries, and that cut takes them all (Ratis 3.2): the replica would be a
     * member of nothing and close itself at its next election. Resumed with its members, it stays
     * in the group and, preferred, leads it again.
     */
    @Test
    void aReplicaThatLedAloneAtIndexZeroBeforeACrashCatchesUpAndLeadsAgain() throws Exception {
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftPeerId third = RaftNode.peerId(3);
        // Node 3's entries reach no one: it can win a vote but not replicate.
        CodeInjectionForTesting.put(APPEND_ENTRIES, (follower, leader, args) -> {
            if (third.equals(leader) && args[1] instanceof AppendEntriesRequestProto request
                    && request.getServerRequest().getRaftGroupId().getId().equals(group.getGroupId().toByteString())) {
                throw new IllegalStateException("test: node 3 is cut off");
            }
            return false;
        });
        RaftNode first = start(1, peers, List.of());
        first.join(group);
        RaftNode alone = start(3, peers, List.of());
        alone.join(group);
        // Node 1 cannot win against node 3 (higher priority, same log); node 3 wins and writes index 0.
        Awaitility.await("node 3 leads with an entry of its own").atMost(Duration.ofSeconds(30))
                .until(() -> alone.division(group.getGroupId()).getRaftLog().getFlushIndex() >= 0
                        && first.division(group.getGroupId()).getRaftLog().getLastEntryTermIndex() == null);
        alone.close();
        running.remove(alone);
        CodeInjectionForTesting.remove(APPEND_ENTRIES);

        RaftNode second = start(2, peers, List.of());
        second.join(group);
        for (int i = 0; i < 5; i++) {
            appendThroughLeader(List.of(first, second), group.getGroupId(), "record-" + i);
        }

        RaftNode back = start(3, peers, List.of(group));
        // 20-25 s here; 60 s was once too short for a CI machine running slow (the class took 181 s, 110 s as a rule).
        Awaitility.await("node 3 caught up and leads its preferred group again").atMost(Duration.ofSeconds(120))
                .until(() -> back.leadsReady(group.getGroupId()));
        assertThat(back.division(group.getGroupId()).getInfo().isAlive()).isTrue();
        assertThat(back.division(group.getGroupId()).getRaftConf().getAllPeers()).hasSize(3);
    }

    /**
     * A replica writes an entry's records (and its place in {@code raft-entries}) before Raft's
     * own buffered log holds the entry, so a crash can leave records of an entry Raft lost. When
     * the next leader puts a configuration entry at that index, no write comes to cut them: the
     * replica must find them itself, or they would show before the next entry's records.
     */
    @Test
    void recordsWrittenBeforeACrashInAnEntryRaftLostNeverShow() throws Exception {
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        List<RaftNode> all = List.of(nodes[1], nodes[2], nodes[3]);
        for (String value : List.of("r0", "r1", "r2")) {
            appendThroughLeader(all, group.getGroupId(), value);
        }
        Awaitility.await("every replica applied r2").atMost(Duration.ofSeconds(30))
                .until(() -> logs.get(1).highWatermark() == 3 && logs.get(2).highWatermark() == 3 && logs.get(3).highWatermark() == 3);
        int leader = 1;
        while (!nodes[leader].leadsReady(group.getGroupId())) {
            leader++;
        }
        int crashed = leader % 3 + 1;
        int other = 6 - leader - crashed;

        long lastRaftIndex = nodes[crashed].division(group.getGroupId()).getRaftLog().getLastEntryTermIndex().getIndex();
        nodes[crashed].close();
        running.remove(nodes[crashed]);
        // What the crash left: an entry's records and its place, at the index after Raft's last.
        Path home = dir.resolve("node-" + crashed);
        try (RaftEntryIndex entries = RaftEntryIndex.open(home.resolve("log").resolve(PARTITION.topic() + "-" + PARTITION.partition())
                .resolve("raft-entries"))) {
            PartitionLog log = PartitionLog.open(home.resolve("log"), PARTITION);
            PartitionLog.End start = log.end();
            long offset = log.append(records("stale"), System.currentTimeMillis());
            entries.append(new RaftEntryIndex.Entry(lastRaftIndex + 1, offset, (short) 0, start, log.end(), null));
            log.sync();
            entries.sync();
            log.close();
        }
        // A new leader, whose first entry in its term (a configuration) takes that index.
        nodes[leader].close();
        running.remove(nodes[leader]);
        nodes[crashed] = start(crashed, peers, List.of(group));
        appendThroughLeader(List.of(nodes[crashed], nodes[other]), group.getGroupId(), "fresh");
        Awaitility.await("both replicas applied the new entry").atMost(Duration.ofSeconds(30))
                .until(() -> logs.get(crashed).highWatermark() > 3 && logs.get(other).highWatermark() > 3);
        assertThat(values(logs.get(other))).containsExactly("r0", "r1", "r2", "fresh");
        assertThat(values(logs.get(crashed))).containsExactly("r0", "r1", "r2", "fresh");
    }

    /** A leader whose disk fails (its log closed under it here) stops; the other two elect one and go on. */
    @Test
    void aLeaderThatCannotWriteStopsAndTheOthersGoOn() throws Exception {
        List<ClusterConfig.Peer> peers = peers();
        RaftGroup group = group(peers);
        RaftNode[] nodes = startThree(peers, group);
        awaitPreferredLeader(nodes, group);
        appendThroughLeader(List.of(nodes[1], nodes[2], nodes[3]), group.getGroupId(), "r0");
        int leader = 1;
        while (!nodes[leader].leadsReady(group.getGroupId())) {
            leader++;
        }
        logs.get(leader).close(); // every write to it fails from now on

        appendThroughLeader(List.of(nodes[1], nodes[2], nodes[3]), group.getGroupId(), "r1");
        RaftNode failed = nodes[leader];
        Awaitility.await("the leader that cannot write stopped").atMost(Duration.ofSeconds(30))
                .until(() -> !failed.division(group.getGroupId()).getInfo().isAlive());
        // (r1 may be there more than once: an attempt that timed out while a leader was elected may still commit.)
        PartitionLog first = logs.get(leader % 3 + 1);
        PartitionLog second = logs.get((leader + 1) % 3 + 1);
        Awaitility.await().atMost(Duration.ofSeconds(30))
                .until(() -> first.highWatermark() >= 2 && second.highWatermark() == first.highWatermark());
        assertThat(values(first)).startsWith("r0", "r1").containsOnly("r0", "r1").isEqualTo(values(second));
    }

    /** The partition's group: partition 2 of three prefers node 3. */
    private static RaftGroup group(List<ClusterConfig.Peer> peers) {
        return RaftNode.group(config(1, peers), "topic-id", PARTITION.partition(), PARTITION.partition());
    }

    /**
     * Waits until node 3, the member {@code group} prefers, leads it: nodes 1 and 2 may elect a
     * leader before it joins, which hands over once it has caught up, and an append under way then
     * can be answered as failed and still commit (written twice when retried).
     */
    private static void awaitPreferredLeader(RaftNode[] nodes, RaftGroup group) {
        Awaitility.await("node 3, preferred, leads").atMost(Duration.ofSeconds(30))
                .until(() -> nodes[3].leadsReady(group.getGroupId()));
    }

    /** Nodes 1 to 3 (at those indexes), each a member of {@code group}. */
    private RaftNode[] startThree(List<ClusterConfig.Peer> peers, RaftGroup group) throws IOException {
        RaftNode[] nodes = new RaftNode[4];
        for (int id = 1; id <= 3; id++) {
            nodes[id] = start(id, peers, List.of());
            nodes[id].join(group);
        }
        return nodes;
    }

    private static List<String> values(PartitionLog log) {
        List<String> values = new ArrayList<>();
        for (var batch : log.read(0, Integer.MAX_VALUE).batches()) {
            for (var record : batch) {
                values.add(java.nio.charset.StandardCharsets.UTF_8.decode(record.value()).toString());
            }
        }
        return values;
    }

    private static MemoryRecords records(String value) {
        return MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(value.getBytes()));
    }

    static List<ClusterConfig.Peer> peers() throws IOException {
        List<ClusterConfig.Peer> peers = new ArrayList<>();
        for (int id = 1; id <= 3; id++) {
            peers.add(new ClusterConfig.Peer(id, "127.0.0.1", dev.oms.streaming.TestPorts.free()));
        }
        return peers;
    }

    static ClusterConfig config(int nodeId, List<ClusterConfig.Peer> peers) {
        return new ClusterConfig(nodeId, peers, ClusterConfig.DEFAULT_REPLICA_LAG_TIME_MAX_MS, false);
    }

    /** A node with the controller's state machine and one partition's, over a log in its own directory. */
    private RaftNode start(int id, List<ClusterConfig.Peer> peers, Collection<RaftGroup> resume) throws IOException {
        Path home = dir.resolve("node-" + id);
        ClusterConfig config = config(id, peers);
        RaftGroupId controller = RaftNode.controllerGroup(config).getGroupId();
        ControllerStateMachine metadata = new ControllerStateMachine(List.of(1, 2, 3), new ControllerStateMachine.Listener() {
            @Override
            public void topic(ControllerStateMachine.TopicInfo topic, long asOf) {
            }

            @Override
            public void deleted(ControllerStateMachine.TopicInfo topic) {
            }

            @Override
            public void reconfirm(int nodeId) {
            }
        });
        controllers.put(id, metadata);
        PartitionLog log = PartitionLog.open(home.resolve("log"), PARTITION);
        logs.put(id, log);
        PartitionStateMachine partition = new PartitionStateMachine(PARTITION, log);
        StateMachine.Registry registry = group -> group.equals(controller) ? metadata : partition;
        RaftNode node = RaftNode.start(config, home.resolve("raft"), registry, resume);
        running.add(node);
        return node;
    }

    /** Appends one record through whichever of {@code nodes} leads the group, retrying while none does. */
    private static void appendThroughLeader(List<RaftNode> nodes, RaftGroupId group, String value) {
        MemoryRecords records = records(value);
        Awaitility.await("a leader takes " + value).atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            for (RaftNode node : nodes) {
                if (node.leadsReady(group)) {
                    return node.submit(group, UnsafeByteOperations.unsafeWrap(records.buffer().duplicate()))
                            .get(5, java.util.concurrent.TimeUnit.SECONDS).isSuccess();
                }
            }
            return false;
        });
    }
}
