package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.oms.engine.Engine;
import dev.oms.engine.event.ExecutionReportFollower;
import io.helidon.http.sse.SseEvent;
import io.helidon.webserver.sse.SseSink;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /accounts/{id}/positions}: the account's net position per symbol (bought − sold).
 * {@code GET /accounts/{id}/executions}: its execution reports as server-sent events.
 */
public final class AccountService implements HttpService {
    private static final JsonFactory JSON = new JsonFactory();
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();
    private static final long KEEP_ALIVE_NANOS = 5_000_000_000L;
    private final Engine engine;
    private final Forwarder forwarder;

    public AccountService(Engine engine, Forwarder forwarder) {
        this.engine = engine;
        this.forwarder = forwarder;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{id}/positions", this::positions)
                .get("/{id}/executions", this::executions);
    }

    /**
     * A server-sent-event stream of the account's execution reports from now on: one event per
     * report, named by its type, with the event id as SSE id. A comment every few seconds keeps
     * proxies from closing it and notices a client that went away.
     */
    private void executions(ServerRequest req, ServerResponse res) throws InterruptedException {
        // An Accept without event streams (application/json, text/html…) found no SSE sink: a 500 before.
        if (!req.headers().isAccepted(io.helidon.common.media.type.MediaTypes.TEXT_EVENT_STREAM)) {
            throw new ProblemException(Problem.of(io.helidon.http.Status.NOT_ACCEPTABLE_406, "/problems/not-acceptable",
                    "Not acceptable", "this route answers text/event-stream only; the request's Accept is "
                            + req.headers().value(HeaderNames.ACCEPT).orElse("")));
        }
        ExecutionReportFollower follower = engine.follow(MarketDataService.validAccount(req.path().pathParameters().get("id")));
        try (SseSink sink = res.sink(SseSink.TYPE)) {
            long lastSent = System.nanoTime();
            while (true) {
                List<ExecutionReportFollower.Report> reports = follower.poll();
                for (ExecutionReportFollower.Report report : reports) {
                    sink.emit(SseEvent.builder().id(report.eventId()).name(report.type()).data(report.json()).build());
                }
                if (!reports.isEmpty()) {
                    lastSent = System.nanoTime();
                } else if (System.nanoTime() - lastSent > KEEP_ALIVE_NANOS) {
                    sink.emit(SseEvent.builder().comment("keep-alive").build());
                    lastSent = System.nanoTime();
                } else {
                    Thread.sleep(20);
                }
            }
        } catch (java.io.UncheckedIOException | IllegalStateException gone) {
            // the client closed the stream, or the server is stopping
        }
    }

    private void positions(ServerRequest req, ServerResponse res) throws IOException {
        String account = MarketDataService.validAccount(req.path().pathParameters().get("id"));
        Map<String, Long> positions = new java.util.TreeMap<>();
        java.util.Optional<List<byte[]>> parts = forwarder.fanOut(req);
        if (parts.isPresent()) {
            // Each node answered for the symbols of the partitions it serves: no symbol twice.
            for (byte[] part : parts.get()) {
                for (com.fasterxml.jackson.databind.JsonNode p : MAPPER.readTree(part).path("positions")) {
                    positions.put(p.path("symbol").asText(), p.path("quantity").asLong());
                }
            }
        } else {
            java.util.function.IntPredicate served = forwarder.served(req, res);
            engine.positions(account).getOrDefault(account, Map.of()).forEach((symbol, quantity) -> {
                if (served.test(engine.partitionOf(symbol))) {
                    positions.put(symbol, quantity);
                }
            });
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("account", account);
            json.writeArrayFieldStart("positions");
            for (Map.Entry<String, Long> p : positions.entrySet()) {
                json.writeStartObject();
                json.writeStringField("symbol", p.getKey());
                json.writeNumberField("quantity", p.getValue());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
    }
}
