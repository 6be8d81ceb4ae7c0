package dev.oms.deadletter;

/**
 * The headers every dead-lettered record carries (documented in docs/events.md), so that anyone
 * reading {@code <topic>.DLT} with a plain Kafka consumer knows where the record came from, what
 * went wrong and how often it was tried.
 */
public final class DeadLetterHeaders {
    public static final String ORIGINAL_TOPIC = "dlt.original.topic";
    public static final String ORIGINAL_PARTITION = "dlt.original.partition";
    public static final String ORIGINAL_OFFSET = "dlt.original.offset";
    public static final String ORIGINAL_TIMESTAMP = "dlt.original.timestamp";
    public static final String ORIGINAL_KEY = "dlt.original.key";
    public static final String REASON = "dlt.reason";
    public static final String ERROR_CLASS = "dlt.error.class";
    public static final String ERROR_MESSAGE = "dlt.error.message";
    public static final String ERROR_STACKTRACE = "dlt.error.stacktrace";
    public static final String ATTEMPTS = "dlt.attempts";
    public static final String STAGE = "dlt.stage";
    public static final String FAILED_AT = "dlt.failed.at";
    /** On a redriven record: the dead-letter record it came from, {@code <dlt topic>-<partition>@<offset>}. */
    public static final String REDRIVEN_FROM = "dlt.redriven.from";
    /** W3C trace context of the dead-lettering, when tracing is on; a redrive carries it on. */
    public static final java.util.List<String> TRACE_CONTEXT = java.util.List.of("traceparent", "tracestate");

    private DeadLetterHeaders() {
    }

    /** The dead-letter topic of {@code topic}. */
    public static String topicFor(String topic) {
        return topic + ".DLT";
    }
}
