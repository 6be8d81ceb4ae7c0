package dev.oms.api;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Traces end to end against a real Jaeger (v2, built from tools/jaeger by tools/build): the oms binary
 * as a child process exports over OTLP/HTTP with the JDK sender, and the test asks Jaeger's query
 * API for the trace of an order — the HTTP server span, the append to {@code orders}, the engine's
 * processing and the records it published, each the child of the one before. Along the way: the
 * caller's traceparent is honoured, a dead letter carries its trace, JSON log lines carry the trace
 * id, and the OpenMetrics exposition carries it as an exemplar.
 */
class TracingTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path JAEGER_CONFIG = Path.of("..", "tools", "jaeger", "jaeger.yaml");

    @TempDir
    Path dir;

    @Test
    void oneTraceFollowsAnOrderFromHttpThroughTheLogIntoTheEngineAndItsEvents() throws Exception {
        int otlpPort = dev.oms.streaming.TestPorts.free();
        int queryPort = dev.oms.streaming.TestPorts.free();
        Process jaeger = startJaeger(otlpPort, queryPort);
        try (OmsProcess oms = OmsProcess.start(dir.resolve("data"), Map.of(
                "OMS_TRACING_ENABLED", "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + otlpPort,
                "OTEL_BSP_SCHEDULE_DELAY", "100",
                "OMS_LOGGING_FORMAT", "json",
                "OMS_ENGINE_FAILURE_INJECTION_FAILING_SYMBOLS", "BRKN",
                "OMS_ENGINE_RETRY_MAX_ATTEMPTS", "2",
                "OMS_ENGINE_RETRY_INITIAL_BACKOFF_MS", "1"))) {
            Http http = new Http(oms.httpPort());

            // The caller's own trace context is continued, not replaced.
            String callerTrace = hex(16);
            String callerSpan = hex(8);
            HttpResponse<String> resting = http.postJson("/orders", order("ann", "a-1", "ACME", "SELL", "10.00", 5),
                    "traceparent", "00-" + callerTrace + "-" + callerSpan + "-01");
            assertThat(resting.statusCode()).isEqualTo(201);
            assertThat(traceOf(resting)).isEqualTo(callerTrace);

            // A crossing order: its trace holds the trade and the execution reports it caused.
            HttpResponse<String> crossing = http.postJson("/orders", order("bob", "b-1", "ACME", "BUY", "10.00", 5));
            assertThat(crossing.statusCode()).isEqualTo(201);
            String trace = traceOf(crossing);

            JsonNode spans = awaitSpans(queryPort, trace, "POST /orders", "send orders", "process orders",
                    "send order-events", "send trades");
            JsonNode server = only(spans, "POST /orders");
            JsonNode send = only(spans, "send orders");
            JsonNode process = only(spans, "process orders");
            assertThat(parentOf(send)).as("append under the HTTP span").isEqualTo(server.get("spanID").asText());
            assertThat(parentOf(process)).as("engine under the append").isEqualTo(send.get("spanID").asText());
            for (JsonNode span : spans) {
                if (span.get("operationName").asText().equals("send order-events")
                        || span.get("operationName").asText().equals("send trades")) {
                    assertThat(parentOf(span)).as("outputs under the engine").isEqualTo(process.get("spanID").asText());
                }
            }
            assertThat(count(spans, "send order-events")).as("Accepted, then a Trade report per side").isEqualTo(3);
            assertThat(tag(server, "http.route")).isEqualTo("/orders");
            assertThat(tag(server, "http.response.status_code")).isEqualTo("201");
            assertThat(tag(send, "messaging.system")).isEqualTo("kafka");
            assertThat(tag(send, "messaging.destination.name")).isEqualTo("orders");
            assertThat(tag(process, "messaging.operation.type")).isEqualTo("process");
            assertThat(tag(process, "messaging.kafka.offset")).isEqualTo(crossingOffset(crossing));
            assertThat(tag(process, "oms.order.status")).isEqualTo("FILLED");

            JsonNode callerSpans = awaitSpans(queryPort, callerTrace, "POST /orders", "process orders");
            assertThat(parentOf(only(callerSpans, "POST /orders"))).isEqualTo(callerSpan);

            // A command that fails: the dead letter is published inside the same trace, and carries it.
            HttpResponse<String> failed = http.postJson("/orders", order("rita", "r-1", "BRKN", "BUY", "10.00", 1));
            assertThat(failed.statusCode()).isEqualTo(500);
            String failedTrace = traceOf(failed);
            JsonNode failedSpans = awaitSpans(queryPort, failedTrace, "POST /orders", "send orders", "process orders",
                    "send orders.DLT");
            JsonNode failedProcess = only(failedSpans, "process orders");
            assertThat(parentOf(only(failedSpans, "send orders.DLT"))).isEqualTo(failedProcess.get("spanID").asText());
            assertThat(tag(failedProcess, "otel.status_code")).isEqualTo("ERROR");
            assertThat(tag(failedProcess, "oms.dead_letter.reason")).isEqualTo("RETRIES_EXHAUSTED");
            JsonNode letter = json(http.get("/dlq?reason=RETRIES_EXHAUSTED")).get("entries").get(0);
            assertThat(letter.get("headers").get("traceparent").asText()).contains(failedTrace);

            // The engine's log line about the dead letter names the trace (JSON logs).
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> logLine(oms, failedTrace).isPresent());
            JsonNode line = JSON.readTree(logLine(oms, failedTrace).orElseThrow());
            assertThat(line.get("level").asText()).isEqualTo("SEVERE");
            assertThat(line.get("message").asText()).contains("dead-lettered");
            assertThat(line.get("span_id").asText()).isEqualTo(failedProcess.get("spanID").asText());

            // The request-duration histogram points at a sampled request's trace (OpenMetrics exemplars).
            String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + oms.httpPort() + "/metrics"))
                    .header("Accept", "application/openmetrics-text; version=1.0.0; charset=utf-8").build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            List<String> exemplars = metrics.lines()
                    .filter(l -> l.startsWith("http_server_request_duration_seconds_bucket") && l.contains("route=\"/orders\""))
                    .filter(l -> l.contains("# {")).toList();
            assertThat(exemplars).as("exemplars on /orders buckets").isNotEmpty();
            assertThat(String.join("\n", exemplars)).containsAnyOf(trace, callerTrace, failedTrace);
        } finally {
            jaeger.destroy();
            jaeger.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private Process startJaeger(int otlpPort, int queryPort) throws Exception {
        ProcessBuilder builder = new ProcessBuilder(Tools.binary("jaeger", "tools/build jaeger"), "--config", JAEGER_CONFIG.toAbsolutePath().toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("jaeger.log").toFile());
        builder.environment().put("JAEGER_OTLP_PORT", Integer.toString(otlpPort));
        builder.environment().put("JAEGER_QUERY_PORT", Integer.toString(queryPort));
        builder.environment().put("JAEGER_QUERY_GRPC_PORT", Integer.toString(dev.oms.streaming.TestPorts.free()));
        builder.environment().put("OTEL_TRACES_EXPORTER", "none");
        Process jaeger = builder.start();
        HttpClient client = HttpClient.newHttpClient();
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            if (!jaeger.isAlive()) {
                throw new AssertionError("jaeger exited: " + Files.readString(dir.resolve("jaeger.log")));
            }
            return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + queryPort + "/api/services")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode() == 200;
        });
        return jaeger;
    }

    /** Waits until Jaeger holds every named span of the trace; returns its spans. */
    private static JsonNode awaitSpans(int queryPort, String traceId, String... names) {
        HttpClient client = HttpClient.newHttpClient();
        JsonNode[] spans = new JsonNode[1];
        Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).ignoreExceptions().until(() -> {
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + queryPort + "/api/traces/" + traceId)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                return false;
            }
            spans[0] = JSON.readTree(response.body()).get("data").get(0).get("spans");
            for (String name : names) {
                if (count(spans[0], name) == 0) {
                    return false;
                }
            }
            return true;
        });
        return spans[0];
    }

    private static String traceOf(HttpResponse<String> response) {
        String header = response.headers().firstValue("traceresponse").orElseThrow(() ->
                new AssertionError("no traceresponse header"));
        return header.split("-")[1];
    }

    private static String crossingOffset(HttpResponse<String> response) throws IOException {
        String id = json(response).get("id").asText(); // <partition>-<offset>
        return id.substring(id.indexOf('-') + 1);
    }

    private static int count(JsonNode spans, String name) {
        int n = 0;
        for (JsonNode span : spans) {
            if (span.get("operationName").asText().equals(name)) {
                n++;
            }
        }
        return n;
    }

    private static JsonNode only(JsonNode spans, String name) {
        List<JsonNode> found = new ArrayList<>();
        spans.forEach(span -> {
            if (span.get("operationName").asText().equals(name)) {
                found.add(span);
            }
        });
        assertThat(found).as("spans named " + name).hasSize(1);
        return found.getFirst();
    }

    private static String parentOf(JsonNode span) {
        for (JsonNode reference : span.path("references")) {
            if (reference.get("refType").asText().equals("CHILD_OF")) {
                return reference.get("spanID").asText();
            }
        }
        return null;
    }

    private static String tag(JsonNode span, String key) {
        Map<String, String> tags = new HashMap<>();
        span.path("tags").forEach(t -> tags.put(t.get("key").asText(), t.get("value").asText()));
        return tags.get(key);
    }

    private static Optional<String> logLine(OmsProcess oms, String traceId) throws IOException {
        return oms.log().lines().filter(l -> l.startsWith("{") && l.contains("\"trace_id\":\"" + traceId + "\""))
                .filter(l -> l.contains("dead-lettered")).findFirst();
    }

    private static String hex(int bytes) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < bytes; i++) {
            out.append(String.format("%02x", ThreadLocalRandom.current().nextInt(256)));
        }
        return out.toString();
    }

}
