package dev.oms.api.observe;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.Locale;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;

/**
 * How log lines look: {@code text} (one readable line) or {@code json} (one JSON object per line,
 * for log shippers). Both carry {@code trace_id} and {@code span_id} when a span is current, so a
 * log line leads to its trace in Jaeger and back.
 *
 * <p>Threads: JUL formats on the logging thread, where the span is current.
 */
public final class LogFormat extends Formatter {
    private final boolean json;

    private LogFormat(boolean json) {
        this.json = json;
    }

    /** The formatter for {@code name}: text or json. */
    public static LogFormat named(String name) {
        return switch (name) {
            case "text" -> new LogFormat(false);
            case "json" -> new LogFormat(true);
            default -> throw new IllegalArgumentException("logging.format must be text or json, got '" + name + "'");
        };
    }

    /** Ratis logs every retried request and election at INFO: warnings are what an operator needs. */
    private static final Logger RATIS = Logger.getLogger(RepeatedWarnings.RATIS);
    /**
     * Kafka's clients log their whole configuration at INFO each time one is made: some 160 lines
     * for every GET /dlq (its consumer), and the CLI's output drowned in them. Held here: the
     * logging framework keeps its loggers only weakly, and would forget the level.
     */
    private static final Logger KAFKA = Logger.getLogger("org.apache.kafka");

    /** Kafka's clients say only what goes wrong (the server's and the CLI's). */
    public static void quietKafkaClients() {
        KAFKA.setLevel(java.util.logging.Level.WARNING);
    }

    /**
     * Formats every line of the process this way (the root logger's handlers), and lets one Ratis
     * warning of a kind through a minute ({@link RepeatedWarnings}: a handler's filter, since a
     * logger's does not see its children's records).
     */
    public void install() {
        RepeatedWarnings repeated = new RepeatedWarnings();
        for (Handler handler : Logger.getLogger("").getHandlers()) {
            handler.setFormatter(this);
            java.util.logging.Filter own = handler.getFilter();
            handler.setFilter(own == null || own instanceof RepeatedWarnings ? repeated : r -> own.isLoggable(r) && repeated.isLoggable(r));
        }
        RATIS.setLevel(java.util.logging.Level.WARNING);
        quietKafkaClients();
    }

    @Override
    public String format(LogRecord record) {
        SpanContext span = Span.current().getSpanContext();
        String message = formatMessage(record);
        String thrown = record.getThrown() == null ? null : stackTrace(record.getThrown());
        return json ? json(record, message, thrown, span) : text(record, message, thrown, span);
    }

    private static String text(LogRecord record, String message, String thrown, SpanContext span) {
        StringBuilder line = new StringBuilder(160)
                .append(record.getInstant()).append(' ')
                .append(String.format(Locale.ROOT, "%-7s", record.getLevel().getName())).append(' ')
                .append(record.getLoggerName()).append(": ").append(message);
        if (span.isValid()) {
            line.append(" trace_id=").append(span.getTraceId()).append(" span_id=").append(span.getSpanId());
        }
        line.append(System.lineSeparator());
        if (thrown != null) {
            line.append(thrown);
        }
        return line.toString();
    }

    private static String json(LogRecord record, String message, String thrown, SpanContext span) {
        StringBuilder line = new StringBuilder(256).append('{');
        field(line, "timestamp", record.getInstant().toString());
        line.append(',');
        field(line, "level", record.getLevel().getName());
        line.append(',');
        field(line, "logger", record.getLoggerName());
        line.append(',');
        field(line, "thread", Thread.currentThread().getName());
        line.append(',');
        field(line, "message", message);
        if (span.isValid()) {
            line.append(',');
            field(line, "trace_id", span.getTraceId());
            line.append(',');
            field(line, "span_id", span.getSpanId());
        }
        if (thrown != null) {
            line.append(',');
            field(line, "exception", thrown);
        }
        return line.append('}').append('\n').toString();
    }

    private static void field(StringBuilder line, String name, String value) {
        line.append('"').append(name).append("\":");
        if (value == null) {
            line.append("null");
            return;
        }
        line.append('"').append(JsonStringEncoder.getInstance().quoteAsString(value));
        line.append('"');
    }

    private static String stackTrace(Throwable thrown) {
        StringWriter out = new StringWriter();
        thrown.printStackTrace(new PrintWriter(out));
        return out.toString();
    }
}
