package dev.oms.streaming;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import dev.oms.streaming.shard.Shard;
import dev.oms.streaming.shard.ShardStats;
import dev.oms.streaming.storage.ClusterMetadata;
import dev.oms.streaming.storage.PartitionLog;
import dev.oms.streaming.storage.ProducerIdManager;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
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
 * <p>Threads: every public method may be called from any thread. Appends are handed to the owning
 * shard; reads go straight to the partition, which exposes only durable data.
 */
public final class EmbeddedBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedBroker.class);
    private static final Pattern PARTITION_DIR = Pattern.compile("(.+)-(\\d+)");

    private final Path logDir;
    private final Shard[] shards;
    private final AgentRunner[] runners;
    private final Map<TopicPartition, Owned> partitions = new ConcurrentHashMap<>();
    private final Map<String, Topic> topics = new ConcurrentHashMap<>();
    private final Map<Uuid, String> topicNames = new ConcurrentHashMap<>();
    private final String clusterId;
    private final ProducerIdManager producerIds;
    private int nextShard;

    private record Owned(PartitionLog log, Shard shard) {
    }

    /** A topic as clients see it: its name, its id (KIP-516) and how many partitions it has. */
    public record Topic(String name, Uuid id, int partitionCount) {
    }

    private EmbeddedBroker(Path logDir, int shardCount, int queueCapacity) throws IOException {
        this.logDir = logDir;
        this.clusterId = ClusterMetadata.clusterId(logDir);
        this.producerIds = new ProducerIdManager(logDir.resolve("producer-ids"));
        this.shards = new Shard[shardCount];
        this.runners = new AgentRunner[shardCount];
        for (int i = 0; i < shardCount; i++) {
            shards[i] = new Shard(i, queueCapacity);
        }
    }

    /**
     * Opens every partition found under {@code logDir} (recovering each), then starts the shards.
     *
     * @param shardCount     shards, normally one per core
     * @param queueCapacity  appends that may wait per shard before callers are told to back off
     */
    public static EmbeddedBroker open(Path logDir, int shardCount, int queueCapacity) throws IOException {
        Files.createDirectories(logDir);
        EmbeddedBroker broker = new EmbeddedBroker(logDir, shardCount, queueCapacity);
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
            broker.openTopic(topic.getKey(), topic.getValue());
        }
        broker.start();
        return broker;
    }

    private void start() {
        for (int i = 0; i < shards.length; i++) {
            // Spin briefly for latency under load, then park so an idle shard costs no core.
            runners[i] = new AgentRunner(new BackoffIdleStrategy(100, 10, 1_000, 100_000),
                    e -> LOG.error("shard failure", e), null, shards[i]);
            AgentRunner.startOnThread(runners[i]);
        }
    }

    /** Creates {@code topic} with {@code partitionCount} partitions; an existing topic keeps its count. */
    public synchronized int createTopic(String topic, int partitionCount) throws IOException {
        Topic existing = topics.get(topic);
        if (existing != null) {
            if (existing.partitionCount() != partitionCount) {
                LOG.info("topic {} exists with {} partitions; keeping them (asked for {})", topic,
                        existing.partitionCount(), partitionCount);
            }
            return existing.partitionCount();
        }
        org.apache.kafka.common.internals.Topic.validate(topic);
        if (partitionCount < 1) {
            throw new IllegalArgumentException("a topic needs at least one partition, got " + partitionCount);
        }
        openTopic(topic, partitionCount);
        LOG.info("created topic {} with {} partitions", topic, partitionCount);
        return partitionCount;
    }

    private synchronized void openTopic(String topic, int partitionCount) throws IOException {
        Uuid id = null;
        for (int p = 0; p < partitionCount; p++) {
            TopicPartition tp = new TopicPartition(topic, p);
            Shard shard = shards[nextShard++ % shards.length];
            PartitionLog log = PartitionLog.open(logDir, tp);
            id = ClusterMetadata.topicId(logDir, tp, id);
            partitions.put(tp, new Owned(log, shard));
        }
        topics.put(topic, new Topic(topic, id, partitionCount));
        topicNames.put(id, topic);
    }

    /** The number of partitions of {@code topic}. */
    public int partitionCount(String topic) {
        return topic(topic).orElseThrow(() -> new UnknownTopicOrPartitionException("unknown topic " + topic))
                .partitionCount();
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

    public String clusterId() {
        return clusterId;
    }

    /** A producer id never handed out before, durably (InitProducerId). */
    public long nextProducerId() throws IOException {
        return producerIds.next();
    }

    /**
     * Appends {@code records} to the partition; the future completes with the first record's
     * offset once the batch is durable (fsync'd), never before.
     */
    public CompletableFuture<Long> append(TopicPartition tp, MemoryRecords records) {
        Owned owned = owned(tp);
        return owned.shard.offer(owned.log, records);
    }

    /** Durable batches from {@code offset}, about {@code maxBytes} at most. */
    public Records read(TopicPartition tp, long offset, int maxBytes) {
        return owned(tp).log.read(offset, maxBytes);
    }

    /** The offset after the last durable record of the partition. */
    public long highWatermark(TopicPartition tp) {
        return owned(tp).log.highWatermark();
    }

    public long logStartOffset(TopicPartition tp) {
        return owned(tp).log.logStartOffset();
    }

    /** Completes the next time the partition's high watermark moves (long-polling fetches). */
    public CompletableFuture<Void> highWatermarkMoved(TopicPartition tp) {
        return owned(tp).log.highWatermarkMoved();
    }

    /** The first durable record at or after {@code timestamp}, if any (ListOffsets). */
    public Optional<FileRecords.TimestampAndOffset> offsetForTimestamp(TopicPartition tp, long timestamp) {
        return owned(tp).log.offsetForTimestamp(timestamp);
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

    /** Stops the shards (appends still queued fail), then flushes and closes every partition. */
    @Override
    public void close() {
        for (AgentRunner runner : runners) {
            if (runner != null) {
                runner.close();
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
