package dev.oms.engine.trace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.oms.engine.log.OrderLog;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * An {@link OrderLog} whose appends and publishes each get a producer span, with the span's
 * context written into the record's headers; the span ends when the record is durable. Reads pass
 * straight through (the engine opens its own process spans). Only used when tracing is on.
 */
public final class TracedOrderLog implements OrderLog {
    private final OrderLog log;
    private final LogTracing tracing;
    private final String commandTopic;

    public TracedOrderLog(OrderLog log, LogTracing tracing, String commandTopic) {
        this.log = log;
        this.tracing = tracing;
        this.commandTopic = commandTopic;
    }

    @Override
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp, Map<String, byte[]> headers) {
        Map<String, byte[]> traced = new LinkedHashMap<>(headers);
        Span span = tracing.startSend(commandTopic, partition, key, value.length, traced);
        try {
            return ended(span, log.append(partition, key, value, timestamp, traced));
        } catch (RuntimeException e) {
            return ended(span, CompletableFuture.failedFuture(e));
        }
    }

    @Override
    public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                           Map<String, byte[]> headers) {
        Map<String, byte[]> traced = new LinkedHashMap<>(headers);
        Span span = tracing.startSend(topic, partition, key, value == null ? 0 : value.length, traced);
        try {
            return ended(span, log.publish(topic, partition, key, value, timestamp, traced));
        } catch (RuntimeException e) {
            return ended(span, CompletableFuture.failedFuture(e));
        }
    }

    private static CompletableFuture<Long> ended(Span span, CompletableFuture<Long> appended) {
        return appended.whenComplete((offset, error) -> {
            if (error != null) {
                span.recordException(error);
                span.setStatus(StatusCode.ERROR, "append failed");
            } else {
                span.setAttribute(LogTracing.OFFSET, offset);
            }
            span.end();
        });
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
        return log + ", traced";
    }
}
