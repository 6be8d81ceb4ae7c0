package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.deadletter.DeadLetterQueue;
import dev.oms.deadletter.DeadLetterQueue.Entry;
import dev.oms.deadletter.DeadLetterQueue.Filter;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * {@code /dlq}: what could not be processed, and sending it back. {@code GET /dlq} lists (filters:
 * topic, reason, from, to, partition; {@code limit}), {@code GET /dlq/{partition}/{offset}} shows
 * one, {@code POST /dlq/redrive} appends a selection back to its original topic: one
 * ({@code partition}, {@code offset}), a range ({@code partition}, {@code fromOffset},
 * {@code toOffset}), a filter ({@code topic}, {@code reason}), or {@code {"all": true}}.
 *
 * <p>Threads: any request thread.
 */
public final class DeadLetterService implements HttpService {
    private static final JsonFactory JSON = new JsonFactory();

    private final DeadLetterQueue queue;
    private final Counter redriven;
    private final int maxBodyBytes;

    public DeadLetterService(DeadLetterQueue queue, PrometheusRegistry registry, int maxBodyBytes) {
        this.queue = queue;
        this.maxBodyBytes = maxBodyBytes;
        this.redriven = Counter.builder().name("oms_dead_letter_redriven_total")
                .help("Dead-lettered records appended back to their original topic").register(registry);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::list)
                .get("/{partition}/{offset}", this::show)
                .post("/redrive", this::redrive)
                .post("/purge", this::purge);
    }

    private void list(ServerRequest req, ServerResponse res) throws IOException {
        Filter filter = new Filter(req.query().first("topic").orElse(null), reason(req.query().first("reason").orElse(null)),
                instant(req, "from"), instant(req, "to"),
                req.query().first("partition").map(p -> MarketDataService.intParam(req, "partition", 0, 0, 1 << 20)).orElse(null),
                null, null);
        int limit = MarketDataService.intParam(req, "limit", 100, 1, 10_000);
        int afterPartition = -1;
        long afterOffset = -1;
        String after = req.query().first("after").orElse(null);
        if (after != null) {
            String[] cursor = after.split("-");
            try {
                afterPartition = Integer.parseInt(cursor[0]);
                afterOffset = Long.parseLong(cursor[1]);
            } catch (RuntimeException e) {
                throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError("after",
                        "is the cursor of the previous page, <partition>-<offset>; got '" + after + "'"))));
            }
        }
        DeadLetterQueue.Page page = queue.page(filter, afterPartition, afterOffset, limit, PAGE_BYTES);
        List<Entry> entries = page.entries();
        send(res, Status.OK_200, json -> {
            json.writeArrayFieldStart("entries");
            for (Entry entry : entries) {
                write(json, entry);
            }
            json.writeEndArray();
            Entry last = entries.isEmpty() ? null : entries.getLast();
            json.writeStringField("next", page.full() ? last.partition() + "-" + last.offset() : null);
        });
    }

    /** The most a page of GET /dlq holds of its letters' keys and values (a first letter alone may hold more). */
    static final long PAGE_BYTES = 8L << 20;

    private void show(ServerRequest req, ServerResponse res) throws IOException {
        int partition;
        long offset;
        try {
            partition = Integer.parseInt(req.path().pathParameters().get("partition"));
            offset = Long.parseLong(req.path().pathParameters().get("offset"));
        } catch (NumberFormatException e) {
            throw notFound(req.path().path());
        }
        Entry entry = queue.show(partition, offset).orElseThrow(() -> notFound(req.path().path()));
        send(res, Status.OK_200, json -> write(json, entry, "entry"));
    }

    private void redrive(ServerRequest req, ServerResponse res) throws IOException {
        JsonNode body = body(req);
        Filter filter = selection(body);
        int count = queue.redrive(filter);
        if (count == 0 && body.has("offset")) { // one record named, and none there: as GET /dlq/{p}/{o} answers
            throw notFound("partition " + body.path("partition").asText("?") + ", offset " + body.get("offset").asText());
        }
        redriven.inc(count);
        send(res, Status.OK_200, json -> json.writeNumberField("redriven", count));
    }

    /** POST /dlq/purge {"partition": p, "before": offset}: deletes the dead letters before the offset. */
    private void purge(ServerRequest req, ServerResponse res) throws IOException {
        JsonNode body = body(req);
        if (body == null || !body.path("partition").isInt() || !body.path("before").canConvertToLong()) {
            throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError("before",
                    "purge takes {\"partition\": P, \"before\": OFFSET}"))));
        }
        long start;
        try {
            start = queue.purge(body.get("partition").asInt(), body.get("before").asLong());
        } catch (IllegalArgumentException e) {
            throw new ProblemException(Problem.of(Status.BAD_REQUEST_400, "/problems/invalid-purge", "Cannot purge",
                    e.getMessage()));
        }
        send(res, Status.OK_200, json -> json.writeNumberField("logStartOffset", start));
    }

    /** One, a range, a filter, or all — and nothing by accident: an empty body selects nothing. */
    private static Filter selection(JsonNode body) {
        if (body == null || !body.isObject() || body.isEmpty()) {
            throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError("all",
                    "say what to redrive: {\"partition\",\"offset\"}, {\"partition\",\"fromOffset\",\"toOffset\"}, "
                            + "{\"topic\",\"reason\"} or {\"all\":true}"))));
        }
        List<Problem.FieldError> errors = new java.util.ArrayList<>();
        body.fieldNames().forEachRemaining(name -> {
            if (!SELECTION_FIELDS.contains(name)) {
                errors.add(new Problem.FieldError(name, "unknown field; a redrive takes " + String.join(", ", SELECTION_FIELDS)));
            }
        });
        if (body.has("all") && !body.get("all").isBoolean()) {
            errors.add(new Problem.FieldError("all", "must be true or false"));
        }
        if (body.has("partition") && !body.get("partition").isInt()) {
            errors.add(new Problem.FieldError("partition", "must be a whole number"));
        }
        for (String offset : List.of("offset", "fromOffset", "toOffset")) {
            if (body.has(offset) && !body.get(offset).canConvertToExactIntegral()) { // "latest" and true read as 0 and 1
                errors.add(new Problem.FieldError(offset, "must be a whole number"));
            }
        }
        if (body.has("all") && !body.get("all").asBoolean() && body.size() == 1) {
            errors.add(new Problem.FieldError("all", "false selects nothing; say what to redrive")); // else: every record
        }
        // One shape at a time: a forgotten offset or a stray "all" selected far more than meant.
        boolean range = body.has("fromOffset") || body.has("toOffset");
        if (body.path("all").asBoolean(false) && body.size() > 1) {
            errors.add(new Problem.FieldError("all", "all takes no other field; say either all or what to redrive"));
        }
        if (body.has("offset") && range) {
            errors.add(new Problem.FieldError("offset", "either one offset or a range fromOffset/toOffset, not both"));
        }
        if ((body.has("offset") || range) && !body.has("partition")) {
            errors.add(new Problem.FieldError("partition", "an offset needs its partition"));
        }
        if (body.has("partition") && !body.has("offset") && !range) {
            errors.add(new Problem.FieldError("offset", "a partition needs an offset, or a range fromOffset/toOffset"));
        }
        if (!errors.isEmpty()) {
            throw new ProblemException(Problem.invalidParameters(errors));
        }
        if (body.path("all").asBoolean(false)) {
            return Filter.ALL;
        }
        Integer partition = body.has("partition") ? Integer.valueOf(body.get("partition").asInt()) : null;
        Long from = offset(body, "offset", "fromOffset");
        Long to = offset(body, "offset", "toOffset");
        return new Filter(body.has("topic") ? body.get("topic").asText() : null,
                reason(body.has("reason") ? body.get("reason").asText() : null), null, null, partition, from, to);
    }

    private static final List<String> SELECTION_FIELDS = List.of("partition", "offset", "fromOffset", "toOffset", "topic",
            "reason", "all");

    /** A reason to filter by: one the dead-letter topic can hold, or a 400 (an unknown one selected nothing, silently). */
    private static String reason(String reason) {
        if (reason != null && java.util.Arrays.stream(dev.oms.deadletter.FailureReason.values())
                .noneMatch(known -> known.name().equals(reason))) {
            throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError("reason", "must be one of "
                    + java.util.Arrays.toString(dev.oms.deadletter.FailureReason.values()) + ", got '" + reason + "'"))));
        }
        return reason;
    }

    private JsonNode body(ServerRequest req) throws IOException {
        RequestBody.requireJson(req);
        return RequestBody.json(RequestBody.read(req, maxBodyBytes));
    }

    private static Long offset(JsonNode body, String exact, String bound) {
        if (body.has(exact)) {
            return body.get(exact).asLong();
        }
        return body.has(bound) ? Long.valueOf(body.get(bound).asLong()) : null;
    }

    private static Instant instant(ServerRequest req, String name) {
        return req.query().first(name).map(text -> {
            try {
                return Instant.parse(text);
            } catch (DateTimeParseException e) {
                throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError(name,
                        "must be an ISO-8601 instant such as 2026-11-25T10:00:00Z, got '" + text + "'"))));
            }
        }).orElse(null);
    }

    private static ProblemException notFound(String where) {
        return new ProblemException(Problem.of(Status.NOT_FOUND_404, "/problems/dead-letter-not-found",
                "Dead letter not found", "no dead-letter record at " + where));
    }

    private static void write(JsonGenerator json, Entry entry) throws IOException {
        write(json, entry, null);
    }

    private static void write(JsonGenerator json, Entry entry, String field) throws IOException {
        if (field == null) {
            json.writeStartObject();
        } else {
            json.writeObjectFieldStart(field);
        }
        json.writeNumberField("partition", entry.partition());
        json.writeNumberField("offset", entry.offset());
        json.writeStringField("key", entry.key() == null ? null : new String(entry.key(), StandardCharsets.UTF_8));
        json.writeStringField("value", entry.value() == null ? null : new String(entry.value(), StandardCharsets.UTF_8));
        json.writeObjectFieldStart("headers");
        for (Map.Entry<String, String> header : entry.headers().entrySet()) {
            json.writeStringField(header.getKey(), header.getValue());
        }
        json.writeEndObject();
        json.writeEndObject();
    }

    @FunctionalInterface
    private interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private static void send(ServerResponse res, Status status, Body body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            body.write(json);
            json.writeEndObject();
        }
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
    }
}
