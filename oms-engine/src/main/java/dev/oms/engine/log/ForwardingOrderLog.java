package dev.oms.engine.log;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * An {@link OrderLog} that passes every call to another: the base of a log that adds to some
 * calls (tracing) and leaves the rest alone.
 */
public abstract class ForwardingOrderLog implements OrderLog {
    protected final OrderLog log;

    protected ForwardingOrderLog(OrderLog log) {
        this.log = log;
    }

    @Override
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp, Map<String, byte[]> headers) {
        return log.append(partition, key, value, timestamp, headers);
    }

    @Override
    public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                           Map<String, byte[]> headers) {
        return log.publish(topic, partition, key, value, timestamp, headers);
    }

    @Override
    public int partitionCount() {
        return log.partitionCount();
    }

    @Override
    public boolean leads(int partition) {
        return log.leads(partition);
    }

    @Override
    public int partitionFor(byte[] key) {
        return log.partitionFor(key);
    }

    @Override
    public long endOffset(int partition) {
        return log.endOffset(partition);
    }

    @Override
    public int pollTopic(String topic, int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        return log.pollTopic(topic, partition, fromOffset, maxBytes, handler);
    }

    @Override
    public long startOffset(String topic, int partition) {
        return log.startOffset(topic, partition);
    }

    @Override
    public long endOffset(String topic, int partition) {
        return log.endOffset(topic, partition);
    }

    @Override
    public List<byte[]> tail(String topic, int partition, byte[] key, int limit) {
        return log.tail(topic, partition, key, limit);
    }

    @Override
    public void resetPublished(int partition) {
        log.resetPublished(partition);
    }

    @Override
    public void flushPublished(int partition) {
        log.flushPublished(partition);
    }

    @Override
    public void onAppended(int partition, Runnable listener) {
        log.onAppended(partition, listener);
    }

    @Override
    public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        return log.poll(partition, fromOffset, maxBytes, handler);
    }

    @Override
    public String toString() {
        return log.toString();
    }
}
