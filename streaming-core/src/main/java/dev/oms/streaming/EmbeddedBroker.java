package dev.oms.streaming;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.oms.streaming.cluster.ClusterConfig;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.shard.Shard;
import dev.oms.streaming.shard.ShardStats;
import dev.oms.streaming.storage.ClusterMetadata;
import dev.oms.streaming.storage.Directories;
import dev.oms.streaming.storage.PartitionLog;
import dev.oms.streaming.storage.ProducerIdManager;
import dev.oms.streaming.storage.TopicConfig;
import org.agrona.concurrent.AgentRunner;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.InvalidPartitionsException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.record.internal.FileRecords;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Records;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded log: topics of partitioned {@link PartitionLog}s under one directory, each
 * partition owned by one {@link Shard} (one per core). This is the in-process API the engine and
 * the HTTP edge use; the Kafka protocol listener serves the same partitions.
 *
 * <p>Layout: {@code <logDir>/<topic>-<partition>/} per partition (Kafka's), {@code meta.properties}
 * with the cluster id, {@code topic-configs/<topic>.properties} with a topic's own settings.
 *
 * <p>Threads: every public method may be called from any thread. Appends are handed to the owning
 * shard; reads go straight to the partition, which exposes only durable data. Topic changes are
 * serialized by this object's monitor.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final Pattern PARTITION_DIR = Pattern.compile("(.+)-(\\d+)");

    private final Path logDir;
    private final BrokerConfig config;
    private final Shard[] shards;
    private final AgentRunner[] runners;
    private final Map<TopicPartition, Owned> partitions = new ConcurrentHashMap<>();
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private final Map<Uuid, String> topicNames = new ConcurrentHashMap<>();
    private final String clusterId;
    private final ProducerIdManager producerIds;
    private final BrokerMetrics metrics;
    /** In cluster mode, the Raft groups every partition is replicated by; null on a single node. */
    private ReplicatedLog cluster;
    private int nextShard;

    private record Owned(PartitionLog log, Shard shard) {
    }

    /**
     * A topic as clients see it.
     *
     * @param overrides the settings the topic sets itself (Kafka names), over the broker's defaults
     */
    public record Topic(String name, Uuid id, int partitionCount, Map<String, String> overrides, TopicConfig config) {
    }

    private EmbeddedBroker(Path logDir, BrokerConfig config, BrokerMetrics metrics) throws IOException {
        this.logDir = logDir;
        this.config = config;
        this.metrics = metrics;
        this.clusterId = ClusterMetadata.clusterId(logDir);
        this.producerIds = new ProducerIdManager(logDir.resolve("producer-ids"));
        this.shards = new Shard[config.shards()];
        this.runners = new AgentRunner[config.shards()];
        for (int i = 0; i < shards.length; i++) {
            shards[i] = new Shard(i, config.queueCapacity(), config.writeCaching(), config.flushIntervalMs(),
                    config.pinShards(), metrics);
        }
    }

    /** Opens with default topic settings and durable-before-ack appends. */
    public static EmbeddedBroker open(Path logDir, int shardCount, int queueCapacity) throws IOException {
        return open(logDir, BrokerConfig.of(shardCount, queueCapacity));
    }

    /** Opens with metrics nobody scrapes. */
    public static EmbeddedBroker open(Path logDir, BrokerConfig config) throws IOException {
        return open(logDir, config, BrokerMetrics.unregistered());
    }

    /** Opens every partition found under {@code logDir} (recovering each), then starts the shards. */
    public static EmbeddedBroker open(Path logDir, BrokerConfig config, BrokerMetrics metrics) throws IOException {
        return open(logDir, config, metrics, null);
    }

    /**
     * Opens as a node of a cluster (when {@code clusterConfig} is not null): every partition is
     * replicated by a Raft group on all nodes, topics are created through the cluster's
     * controller group, and Raft's own files live in {@code raft} next to {@code logDir}.
     */
    public static EmbeddedBroker open(Path logDir, BrokerConfig config, BrokerMetrics metrics,
                                      ClusterConfig clusterConfig) throws IOException {
        Files.createDirectories(logDir.resolve("topic-configs"));
        EmbeddedBroker broker = new EmbeddedBroker(logDir, config, metrics);
        if (clusterConfig != null) {
            broker.cluster = new ReplicatedLog(clusterConfig, new ReplicatedLog.Host() {
                @Override
                public List<PartitionLog> openTopic(String name, Uuid id, int partitions, Map<String, String> configs,
                                                    long asOf) throws IOException {
                    return broker.openReplicatedTopic(name, id, partitions, configs, asOf);
                }

                @Override
                public Map<Integer, PartitionLog> forgetTopic(String name, Uuid id) throws IOException {
                    return broker.forgetReplicatedTopic(name, id);
                }

            });
        }
        Directories.deleteLeftovers(logDir); // partitions of deleted topics a crash left half deleted
        broker.finishDeletions();
        Map<String, Integer> found = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(logDir)) {
            dirs.filter(Files::isDirectory).forEach(dir -> {
                Matcher m = PARTITION_DIR.matcher(dir.getFileName().toString());
                if (m.matches()) {
                    found.merge(m.group(1), Integer.parseInt(m.group(2)) + 1, Math::max);
                }
            });
        }
        for (Map.Entry<String, Integer> topic : found.entrySet()) {
            broker.openTopic(topic.getKey(), topic.getValue(), broker.readOverrides(topic.getKey()), null);
        }
        broker.start();
        if (broker.cluster != null) {
            for (Map.Entry<TopicPartition, Owned> p : broker.partitions.entrySet()) {
                broker.cluster.adopt(p.getKey(), broker.topics.get(p.getKey().topic()).id(), p.getValue().log);
            }
            try {
                broker.cluster.start(logDir.toAbsolutePath().getParent().resolve("raft"));
            } catch (IOException | RuntimeException e) {
                broker.close(); // its shards and the cluster's threads, started above
                throw e;
            }
            metrics.register(new dev.oms.streaming.cluster.RaftMetrics(broker.cluster));
        }
        metrics.registerLogGauges(broker);
        return broker;
    }

    /** The cluster this node belongs to, if it runs as one. */
    public Optional<ReplicatedLog> cluster() {
        return Optional.ofNullable(cluster);
    }

    /**
     * Opens a topic the cluster's controller created (on every node), unless it is open already,
     * and the partitions it has grown by since; its settings are those of the controller as of
     * log index {@code asOf}, unless this node holds some as of a later index.
     */
    private synchronized List<PartitionLog> openReplicatedTopic(String topic, Uuid id, int partitionCount,
                                                                Map<String, String> overrides, long asOf) throws IOException {
        Topic existing = topics.get(topic);
        if (existing != null && !existing.id().equals(id)) {
            return List.of(); // a deleted topic of that name, its creation replayed; the one here is newer
        }
        if (existing == null) {
            deleteStale(topic, id);
            writeOverrides(topic, overrides, asOf);
            openTopic(topic, partitionCount, overrides, id);
        } else {
            // A start replays the controller's entries since its snapshot (or loads a snapshot older
            // than the settings here): applied again, even for a moment, a creation's shorter
            // retention or compaction would delete records the settings altered since keep.
            long held = settingsAsOf(topic); // -1: written by a build that did not record it
            if (asOf > held && (held < 0 || !existing.overrides().equals(overrides))) {
                existing = applyOverrides(existing, overrides, asOf);
            }
            if (existing.partitionCount() < partitionCount) {
                addPartitions(existing, partitionCount);
            }
        }
        List<PartitionLog> logs = new ArrayList<>();
        for (int p = 0; p < partitionCount; p++) {
            logs.add(owned(new TopicPartition(topic, p)).log);
        }
        return logs;
    }

    public BrokerMetrics metrics() {
        return metrics;
    }

    private void start() {
        for (int i = 0; i < shards.length; i++) {
            runners[i] = new AgentRunner(shards[i].idleStrategy(),
                    e -> LOG.error("shard failure", e), null, shards[i]);
            AgentRunner.startOnThread(runners[i]);
        }
    }

    /** Creates {@code topic} with {@code partitionCount} partitions; an existing topic keeps its count. */
    public int createTopic(String topic, int partitionCount) throws IOException {
        if (cluster != null) {
            // Not under the monitor: the topic opens on the cluster's own thread, which takes it.
            org.apache.kafka.common.internals.Topic.validate(topic);
            if (!topics.containsKey(topic)) {
                requireRoomFor(partitionCount);
            }
            return cluster.createTopic(topic, partitionCount, Map.of()).partitions();
        }
        return createLocalTopic(topic, partitionCount);
    }

    private synchronized int createLocalTopic(String topic, int partitionCount) throws IOException {
        Topic existing = topics.get(topic);
        if (existing != null) {
            if (existing.partitionCount() != partitionCount) {
                LOG.info("topic {} exists with {} partitions; keeping them (asked for {})", topic,
                        existing.partitionCount(), partitionCount);
            }
            return existing.partitionCount();
        }
        createTopic(topic, partitionCount, Map.of());
        return partitionCount;
    }

    /**
     * Creates a new topic with its own settings (Kafka names: retention.ms, segment.bytes…).
     *
     * @throws TopicExistsException if it exists
     * @throws org.apache.kafka.common.errors.InvalidTopicException for a name Kafka would refuse
     * @throws org.apache.kafka.common.errors.InvalidConfigurationException for a bad setting
     */
    public Topic createTopic(String topic, int partitionCount, Map<String, String> overrides) throws IOException {
        if (cluster != null) {
            validateNewTopic(topic, partitionCount, overrides);
            if (!cluster.createTopic(topic, partitionCount, overrides).created()) {
                throw new TopicExistsException("topic '" + topic + "' already exists");
            }
            return topics.get(topic);
        }
        return createLocalTopic(topic, partitionCount, overrides);
    }

    private synchronized Topic createLocalTopic(String topic, int partitionCount, Map<String, String> overrides)
            throws IOException {
        if (topics.containsKey(topic)) {
            throw new TopicExistsException("topic '" + topic + "' already exists");
        }
        validateNewTopic(topic, partitionCount, overrides);
        if (!overrides.isEmpty()) {
            writeOverrides(topic, overrides, -1);
        }
        try {
            openTopic(topic, partitionCount, overrides, null);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(overridesFile(topic)); // its partitions are gone too: no half-made topic
            throw e;
        }
        LOG.info("created topic {} with {} partitions{}", topic, partitionCount, overrides.isEmpty() ? "" : " " + overrides);
        return topics.get(topic);
    }

    /** Refuses a name Kafka would refuse, no partitions, or a bad setting, before anything is written. */
    private void validateNewTopic(String topic, int partitionCount, Map<String, String> overrides) {
        org.apache.kafka.common.internals.Topic.validate(topic);
        if (partitionCount < 1) {
            throw new InvalidPartitionsException("a topic needs at least one partition, got " + partitionCount);
        }
        requireRoomFor(partitionCount);
        config.topicDefaults().with(overrides);
    }

    /**
     * Refuses partitions past {@code log.max-partitions}: one request for 100,000 took every file
     * descriptor, and the node could serve nothing, even after a restart that opened them all again.
     */
    private void requireRoomFor(int added) {
        int hosted = partitions.size();
        if ((long) hosted + added > config.maxPartitions()) {
            throw new InvalidPartitionsException("this node hosts " + hosted + " partitions and may host "
                    + config.maxPartitions() + " (log.max-partitions): " + added + " more do not fit");
        }
    }

    private void openTopic(String topic, int partitionCount, Map<String, String> overrides, Uuid id) throws IOException {
        TopicConfig settings = config.topicDefaults().with(overrides);
        id = openPartitions(topic, 0, partitionCount, settings, id);
        topics.put(topic, new Topic(topic, id, partitionCount, Map.copyOf(overrides), settings));
        topicNames.put(id, topic);
    }

    /**
     * Opens partitions {@code from} to {@code to} (excluded) of a topic; in cluster mode their Raft
     * groups write them, not a shard. Returns the topic's id, as found on disk or given.
     */
    private Uuid openPartitions(String topic, int from, int to, TopicConfig settings, Uuid id) throws IOException {
        int p = from;
        try {
            for (; p < to; p++) {
                TopicPartition tp = new TopicPartition(topic, p);
                id = ClusterMetadata.topicId(logDir, tp, id); // first: a partition never exists without its topic's id
                PartitionLog log = PartitionLog.open(logDir, tp, settings);
                Shard shard = null;
                if (cluster == null) {
                    shard = shards[nextShard++ % shards.length];
                    shard.own(log);
                }
                partitions.put(tp, new Owned(log, shard));
            }
        } catch (IOException | RuntimeException e) {
            closeAndDelete(topic, from, p, e);
            throw e;
        }
        return id;
    }

    /**
     * Undoes partitions {@code from} to {@code failed} (included) of a creation that failed part way,
     * so that neither this node nor its next start holds a topic or partitions no one was told of.
     */
    private void closeAndDelete(String topic, int from, int failed, Exception cause) {
        for (int p = from; p <= failed; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            try {
                Owned owned = partitions.remove(tp);
                if (owned != null && owned.shard != null) {
                    owned.shard.run(logs -> {
                        logs.remove(owned.log);
                        owned.log.close();
                    }).join();
                } else if (owned != null) {
                    owned.log.close();
                }
                Path dir = logDir.resolve(topic + "-" + p);
                if (Files.isDirectory(dir)) { // not whatever stood in the way of making it
                    Directories.delete(dir);
                }
            } catch (IOException | RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        LOG.warn("{}: partitions {} to {} could not all be opened; those opened are closed and deleted", topic, from, failed,
                cause);
    }

    /**
     * Grows {@code topic} to {@code totalCount} partitions (CreatePartitions); existing ones stay as
     * they are. In cluster mode through the controller: every node opens the new partitions.
     */
    public void createPartitions(String topic, int totalCount) throws IOException {
        Protection protection = protectedTopics.get(topic);
        if (protection != null) {
            throw new org.apache.kafka.common.errors.PolicyViolationException("the partition count of " + topic
                    + " is fixed: " + protection.why());
        }
        if (cluster != null) {
            topic(topic).ifPresent(existing -> requireRoomFor(totalCount - existing.partitionCount()));
            cluster.createPartitions(topic, totalCount); // not under the monitor: the cluster's thread opens them
            return;
        }
        createLocalPartitions(topic, totalCount);
    }

    private synchronized void createLocalPartitions(String topic, int totalCount) throws IOException {
        Topic existing = topic(topic).orElseThrow(() -> new UnknownTopicOrPartitionException("unknown topic " + topic));
        if (totalCount <= existing.partitionCount()) {
            throw new InvalidPartitionsException("topic '" + topic + "' has " + existing.partitionCount()
                    + " partitions; the new count must be larger, got " + totalCount);
        }
        requireRoomFor(totalCount - existing.partitionCount());
        addPartitions(existing, totalCount);
    }

    private void addPartitions(Topic existing, int totalCount) throws IOException {
        openPartitions(existing.name(), existing.partitionCount(), totalCount, existing.config(), existing.id());
        topics.put(existing.name(), new Topic(existing.name(), existing.id(), totalCount, existing.overrides(), existing.config()));
        LOG.info("topic {} grown from {} to {} partitions", existing.name(), existing.partitionCount(), totalCount);
    }

    /**
     * Changes a topic's own settings (IncrementalAlterConfigs: {@code changes} applied to those it
     * has; AlterConfigs, {@code replace}: {@code changes} are SETs and every key they do not name
     * returns to the broker's default). They persist, and take effect on the live partitions at
     * their next append or maintenance. In cluster mode through the controller: every node applies
     * them. With {@code validateOnly}, checks and changes nothing.
     *
     * @return the topic as it is now (or would be)
     * @throws UnknownTopicOrPartitionException if there is no such topic
     * @throws org.apache.kafka.common.errors.InvalidConfigurationException for an unknown key or a bad value
     * @throws org.apache.kafka.common.errors.PolicyViolationException for the cleanup policy of a topic an application owns
     */
    public Topic alterTopicConfig(String topic, List<TopicConfig.Change> changes, boolean replace, boolean validateOnly)
            throws IOException {
        Protection protection = protectedTopics.get(topic);
        if (protection != null && changes.stream().anyMatch(c -> c.name().equals(TopicConfig.CLEANUP_POLICY))) {
            throw new org.apache.kafka.common.errors.PolicyViolationException("the cleanup.policy of " + topic
                    + " is fixed: " + protection.why());
        }
        if (cluster == null) {
            return alterLocalTopicConfig(topic, changes, replace, validateOnly);
        }
        // Computed from the controller's copy and written only if that is still the topic's
        // settings: two nodes' changes at once never overwrite each other (not under the monitor:
        // the cluster's thread applies them).
        for (int attempt = 1; ; attempt++) {
            Topic existing = topic(topic).orElseThrow(() -> new UnknownTopicOrPartitionException("unknown topic " + topic));
            Map<String, String> current = cluster.topicConfigs(topic, existing.id());
            Map<String, String> next = config.topicDefaults().alter(replace ? Map.of() : current, changes);
            if (validateOnly) {
                return new Topic(topic, existing.id(), existing.partitionCount(), next, config.topicDefaults().with(next));
            }
            try {
                cluster.alterTopicConfigs(topic, existing.id(), current, next, () -> {
                    Topic now = topics.get(topic);
                    return now == null || !now.id().equals(existing.id()) || now.overrides().equals(next);
                });
                return topics.get(topic);
            } catch (org.apache.kafka.common.errors.InvalidUpdateVersionException changedMeanwhile) {
                if (attempt == 5) {
                    throw changedMeanwhile;
                }
            }
        }
    }

    private synchronized Topic alterLocalTopicConfig(String topic, List<TopicConfig.Change> changes, boolean replace,
                                                     boolean validateOnly) throws IOException {
        Topic existing = topic(topic).orElseThrow(() -> new UnknownTopicOrPartitionException("unknown topic " + topic));
        Map<String, String> next = config.topicDefaults().alter(replace ? Map.of() : existing.overrides(), changes);
        if (validateOnly) {
            return new Topic(topic, existing.id(), existing.partitionCount(), next, config.topicDefaults().with(next));
        }
        return applyOverrides(existing, next, -1);
    }

    /**
     * Writes a topic's new settings (those of the controller as of log index {@code asOf}, or -1
     * on a single node), then hands them to each of its partitions.
     */
    private Topic applyOverrides(Topic existing, Map<String, String> overrides, long asOf) throws IOException {
        TopicConfig settings = config.topicDefaults().with(overrides);
        if (overrides.isEmpty() && asOf < 0) {
            Files.deleteIfExists(overridesFile(existing.name()));
        } else {
            writeOverrides(existing.name(), overrides, asOf);
        }
        for (int p = 0; p < existing.partitionCount(); p++) {
            owned(new TopicPartition(existing.name(), p)).log.configure(settings);
        }
        Topic altered = new Topic(existing.name(), existing.id(), existing.partitionCount(), Map.copyOf(overrides), settings);
        topics.put(existing.name(), altered);
        LOG.info("topic {}: settings {} (were {})", existing.name(), overrides, existing.overrides());
        return altered;
    }

    /**
     * Deletes {@code topic}: it disappears for new requests at once; each partition is closed by
     * its shard after the appends queued before, then its files are removed. In cluster mode
     * through the controller: every node removes its copy.
     */
    public void deleteTopic(String topic) throws IOException {
        deleteTopic(topic, null);
    }

    /** How a topic an application owns is kept from Kafka clients' requests. */
    private record Protection(boolean deletable, boolean produced, String why) {
    }

    private final Map<String, Protection> protectedTopics = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * Keeps Kafka clients from adding partitions to {@code topic} (its owner maps keys to
     * partitions by their count), unless {@code deletable} from deleting it, and unless {@code
     * produced} from producing to it (its owner writes it, in process, and reads back what it
     * wrote); {@code why} goes into the refusal (POLICY_VIOLATION).
     */
    public void protect(String topic, boolean deletable, boolean produced, String why) {
        protectedTopics.put(topic, new Protection(deletable, produced, why));
    }

    /** Why Kafka clients may not produce to {@code topic}, or empty when they may. */
    public Optional<String> producesRefused(String topic) {
        Protection protection = protectedTopics.get(topic);
        return protection == null || protection.produced() ? Optional.empty()
                : Optional.of(topic + " is written by its owner only: " + protection.why());
    }

    /** Deletes {@code topic} if it has this id (null: whichever it has). */
    public void deleteTopic(String topic, Uuid id) throws IOException {
        if (org.apache.kafka.common.internals.Topic.isInternal(topic)) {
            throw new org.apache.kafka.common.errors.InvalidTopicException("the internal topic " + topic
                    + " holds the consumer groups' committed offsets; it cannot be deleted");
        }
        Protection protection = protectedTopics.get(topic);
        if (protection != null && !protection.deletable()) {
            throw new org.apache.kafka.common.errors.PolicyViolationException(topic + " cannot be deleted: " + protection.why());
        }
        if (cluster != null) {
            cluster.deleteTopic(topic, id); // not under the monitor: the cluster's thread removes it
            return;
        }
        deleteLocalTopic(topic, id);
    }

    /**
     * A replicated topic the controller deleted: no longer served; its partitions, returned by
     * number, are closed and deleted by the cluster.
     */
    private synchronized Map<Integer, PartitionLog> forgetReplicatedTopic(String topic, Uuid id) throws IOException {
        Topic existing = topics.get(topic);
        if (existing == null || !existing.id().equals(id)) {
            return Map.of();
        }
        topics.remove(topic);
        topicNames.remove(id);
        Map<Integer, PartitionLog> logs = new TreeMap<>();
        for (int p = 0; p < existing.partitionCount(); p++) {
            Owned owned = partitions.remove(new TopicPartition(topic, p));
            if (owned != null) {
                logs.put(p, owned.log);
            }
        }
        Files.deleteIfExists(overridesFile(topic));
        return logs;
    }

    /**
     * Partition directories of a topic of the same name but another id, or of none (a deleted
     * topic whose removal here was cut short), are deleted before the new topic takes the name.
     */
    private void deleteStale(String topic, Uuid id) throws IOException {
        for (Path dir : partitionDirectories(topic, recorded -> !recorded.equals(Optional.of(id)))) {
            LOG.warn("{}: deleting a partition directory left by a deleted topic of the same name", dir.getFileName());
            Directories.delete(dir);
        }
    }

    private synchronized void deleteLocalTopic(String topic, Uuid id) throws IOException {
        Topic existing = topics.get(topic);
        if (existing == null) {
            throw new UnknownTopicOrPartitionException("unknown topic " + topic);
        }
        if (id != null && !id.equals(existing.id())) {
            throw new org.apache.kafka.common.errors.UnknownTopicIdException("topic '" + topic + "' has another id than " + id);
        }
        // Noted durably first: a crash before the last partition is gone is finished at the next start.
        Path deleting = deletingMarker(existing.id());
        Files.writeString(deleting, topic);
        try (var file = java.nio.channels.FileChannel.open(deleting, java.nio.file.StandardOpenOption.WRITE)) {
            file.force(true);
        }
        topics.remove(topic);
        topicNames.remove(existing.id());
        List<CompletableFuture<Long>> closing = new ArrayList<>();
        for (int p = 0; p < existing.partitionCount(); p++) {
            Owned owned = partitions.remove(new TopicPartition(topic, p));
            closing.add(owned.shard.run(logs -> {
                logs.remove(owned.log);
                owned.log.close();
                owned.log.deleteFiles();
            }));
        }
        closing.forEach(CompletableFuture::join);
        Files.deleteIfExists(overridesFile(topic));
        Files.delete(deleting);
        LOG.info("deleted topic {}", topic);
    }

    /** The partition directories of {@code topic} whose recorded topic id (if any) passes {@code which}. */
    private List<Path> partitionDirectories(String topic, java.util.function.Predicate<Optional<Uuid>> which)
            throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> dirs = Files.list(logDir)) {
            for (Path dir : dirs.filter(Files::isDirectory).toList()) {
                Matcher m = PARTITION_DIR.matcher(dir.getFileName().toString());
                if (m.matches() && m.group(1).equals(topic) && which.test(ClusterMetadata.recordedTopicId(logDir,
                        new TopicPartition(topic, Integer.parseInt(m.group(2)))))) {
                    found.add(dir);
                }
            }
        }
        return found;
    }

    /** Marks a topic whose deletion has begun (next to the topics' settings), named by its id, holding its name. */
    private Path deletingMarker(Uuid id) {
        return logDir.resolve("topic-configs").resolve(DELETING + id);
    }

    private static final String DELETING = ".deleting-";

    /** Finishes the deletions of topics a crash interrupted: their partitions of the id noted go. */
    private void finishDeletions() throws IOException {
        List<Path> markers;
        try (Stream<Path> files = Files.list(logDir.resolve("topic-configs"))) {
            markers = files.filter(f -> f.getFileName().toString().startsWith(DELETING)).toList();
        }
        for (Path marker : markers) {
            Uuid id = Uuid.fromString(marker.getFileName().toString().substring(DELETING.length()));
            String topic = Files.readString(marker);
            for (Path dir : partitionDirectories(topic, recorded -> recorded.equals(Optional.of(id)))) {
                Directories.delete(dir);
            }
            Files.deleteIfExists(overridesFile(topic));
            Files.delete(marker);
            LOG.info("finished deleting topic {}, cut short by a stop", topic);
        }
    }

    /** The number of partitions of {@code topic}. */
    public int partitionCount(String topic) {
        return topic(topic).orElseThrow(() -> new UnknownTopicOrPartitionException("unknown topic " + topic))
                .partitionCount();
    }

    /** True when the partition exists (its topic does, and the index is below the count). */
    public boolean hasPartition(TopicPartition tp) {
        return partitions.containsKey(tp);
    }

    public Optional<Topic> topic(String name) {
        return Optional.ofNullable(topics.get(name));
    }

    /** The name of the topic with this id (fetch and produce from v13 name topics by id). */
    public Optional<String> topicName(Uuid id) {
        return Optional.ofNullable(topicNames.get(id));
    }

    /** Every topic, by name. */
    public Collection<Topic> topics() {
        return new TreeMap<>(topics).values();
    }

    /** The settings every topic starts from. */
    public TopicConfig topicDefaults() {
        return config.topicDefaults();
    }

    public String clusterId() {
        return cluster != null ? cluster.clusterId() : clusterId;
    }

    /** A producer id never handed out before, durably (InitProducerId). */
    public long nextProducerId() throws IOException {
        long next = producerIds.next();
        // Each node hands out ids of its own: the low bits name the node, so two never collide.
        return cluster == null ? next : next << 10 | cluster.nodeId();
    }

    /**
     * Appends {@code records} to the partition; the future completes with the first record's
     * offset once the batch is durable (fsync'd), never before.
     */
    public CompletableFuture<Long> append(TopicPartition tp, MemoryRecords records) {
        if (cluster != null) {
            return cluster.append(tp, records);
        }
        Owned owned = owned(tp);
        return owned.shard.offer(owned.log, records);
    }

    /**
     * The in-process writers' append (the engine's): like {@link #append}, except that in a
     * cluster a node that does not lead the partition sends the batch to the one that does, over
     * Raft, instead of refusing it. Kafka clients find the leader themselves and get
     * NOT_LEADER_OR_FOLLOWER from {@link #append}.
     */
    public CompletableFuture<Long> appendAtLeader(TopicPartition tp, MemoryRecords records) {
        return cluster != null ? cluster.appendAtLeader(tp, records) : append(tp, records);
    }

    /**
     * True when this node takes the partition's writes and has applied everything committed before
     * it did (Raft's leader, ready); always true on a single node.
     */
    public boolean leads(TopicPartition tp) {
        return cluster == null || cluster.leadsHere(tp);
    }

    /** Durable batches from {@code offset}, about {@code maxBytes} at most. */
    public Records read(TopicPartition tp, long offset, int maxBytes) {
        return owned(tp).log.read(offset, maxBytes);
    }

    /** The offset after the last durable record of the partition. */
    public long highWatermark(TopicPartition tp) {
        return owned(tp).log.highWatermark();
    }

    /**
     * The offset after the last record written, durable or not (at or past the high watermark):
     * in a cluster, what a replica holds including entries not yet committed.
     */
    public long logEndOffset(TopicPartition tp) {
        return owned(tp).log.logEndOffset();
    }

    /** The first offset still in the partition (retention moves it forward). */
    public long logStartOffset(TopicPartition tp) {
        return owned(tp).log.logStartOffset();
    }

    /**
     * Runs {@code listener} every time the partition's high watermark moves, on its shard's thread:
     * it must be quick (an in-process consumer's wake-up).
     */
    public void onHighWatermarkMoved(TopicPartition tp, Runnable listener) {
        owned(tp).log.onHighWatermarkMoved(listener);
    }

    /** Completes the next time the partition's high watermark moves (long-polling fetches). */
    public CompletableFuture<Void> highWatermarkMoved(TopicPartition tp) {
        return owned(tp).log.highWatermarkMoved();
    }

    /** The first durable record with the partition's largest timestamp, if any (ListOffsets MAX_TIMESTAMP). */
    public Optional<FileRecords.TimestampAndOffset> offsetOfMaxTimestamp(TopicPartition tp) {
        return owned(tp).log.offsetOfMaxTimestamp();
    }

    /** The first durable record at or after {@code timestamp}, if any (ListOffsets). */
    public Optional<FileRecords.TimestampAndOffset> offsetForTimestamp(TopicPartition tp, long timestamp) {
        return owned(tp).log.offsetForTimestamp(timestamp);
    }

    /**
     * Deletes the records of a partition before {@code offset} (DeleteRecords), after the appends
     * queued before; completes with the new log start offset.
     */
    public CompletableFuture<Long> deleteRecordsBefore(TopicPartition tp, long offset) {
        if (cluster != null) {
            return cluster.deleteRecords(tp, offset);
        }
        Owned owned = owned(tp);
        CompletableFuture<Long> start = new CompletableFuture<>();
        owned.shard.run(logs -> start.complete(owned.log.deleteRecordsBefore(offset, System.currentTimeMillis())))
                .whenComplete((ignored, error) -> {
                    if (error != null) {
                        start.completeExceptionally(error);
                    }
                });
        return start;
    }

    /** Segment files and bytes of a partition, for operators and tests. */
    public record PartitionSize(int segments, long bytes) {
    }

    public PartitionSize size(TopicPartition tp) {
        PartitionLog log = owned(tp).log;
        return new PartitionSize(log.segmentCount(), log.sizeInBytes());
    }

    public List<ShardStats> shardStats() {
        List<ShardStats> stats = new ArrayList<>(shards.length);
        for (Shard shard : shards) {
            stats.add(shard.stats());
        }
        return stats;
    }

    private Owned owned(TopicPartition tp) {
        Owned owned = partitions.get(tp);
        if (owned == null) {
            throw new UnknownTopicOrPartitionException("unknown topic or partition " + tp);
        }
        return owned;
    }

    /**
     * {@code topic-configs/<topic>.properties}; a name too long for that (Kafka allows 249
     * characters, a file name 255 bytes) is cut and told apart by a digest of the whole name.
     */
    private Path overridesFile(String topic) {
        String name = topic + ".properties";
        if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
            try {
                byte[] digest = java.security.MessageDigest.getInstance("SHA-256")
                        .digest(topic.getBytes(java.nio.charset.StandardCharsets.UTF_8));
                name = topic.substring(0, 200) + "~" + java.util.HexFormat.of().formatHex(digest, 0, 8) + ".properties";
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return logDir.resolve("topic-configs").resolve(name);
    }

    private Map<String, String> readOverrides(String topic) throws IOException {
        Path file = overridesFile(topic);
        if (!Files.exists(file)) {
            return Map.of();
        }
        Properties props = new Properties();
        try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            props.load(in);
        }
        Map<String, String> overrides = new LinkedHashMap<>();
        props.stringPropertyNames().stream().sorted().forEach(k -> overrides.put(k, props.getProperty(k)));
        return overrides;
    }

    /**
     * The comment that names the controller log index a topic's settings are as of (a comment,
     * not a key: any build reads the same settings from the file).
     */
    private static final String AS_OF = "as of controller log index ";

    /** The controller log index the settings on disk are as of; -1 if none is recorded (or no file). */
    private long settingsAsOf(String topic) throws IOException {
        Path file = overridesFile(topic);
        if (!Files.exists(file)) {
            return -1;
        }
        try (Stream<String> lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.filter(line -> line.startsWith("#" + AS_OF))
                    .mapToLong(line -> Long.parseLong(line.substring(1 + AS_OF.length()).trim())).findFirst().orElse(-1);
        }
    }

    /** @param asOf the controller log index the settings are as of, recorded if not -1 (then even with none) */
    private void writeOverrides(String topic, Map<String, String> overrides, long asOf) throws IOException {
        Properties props = new Properties();
        props.putAll(overrides);
        Path tmp = Files.createTempFile(logDir.resolve("topic-configs"), ".overrides-", ".tmp"); // short: any topic name fits
        try (var out = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
            props.store(out, "settings of topic " + topic + (asOf < 0 ? "" : "\n" + AS_OF + asOf));
        }
        // Durably: an altered setting is acknowledged only once a power loss cannot undo it.
        try (var file = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
            file.force(true);
        }
        Directories.replaceDurably(tmp, overridesFile(topic));
    }

    /** Stops the shards (appends still queued fail), then flushes and closes every partition. */
    @Override
    public void close() {
        for (int i = 0; i < runners.length; i++) {
            if (runners[i] != null) {
                shards[i].idleStrategy().stop(runners[i]);
            }
        }
        if (cluster != null) {
            boolean raftOwnsThePartitions = cluster.running(); // its state machines close them
            try {
                cluster.close();
            } catch (IOException e) {
                LOG.error("closing the Raft server", e);
            }
            if (raftOwnsThePartitions) {
                return;
            }
        }
        for (Owned owned : partitions.values()) {
            try {
                owned.log.close();
            } catch (UncheckedIOException e) {
                LOG.error("closing {}", owned.log.topicPartition(), e);
            }
        }
    }
}
