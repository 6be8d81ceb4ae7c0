package dev.oms.engine.log;

import java.util.concurrent.CompletableFuture;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * {@link OrderLog} over the in-process {@link EmbeddedBroker}: no sockets, no copies beyond the
 * record batch itself. Threads: as {@link OrderLog}.
 */
public final class EmbeddedOrderLog implements OrderLog {
    private final EmbeddedBroker broker;
    private final String topic;
    private final TopicPartition[] partitions;

    public EmbeddedOrderLog(EmbeddedBroker broker, String topic) {
        this.broker = broker;
        this.topic = topic;
        this.partitions = new TopicPartition[broker.partitionCount(topic)];
        for (int p = 0; p < partitions.length; p++) {
            partitions[p] = new TopicPartition(topic, p);
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
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp) {
        return broker.append(partitions[partition],
                MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(timestamp, key, value)));
    }

    @Override
    public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        int handled = 0;
        for (RecordBatch batch : broker.read(partitions[partition], fromOffset, maxBytes).batches()) {
            if (batch.lastOffset() < fromOffset || batch.isControlBatch()) {
                continue;
            }
            for (Record record : batch) {
                if (record.offset() >= fromOffset) {
                    handler.onRecord(partition, record.offset(), record.timestamp(), record.key(), record.value());
                    handled++;
                }
            }
        }
        return handled;
    }

    @Override
    public String toString() {
        return "embedded log, topic " + topic;
    }
}
