package dev.oms.engine.log;

import java.util.concurrent.CompletableFuture;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.client.PartitionSubscription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * {@link OrderLog} over the in-process {@link EmbeddedBroker}: no sockets, no copies beyond the
 * record batch itself. Threads: as {@link OrderLog}.
 */
public final class EmbeddedOrderLog implements OrderLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddedOrderLog.class);
    private final EmbeddedBroker broker;
    private final String topic;
    private final TopicPartition[] partitions;
    private final PartitionSubscription[] subscriptions;

    /**
     * Reads commands from {@code topic} and publishes to the output topics, which are created with
     * as many partitions when missing: the records of command partition p go to partition p.
     */
    public EmbeddedOrderLog(EmbeddedBroker broker, String topic) throws java.io.IOException {
        this.broker = broker;
        this.topic = topic;
        this.partitions = new TopicPartition[broker.partitionCount(topic)];
        for (String output : java.util.List.of(Topics.ORDER_EVENTS, Topics.TRADES, Topics.ORDERS_DLT)) {
            broker.createTopic(output, partitions.length);
        }
        this.subscriptions = new PartitionSubscription[partitions.length];
        for (int p = 0; p < partitions.length; p++) {
            partitions[p] = new TopicPartition(topic, p);
            subscriptions[p] = PartitionSubscription.of(broker, partitions[p], 0);
        }
    }

    @Override
    public int partitionCount() {
        return partitions.length;
    }

    @Override
    public int partitionFor(byte[] key) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions.length;
    }

    @Override
    public long endOffset(int partition) {
        return broker.highWatermark(partitions[partition]);
    }

    @Override
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp,
                                          java.util.Map<String, byte[]> headers) {
        return publish(topic, partition, key, value, timestamp, headers);
    }

    @Override
    public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                           java.util.Map<String, byte[]> headers) {
        org.apache.kafka.common.header.Header[] recordHeaders = headers.isEmpty()
                ? org.apache.kafka.common.record.internal.Record.EMPTY_HEADERS
                : headers.entrySet().stream()
                        .map(h -> new org.apache.kafka.common.header.internals.RecordHeader(h.getKey(), h.getValue()))
                        .toArray(org.apache.kafka.common.header.Header[]::new);
        return broker.append(new TopicPartition(topic, partition),
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(timestamp, key, value, recordHeaders)));
    }

    @Override
    public int pollTopic(String topic, int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        return poll(PartitionSubscription.of(broker, new TopicPartition(topic, partition), fromOffset), partition,
                maxBytes, handler);
    }

    @Override
    public long startOffset(String topic, int partition) {
        return broker.logStartOffset(new TopicPartition(topic, partition));
    }

    @Override
    public long endOffset(String topic, int partition) {
        return broker.highWatermark(new TopicPartition(topic, partition));
    }

    @Override
    public java.util.List<byte[]> tail(String topic, int partition, byte[] key, int limit) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long end = broker.highWatermark(tp);
        // Look back over a bounded window: other keys share the partition.
        long from = Math.max(broker.logStartOffset(tp), end - Math.max(1000, 20L * limit));
        java.nio.ByteBuffer wanted = java.nio.ByteBuffer.wrap(key);
        java.util.ArrayDeque<byte[]> found = new java.util.ArrayDeque<>();
        PartitionSubscription records = PartitionSubscription.of(broker, tp, from);
        while (records.position() < end && records.poll(1 << 20, (offset, timestamp, k, value) -> {
            if (k != null && k.equals(wanted)) {
                byte[] bytes = new byte[value.remaining()];
                value.get(bytes);
                found.addLast(bytes);
                if (found.size() > limit) {
                    found.removeFirst();
                }
            }
        }) > 0) {
            // collected in the handler
        }
        return java.util.List.copyOf(found);
    }

    @Override
    public void onAppended(int partition, Runnable listener) {
        broker.onHighWatermarkMoved(partitions[partition], listener);
    }

    @Override
    public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        PartitionSubscription subscription = subscriptions[partition];
        if (subscription.position() != fromOffset) {
            subscription.seek(fromOffset);
        }
        return poll(subscription, partition, maxBytes, handler);
    }

    private static int poll(PartitionSubscription subscription, int partition, int maxBytes, RecordHandler handler) {
        return subscription.pollRecords(maxBytes, record -> handler.onRecord(partition, record.offset(),
                record.timestamp(), record.key(), record.value(), record.headers()));
    }

    @Override
    public String toString() {
        return "embedded log, topic " + topic;
    }
}
