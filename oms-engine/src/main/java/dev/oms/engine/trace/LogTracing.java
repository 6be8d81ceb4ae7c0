package dev.oms.engine.trace;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;
import org.apache.kafka.common.header.Header;

/**
 * Spans for records going into and out of the log, after OpenTelemetry's messaging semantic
 * conventions: a {@code send <topic>} producer span per appended record, whose context rides in
 * the record's headers ({@code traceparent}), and a {@code process <topic>} consumer span per
 * applied command, a child of the context the record carries. So one trace runs from the HTTP
 * request through the log into the engine and on to the events, trades and dead letters it
 * publishes.
 *
 * <p>{@link #OFF} when tracing is off: the engine then skips every call here, so it costs nothing.
 *
 * <p>Threads: any; spans are ended by whichever thread completes the append.
 */
public final class LogTracing {
    public static final LogTracing OFF = new LogTracing(OpenTelemetry.noop(), false);

    static final AttributeKey<String> SYSTEM = AttributeKey.stringKey("messaging.system");
    static final AttributeKey<String> OPERATION_TYPE = AttributeKey.stringKey("messaging.operation.type");
    static final AttributeKey<String> OPERATION_NAME = AttributeKey.stringKey("messaging.operation.name");
    static final AttributeKey<String> DESTINATION = AttributeKey.stringKey("messaging.destination.name");
    static final AttributeKey<String> PARTITION = AttributeKey.stringKey("messaging.destination.partition.id");
    static final AttributeKey<String> MESSAGE_KEY = AttributeKey.stringKey("messaging.kafka.message.key");
    static final AttributeKey<Long> OFFSET = AttributeKey.longKey("messaging.kafka.offset");
    static final AttributeKey<Long> BODY_SIZE = AttributeKey.longKey("messaging.message.body.size");
    static final AttributeKey<String> CONSUMER_GROUP = AttributeKey.stringKey("messaging.consumer.group.name");

    /** The consumer group name the engine's process spans carry (the engine is one logical consumer). */
    private static final String ENGINE_GROUP = "oms-engine";

    private static final TextMapGetter<Header[]> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(Header[] headers) {
            List<String> keys = new ArrayList<>(headers.length);
            for (Header header : headers) {
                keys.add(header.key());
            }
            return keys;
        }

        @Override
        public String get(Header[] headers, String key) {
            if (headers == null) {
                return null;
            }
            // The last one wins: a redriven record may carry the context it was dead-lettered with.
            for (int i = headers.length - 1; i >= 0; i--) {
                if (headers[i].key().equals(key) && headers[i].value() != null) {
                    return new String(headers[i].value(), StandardCharsets.UTF_8);
                }
            }
            return null;
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;
    private final boolean enabled;

    private LogTracing(OpenTelemetry openTelemetry, boolean enabled) {
        this.tracer = openTelemetry.getTracer("dev.oms.engine");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
        this.enabled = enabled;
    }

    /** Tracing through {@code openTelemetry} (an SDK configured by the caller). */
    public static LogTracing of(OpenTelemetry openTelemetry) {
        return new LogTracing(openTelemetry, true);
    }

    public boolean enabled() {
        return enabled;
    }

    /**
     * Starts the producer span of a record for {@code topic} under the current context and writes
     * its context into {@code headers} (which must be mutable). The caller ends it once the append
     * completes.
     */
    public Span startSend(String topic, int partition, byte[] key, int bodySize, Map<String, byte[]> headers) {
        Span span = tracer.spanBuilder("send " + topic).setSpanKind(SpanKind.PRODUCER)
                .setAttribute(SYSTEM, "kafka")
                .setAttribute(OPERATION_TYPE, "send")
                .setAttribute(OPERATION_NAME, "send")
                .setAttribute(DESTINATION, topic)
                .setAttribute(PARTITION, Integer.toString(partition))
                .setAttribute(BODY_SIZE, (long) bodySize)
                .startSpan();
        if (key != null) {
            span.setAttribute(MESSAGE_KEY, new String(key, StandardCharsets.UTF_8));
        }
        propagator.inject(Context.current().with(span), headers,
                (carrier, name, value) -> carrier.put(name, value.getBytes(StandardCharsets.UTF_8)));
        return span;
    }

    /**
     * Starts the consumer span of applying the record at {@code offset} of {@code topic}: a child
     * of the context in its headers, or a new trace when it carries none.
     */
    public Span startProcess(String topic, int partition, long offset, ByteBuffer key, int bodySize, Header[] headers) {
        Context parent = propagator.extract(Context.root(), headers, HEADERS);
        Span span = tracer.spanBuilder("process " + topic).setSpanKind(SpanKind.CONSUMER).setParent(parent)
                .setAttribute(SYSTEM, "kafka")
                .setAttribute(OPERATION_TYPE, "process")
                .setAttribute(OPERATION_NAME, "process")
                .setAttribute(DESTINATION, topic)
                .setAttribute(PARTITION, Integer.toString(partition))
                .setAttribute(CONSUMER_GROUP, ENGINE_GROUP)
                .setAttribute(OFFSET, offset)
                .setAttribute(BODY_SIZE, (long) bodySize)
                .startSpan();
        if (key != null) {
            span.setAttribute(MESSAGE_KEY, StandardCharsets.UTF_8.decode(key.duplicate()).toString());
        }
        return span;
    }
}
