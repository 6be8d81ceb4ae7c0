package dev.oms.deadletter;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A record that could not be processed, with its provenance, ready to be published to
 * {@code <topic>.DLT} in the same partition.
 */
public record DeadLetter(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value,
                         FailureReason reason, Throwable error, int attempts, String stage, long failedAt,
                         String redrivenFrom) {

    /** The dead-letter headers, in a stable order (docs/events.md). */
    public Map<String, byte[]> headers() {
        Map<String, byte[]> headers = new LinkedHashMap<>();
        headers.put(DeadLetterHeaders.ORIGINAL_TOPIC, utf8(topic));
        headers.put(DeadLetterHeaders.ORIGINAL_PARTITION, utf8(Integer.toString(partition)));
        headers.put(DeadLetterHeaders.ORIGINAL_OFFSET, utf8(Long.toString(offset)));
        headers.put(DeadLetterHeaders.ORIGINAL_TIMESTAMP, utf8(Instant.ofEpochMilli(timestamp).toString()));
        headers.put(DeadLetterHeaders.ORIGINAL_KEY, key == null ? new byte[0] : key);
        headers.put(DeadLetterHeaders.REASON, utf8(reason.name()));
        headers.put(DeadLetterHeaders.ERROR_CLASS, utf8(error.getClass().getName()));
        headers.put(DeadLetterHeaders.ERROR_MESSAGE, utf8(String.valueOf(error.getMessage())));
        headers.put(DeadLetterHeaders.ERROR_STACKTRACE, utf8(stackTrace(error)));
        headers.put(DeadLetterHeaders.ATTEMPTS, utf8(Integer.toString(attempts)));
        headers.put(DeadLetterHeaders.STAGE, utf8(stage));
        headers.put(DeadLetterHeaders.FAILED_AT, utf8(Instant.ofEpochMilli(failedAt).toString()));
        if (redrivenFrom != null) { // failed again after a redrive: the dead letter it came from
            headers.put(DeadLetterHeaders.REDRIVEN_FROM, utf8(redrivenFrom));
        }
        return headers;
    }

    private static String stackTrace(Throwable error) {
        StringWriter out = new StringWriter();
        error.printStackTrace(new PrintWriter(out));
        String trace = out.toString();
        return trace.length() > 8192 ? trace.substring(0, 8192) + "…" : trace; // headers stay small
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
