package dev.oms.streaming.group;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.client.CorruptBatchException;
import dev.oms.streaming.client.PartitionSubscription;
import dev.oms.streaming.storage.TopicConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * Committed offsets, kept where Kafka keeps them: records in the compacted internal topic
 * {@code __consumer_offsets} (key: group, topic, partition; value: offset, leader epoch, metadata,
 * commit time; a null value deletes), read back on start. A commit is answered once its record is
 * durable, so committed offsets survive restarts and crashes.
 *
 * <p>Threads: any. Commits of one group are serialized, so the map follows the log's order.
 */
public final class OffsetStore {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(OffsetStore.class);
    public static final String TOPIC = "__consumer_offsets";
    private static final short VERSION = 1;

    private final EmbeddedBroker broker;
    private final int partitions;
    private final Map<String, Map<TopicPartition, Committed>> committed = new ConcurrentHashMap<>();
    /** Where this node has read each partition of {@link #TOPIC} up to. */
    private final PartitionSubscription[] readers;

    /** A committed position. */
    public record Committed(long offset, int leaderEpoch, String metadata, long commitTimestamp) {
    }

    OffsetStore(EmbeddedBroker broker, int partitions) throws IOException {
        this.broker = broker;
        if (broker.topic(TOPIC).isEmpty()) {
            try {
                // Compacted: only the latest commit of each group and partition is kept.
                broker.createTopic(TOPIC, partitions, Map.of(TopicConfig.CLEANUP_POLICY, "compact",
                        TopicConfig.SEGMENT_BYTES, Integer.toString(16 * 1024 * 1024)));
            } catch (org.apache.kafka.common.errors.TopicExistsException e) {
                // another cluster node created it first
            }
        }
        this.partitions = broker.partitionCount(TOPIC);
        this.readers = new PartitionSubscription[partitions];
        for (int p = 0; p < partitions; p++) {
            TopicPartition tp = new TopicPartition(TOPIC, p);
            readers[p] = PartitionSubscription.of(broker, tp, broker.logStartOffset(tp));
            catchUp(p);
        }
    }

    /**
     * Applies the commits of a partition this node has not read yet: in a cluster another node may
     * have coordinated the group (before a failover), and its commits reach this node through the
     * replicated log. On a single node it only re-reads this node's own commits.
     */
    private void catchUp(int partition) {
        PartitionSubscription records = readers[partition];
        synchronized (records) {
            long end = broker.highWatermark(records.partition());
            // Compaction may leave the last offsets empty, so stop when a poll finds nothing.
            while (records.position() < end) {
                try {
                    if (records.poll(1 << 20, (offset, timestamp, key, value) -> applyReadable(records.partition(), offset, key, value)) == 0) {
                        break;
                    }
                } catch (CorruptBatchException e) {
                    // Committed offsets only: a group whose commits were there goes on from an
                    // earlier commit (or its reset policy), which beats a broker that cannot start.
                    LOG.error("{}; its commits are skipped", e.getMessage());
                    records.seek(e.nextOffset());
                }
            }
        }
    }

    /**
     * A record this broker did not write (Kafka clients cannot produce to the topic now, but an
     * earlier build let them) is skipped with a warning: it made every start fail.
     */
    private void applyReadable(TopicPartition partition, long offset, ByteBuffer key, ByteBuffer value) {
        try {
            apply(key, value);
        } catch (RuntimeException e) { // a short buffer, no key: not a commit
            LOG.warn("{} offset {} is not a commit record ({}); skipped", partition, offset, e.toString());
        }
    }

    private void apply(ByteBuffer key, ByteBuffer value) {
        key.getShort(); // version
        String group = readString(key);
        TopicPartition tp = new TopicPartition(readString(key), key.getInt());
        if (value == null) {
            Map<TopicPartition, Committed> offsets = committed.get(group);
            if (offsets != null) {
                offsets.remove(tp);
                if (offsets.isEmpty()) {
                    committed.remove(group);
                }
            }
            return;
        }
        value.getShort();
        Committed commit = new Committed(value.getLong(), value.getInt(), readString(value), value.getLong()); // read whole first
        committed.computeIfAbsent(group, g -> new ConcurrentHashMap<>()).put(tp, commit);
    }

    /** Writes the commits durably, then makes them visible. */
    void commit(String group, Map<TopicPartition, Committed> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        catchUp(partitionFor(group));
        List<SimpleRecord> records = new ArrayList<>(offsets.size());
        long now = System.currentTimeMillis();
        offsets.forEach((tp, c) -> records.add(new SimpleRecord(now, key(group, tp), value(c))));
        write(group, records);
        Map<TopicPartition, Committed> current = committed.computeIfAbsent(group, g -> new ConcurrentHashMap<>());
        current.putAll(offsets);
    }

    /** Deletes every offset of {@code group} (DeleteGroups). */
    void delete(String group) {
        catchUp(partitionFor(group));
        Map<TopicPartition, Committed> offsets = committed.get(group);
        if (offsets == null || offsets.isEmpty()) {
            return;
        }
        List<SimpleRecord> tombstones = new ArrayList<>();
        long now = System.currentTimeMillis();
        offsets.keySet().forEach(tp -> tombstones.add(new SimpleRecord(now, key(group, tp), null)));
        write(group, tombstones);
        committed.remove(group);
    }

    /** Deletes the offsets of {@code group} for {@code partitions} (OffsetDelete); those it has none for are skipped. */
    void delete(String group, java.util.Collection<TopicPartition> partitions) {
        catchUp(partitionFor(group));
        Map<TopicPartition, Committed> offsets = committed.get(group);
        if (offsets == null) {
            return;
        }
        List<TopicPartition> held = partitions.stream().filter(offsets::containsKey).distinct().toList();
        if (held.isEmpty()) {
            return;
        }
        long now = System.currentTimeMillis();
        write(group, held.stream().map(tp -> new SimpleRecord(now, key(group, tp), null)).toList());
        held.forEach(offsets::remove);
    }

    private void write(String group, List<SimpleRecord> records) {
        TopicPartition tp = new TopicPartition(TOPIC, partitionFor(group));
        try {
            broker.append(tp, MemoryRecords.withRecords(Compression.NONE, records.toArray(SimpleRecord[]::new))).join();
        } catch (java.util.concurrent.CompletionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.NotLeaderOrFollowerException) {
                // In a cluster, leadership of the offsets partition moved: the client finds the new coordinator.
                throw new org.apache.kafka.common.errors.NotCoordinatorException("this node no longer coordinates " + group);
            }
            throw e;
        }
    }

    /** The group's committed offsets (a copy). */
    public Map<TopicPartition, Committed> offsets(String group) {
        catchUp(partitionFor(group));
        Map<TopicPartition, Committed> offsets = committed.get(group);
        return offsets == null ? Map.of() : Map.copyOf(offsets);
    }

    /** Every group with committed offsets. */
    public List<String> groups() {
        for (int p = 0; p < partitions; p++) {
            catchUp(p);
        }
        return List.copyOf(committed.keySet());
    }

    int partitionFor(String group) {
        return partitionFor(group, partitions);
    }

    /** The partition of {@link #TOPIC} that holds a group's offsets (Kafka's choice: murmur2 of the id). */
    public static int partitionFor(String group, int partitions) {
        return Utils.toPositive(Utils.murmur2(group.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static byte[] key(String group, TopicPartition tp) {
        byte[] g = group.getBytes(StandardCharsets.UTF_8);
        byte[] t = tp.topic().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + 2 + g.length + 2 + t.length + 4).putShort(VERSION)
                .putShort((short) g.length).put(g).putShort((short) t.length).put(t).putInt(tp.partition()).array();
    }

    private static byte[] value(Committed c) {
        byte[] m = c.metadata() == null ? null : c.metadata().getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(2 + 8 + 4 + 2 + (m == null ? 0 : m.length) + 8).putShort(VERSION)
                .putLong(c.offset()).putInt(c.leaderEpoch());
        if (m == null) {
            b.putShort((short) -1);
        } else {
            b.putShort((short) m.length).put(m);
        }
        return b.putLong(c.commitTimestamp()).array();
    }

    private static String readString(ByteBuffer b) {
        short length = b.getShort();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        b.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
