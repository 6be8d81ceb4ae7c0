package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerResponse;

/**
 * An RFC 9457 problem: what went wrong with a request, as {@code application/problem+json}. The
 * {@code errors} member lists every invalid field, so a client can fix them all at once.
 */
public record Problem(Status status, String type, String title, String detail, List<FieldError> errors, String reason,
                      int retryAfterSeconds, String orderId) {
    public static final String MEDIA_TYPE = "application/problem+json";
    private static final JsonFactory JSON = new JsonFactory();

    /** One invalid field of a request body. */
    public record FieldError(String field, String detail) {
    }

    public static Problem of(Status status, String type, String title, String detail) {
        return new Problem(status, type, title, detail, List.of(), null, 0, null);
    }

    /** The same problem with a stable reason code (a rejection's). */
    public Problem withReason(String code) {
        return new Problem(status, type, title, detail, errors, code, retryAfterSeconds, orderId);
    }

    /** The same problem, telling the client when to try again (503). */
    public Problem withRetryAfter(int seconds) {
        return new Problem(status, type, title, detail, errors, reason, seconds, orderId);
    }

    /** The same problem, naming the order it is about (a rejected one, the original of a reused clientOrderId). */
    public Problem withOrderId(String id) {
        return new Problem(status, type, title, detail, errors, reason, retryAfterSeconds, id);
    }

    /**
     * 503: the engine stopped applying a partition until a restart rebuilds it (a write there is
     * durable but not applied; a read would answer from state behind the log).
     */
    public static Problem partitionStopped(String detail) {
        return of(Status.SERVICE_UNAVAILABLE_503, "/problems/partition-stopped", "Engine unavailable", detail)
                .withRetryAfter(5).withReason("PARTITION_STOPPED");
    }

    /** A read of a stopped partition: a missing order or an empty book there would be a wrong answer. */
    public static Problem partitionStopped(int partition) {
        return partitionStopped("the engine stopped applying orders-" + partition + " (see /health/ready); its state is"
                + " behind its log until oms restarts and rebuilds it");
    }

    /** An order (a NewOrder or a replace) whose fields are wrong; the detail names the first, {@code errors} all of them. */
    public static Problem invalidOrder(List<FieldError> errors) {
        return invalid("/problems/invalid-order", "Invalid order", errors);
    }

    /** Query parameters or a filter whose fields are wrong (not an order's): as {@link #invalidOrder}. */
    public static Problem invalidParameters(List<FieldError> errors) {
        return invalid("/problems/invalid-parameters", "Invalid parameters", errors);
    }

    private static Problem invalid(String type, String title, List<FieldError> errors) {
        FieldError first = errors.getFirst();
        String detail = first.field() + ": " + first.detail()
                + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more, see errors)" : "");
        return new Problem(Status.BAD_REQUEST_400, type, title, detail, errors, null, 0, null);
    }

    public void send(ServerResponse res) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, MEDIA_TYPE);
        if (retryAfterSeconds > 0) {
            res.header(HeaderNames.RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        res.send(toJson());
    }

    public byte[] toJson() {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("type", type);
            json.writeStringField("title", title);
            json.writeNumberField("status", status.code());
            json.writeStringField("detail", detail);
            if (reason != null) {
                json.writeStringField("reason", reason);
            }
            if (orderId != null) {
                json.writeStringField("orderId", orderId);
            }
            if (!errors.isEmpty()) {
                json.writeStringField("field", errors.getFirst().field());
                json.writeArrayFieldStart("errors");
                for (FieldError error : errors) {
                    json.writeStartObject();
                    json.writeStringField("field", error.field());
                    json.writeStringField("detail", error.detail());
                    json.writeEndObject();
                }
                json.writeEndArray();
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
