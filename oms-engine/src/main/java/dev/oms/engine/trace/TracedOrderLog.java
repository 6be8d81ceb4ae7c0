package dev.oms.engine.trace;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import dev.oms.engine.log.ForwardingOrderLog;
import dev.oms.engine.log.OrderLog;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;

/**
 * An {@link OrderLog} whose appends and publishes each get a producer span, with the span's
 * context written into the record's headers; the span ends when the record is durable. Reads pass
 * straight through (the engine opens its own process spans). Only used when tracing is on.
 */
public final class TracedOrderLog extends ForwardingOrderLog {
    private final LogTracing tracing;
    private final String commandTopic;

    public TracedOrderLog(OrderLog log, LogTracing tracing, String commandTopic) {
        super(log);
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
    public String toString() {
        return log + ", traced";
    }
}
