package dev.oms.streaming.cluster;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.protocol.Errors;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.SingleFileSnapshotInfo;

/**
 * The controller group's state machine: the cluster metadata every node holds, replicated by a
 * Raft group of all nodes (KRaft's metadata log, in miniature). Entries are JSON commands:
 * {@code register} (a node's Kafka address, sent by each node as it starts),
 * {@code createTopic} (name, id, partition count, settings), {@code createPartitions} (a topic's
 * new, larger count), {@code alterConfigs} (a topic's new settings, written only if its settings
 * are still those they were computed from), {@code deleteTopic} and {@code isr} (a partition's in-sync replicas as its
 * leader sees them: Kafka's AlterPartition; a report from an earlier term than the one recorded is
 * ignored, so a deposed leader cannot overwrite its successor's). Applying a new or grown topic
 * tells the node, which opens the partitions and joins their Raft groups; a topic that exists is
 * answered as it is. A deleted topic's id stays as a tombstone, so that a node which was down, or
 * stopped halfway through removing its copy, removes it when it next applies or loads the metadata.
 * Every command is checked as it is applied, alike on every node; a refused one changes nothing and
 * is answered with the Kafka error. A snapshot is the whole metadata as JSON.
 */
final class ControllerStateMachine extends SnapshotFileStateMachine {
    /**
     * What this build applies, announced with each node's {@code register} (Kafka's
     * metadata.version, in miniature): 1 brings {@code createPartitions}, {@code deleteTopic} and
     * the partitions' DeleteRecords entries, which builds from before them skip or cannot apply,
     * so that their copy would differ; 2 brings {@code alterConfigs}. The node a client asks refuses such a change
     * (UNSUPPORTED_VERSION) until every configured node has registered at the level; once written,
     * an entry is applied alike everywhere, whatever the levels: a level read wrong (a snapshot an
     * earlier build wrote keeps none) can only make a node refuse too much, never make nodes
     * decide differently. See {@link ReplicatedLog#register} for how a wrong level heals.
     */
    static final int FEATURE_LEVEL = 2;

    // Fields a later version adds are skipped, not fatal: every node applies every entry alike.
    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** A node as Kafka clients and HTTP callers reach it, and the feature level its build applies (0 if it did not say). */
    record NodeInfo(int id, String host, int kafkaPort, int httpPort, int featureLevel) {
    }

    /** A topic, the same on every node; its id names its partitions' Raft groups. */
    record TopicInfo(String name, String id, int partitions, Map<String, String> configs) {
    }

    /** What a topic change is answered with: the topic as it now is, or a Kafka error's name and why. */
    record Outcome(TopicInfo topic, String error, String message) {
        static Outcome refused(Errors error, String message) {
            return new Outcome(null, error.name(), message);
        }

        /** The topic, or the refusal as Kafka's exception. */
        TopicInfo topicOrThrow() {
            if (error != null) {
                throw Errors.valueOf(error).exception(message);
            }
            return topic;
        }
    }

    /** What the node does when the metadata says so; both idempotent, called in the log's order. */
    interface Listener {
        /**
         * The topic exists with these partitions (new, grown, or found at start), as of the
         * controller's log index {@code asOf} (its entry's, or its snapshot's).
         */
        void topic(TopicInfo topic, long asOf);

        /** Node {@code nodeId} started and asks the others to register again (this node too, if it is another). */
        void reconfirm(int nodeId);

        /** The topic was deleted: this node removes its copy, if it still has one. */
        void deleted(TopicInfo topic);
    }

    /**
     * A partition's in-sync replicas, reported by its leader in Raft term {@code term}; of the
     * topic with id {@code topicId} (absent from reports before it was added).
     */
    record IsrInfo(String topic, int partition, long term, List<Integer> isr, String topicId) {
    }

    /**
     * A command, as written to the controller's log. Absent parts are left out, so that a
     * {@code register} or {@code createTopic} reads the same as before {@code isr} existed (the
     * previous version refuses fields it does not know; it skips an {@code isr} command).
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record Command(String op, NodeInfo node, TopicInfo topic, IsrInfo isr, Boolean reconfirm, Map<String, String> expected) {
        /**
         * A node's address and level; with {@code reconfirm} (a node that just started), every
         * other node registers again, so that what the starter holds of them is fresh whatever
         * snapshot it loaded (one an earlier build wrote keeps no levels).
         */
        static Command register(NodeInfo node, boolean reconfirm) {
            return new Command("register", node, null, null, reconfirm ? Boolean.TRUE : null, null);
        }

        static Command createTopic(TopicInfo topic) {
            return new Command("createTopic", null, topic, null, null, null);
        }

        static Command createPartitions(String topic, int count) {
            return new Command("createPartitions", null, new TopicInfo(topic, null, count, null), null, null, null);
        }

        /** The settings of the topic {@code topic} names (by name and id), if they are still {@code expected}. */
        static Command alterConfigs(TopicInfo topic, Map<String, String> expected) {
            return new Command("alterConfigs", null, topic, null, null, expected);
        }

        /** @param id the topic's id, or null for whichever topic has the name */
        static Command deleteTopic(String topic, String id) {
            return new Command("deleteTopic", null, new TopicInfo(topic, id, 0, null), null, null, null);
        }

        static Command isr(IsrInfo isr) {
            return new Command("isr", null, null, isr, null, null);
        }
    }

    /** {@code isr} and {@code deleted} are absent from snapshots written before they existed. */
    private record Snapshot(List<NodeInfo> nodes, List<TopicInfo> topics, List<IsrInfo> isr, List<TopicInfo> deleted) {
    }

    private final Map<Integer, NodeInfo> nodes = new ConcurrentSkipListMap<>();
    private final Map<String, TopicInfo> topics = new ConcurrentSkipListMap<>();
    private final Map<TopicPartition, IsrInfo> isr = new ConcurrentHashMap<>();
    /** Deleted topics, by id: tombstones (a name and an id each, never many). */
    private final Map<String, TopicInfo> deleted = new ConcurrentSkipListMap<>();
    private final Listener listener;
    /** Every node of the cluster as configured (--peers), registered or not. */
    private final List<Integer> peers;

    ControllerStateMachine(List<Integer> peers, Listener listener) {
        this.peers = List.copyOf(peers);
        this.listener = listener;
    }

    /** The level every configured node has registered at: what the cluster may use. */
    int featureLevel() {
        return peers.stream().mapToInt(id -> nodes.containsKey(id) ? nodes.get(id).featureLevel() : 0).min().orElse(0);
    }

    /** Why a change that needs feature {@code level} is refused now, or null when the cluster is there. */
    String belowFeatureLevel(String change, int level) {
        List<String> behind = new ArrayList<>();
        for (int id : peers) {
            NodeInfo node = nodes.get(id);
            if (node == null) {
                behind.add("node " + id + " has not registered (down or never started since the cluster began)");
            } else if (node.featureLevel() < level) {
                behind.add("node " + id + " registered at feature level " + node.featureLevel());
            }
        }
        return behind.isEmpty() ? null : change + " needs every node at feature level " + level + " or later: "
                + String.join(", ", behind) + " (start every node on a build at that level, then retry)";
    }

    static Message encode(Command command) {
        return json(command);
    }

    private static Message json(Object value) {
        try {
            return Message.valueOf(org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations
                    .unsafeWrap(JSON.writeValueAsBytes(value)));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static TopicInfo topicOf(Message reply) throws IOException {
        return JSON.readValue(reply.getContent().toByteArray(), TopicInfo.class);
    }

    static Outcome outcomeOf(Message reply) throws IOException {
        return JSON.readValue(reply.getContent().toByteArray(), Outcome.class);
    }

    Collection<NodeInfo> nodes() {
        return nodes.values();
    }

    /** Asks a node's copy of the metadata which nodes have registered (started) in the cluster: their ids. */
    static final byte REGISTERED_QUERY = OWN_QUERIES;

    @Override
    protected ByteBuffer answer(ByteBuffer request) throws IOException {
        if (request.get(0) != REGISTERED_QUERY) {
            return super.answer(request);
        }
        List<Integer> ids = List.copyOf(nodes.keySet());
        ByteBuffer reply = ByteBuffer.allocate(4 * ids.size());
        ids.forEach(reply::putInt);
        return reply.flip();
    }

    /** A partition's in-sync replicas as last reported; empty before its first leader reported. */
    Optional<IsrInfo> isr(TopicPartition tp) {
        return Optional.ofNullable(isr.get(tp));
    }

    /** True once the topic with this id was deleted. */
    boolean deleted(String id) {
        return deleted.containsKey(id);
    }

    /** True while the topic with this name has this id. */
    boolean holds(String topic, String id) {
        TopicInfo held = topics.get(topic);
        return held != null && held.id().equals(id);
    }

    /** A report about a partition of a topic that is not (or no longer) there changes nothing. */
    private void recordIsr(IsrInfo reported) {
        TopicInfo topic = topics.get(reported.topic());
        if (topic == null || reported.partition() >= topic.partitions()
                || reported.topicId() != null && !reported.topicId().equals(topic.id())) {
            return;
        }
        isr.merge(new TopicPartition(reported.topic(), reported.partition()), reported,
                (recorded, update) -> update.term() >= recorded.term() ? update : recorded);
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage raftStorage) throws IOException {
        super.initialize(server, groupId, raftStorage);
        SingleFileSnapshotInfo snapshot = initStorage(raftStorage);
        if (snapshot != null) {
            load(snapshot);
        }
    }

    /** The metadata {@code snapshot} holds, in place of any held before (at a start, or installed from the leader). */
    @Override
    protected void load(SingleFileSnapshotInfo snapshot) throws IOException {
        Snapshot s = JSON.readValue(snapshot.getFile().getPath().toFile(), Snapshot.class);
        nodes.clear();
        topics.clear();
        isr.clear();
        deleted.clear();
        s.nodes().forEach(n -> nodes.put(n.id(), n));
        s.topics().forEach(t -> topics.put(t.name(), t));
        if (s.isr() != null) {
            s.isr().forEach(this::recordIsr);
        }
        if (s.deleted() != null) {
            s.deleted().forEach(t -> deleted.put(t.id(), t));
        }
        // Tombstones first: a name deleted and created again is cleared before it is opened.
        deleted.values().forEach(listener::deleted);
        topics.values().forEach(topic -> listener.topic(topic, snapshot.getIndex()));
    }

    /** The metadata is the snapshot: the leader's is taken as it is. */
    @Override
    protected byte[] install(Leader leader, org.apache.ratis.server.protocol.TermIndex at, byte[] leaderSnapshot) {
        return leaderSnapshot;
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        Command command;
        try {
            command = JSON.readValue(entry.getStateMachineLogEntry().getLogData().toByteArray(), Command.class);
        } catch (IOException e) {
            updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
            return CompletableFuture.failedFuture(e);
        }
        Message reply = Message.EMPTY;
        switch (command.op()) {
            case "register" -> {
                nodes.put(command.node().id(), command.node());
                if (Boolean.TRUE.equals(command.reconfirm())) {
                    listener.reconfirm(command.node().id());
                }
            }
            case "isr" -> recordIsr(command.isr());
            case "createTopic" -> {
                TopicInfo existing = topics.putIfAbsent(command.topic().name(), command.topic());
                TopicInfo topic = existing != null ? existing : command.topic();
                if (existing == null) {
                    forgetIsr(topic.name()); // of a deleted topic of that name
                    listener.topic(topic, entry.getIndex());
                }
                reply = json(topic);
            }
            case "createPartitions" -> reply = json(createPartitions(command.topic().name(), command.topic().partitions(),
                    entry.getIndex()));
            case "deleteTopic" -> reply = json(deleteTopic(command.topic().name(), command.topic().id()));
            case "alterConfigs" -> reply = json(alterConfigs(command.topic(), command.expected(), entry.getIndex()));
            default -> {
                // A command from a newer version: skipped alike on every node.
            }
        }
        updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
        return CompletableFuture.completedFuture(reply);
    }

    private Outcome createPartitions(String name, int count, long index) {
        TopicInfo topic = topics.get(name);
        if (topic == null) {
            return Outcome.refused(Errors.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic '" + name + "'");
        }
        if (count <= topic.partitions()) {
            return Outcome.refused(Errors.INVALID_PARTITIONS, "topic '" + name + "' has " + topic.partitions()
                    + " partitions; the new count must be larger, got " + count);
        }
        TopicInfo grown = new TopicInfo(name, topic.id(), count, topic.configs());
        topics.put(name, grown);
        listener.topic(grown, index);
        return new Outcome(grown, null, null);
    }

    private Outcome alterConfigs(TopicInfo altered, Map<String, String> expected, long index) {
        TopicInfo topic = topics.get(altered.name());
        if (topic == null || !topic.id().equals(altered.id())) {
            return Outcome.refused(Errors.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic '" + altered.name() + "'");
        }
        if (!configsOf(topic).equals(expected)) {
            return Outcome.refused(Errors.INVALID_UPDATE_VERSION, "the settings of topic '" + altered.name()
                    + "' changed meanwhile; retry");
        }
        TopicInfo next = new TopicInfo(topic.name(), topic.id(), topic.partitions(), Map.copyOf(altered.configs()));
        topics.put(next.name(), next);
        listener.topic(next, index);
        return new Outcome(next, null, null);
    }

    /** A topic's own settings, none if it has none (a snapshot may leave them out). */
    static Map<String, String> configsOf(TopicInfo topic) {
        return topic.configs() == null ? Map.of() : topic.configs();
    }

    /** The settings the topic of this name and id has, or empty if there is no such topic. */
    Optional<Map<String, String>> topicConfigs(String name, String id) {
        TopicInfo topic = topics.get(name);
        return topic == null || !topic.id().equals(id) ? Optional.empty() : Optional.of(configsOf(topic));
    }

    private Outcome deleteTopic(String name, String id) {
        TopicInfo topic = topics.get(name);
        if (topic == null) {
            return Outcome.refused(Errors.UNKNOWN_TOPIC_OR_PARTITION, "unknown topic '" + name + "'");
        }
        if (id != null && !id.equals(topic.id())) {
            return Outcome.refused(Errors.UNKNOWN_TOPIC_ID, "topic '" + name + "' has another id than " + id);
        }
        topics.remove(name);
        forgetIsr(name);
        deleted.put(topic.id(), topic);
        listener.deleted(topic);
        return new Outcome(topic, null, null);
    }

    private void forgetIsr(String topic) {
        isr.keySet().removeIf(tp -> tp.topic().equals(topic));
    }

    @Override
    protected void writeSnapshot(java.io.File file) throws IOException {
        JSON.writeValue(file, new Snapshot(new ArrayList<>(nodes.values()), new ArrayList<>(topics.values()),
                new ArrayList<>(isr.values()), new ArrayList<>(deleted.values())));
    }
}
