package dev.oms.api.cli;

import java.io.PrintStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * {@code ./oms dlq list|show|redrive|purge}: the dead-letter queue of a running oms, through its
 * HTTP API ({@code --url}).
 */
final class DeadLetterCommands {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String url;
    private final PrintStream out;
    private final PrintStream err;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    DeadLetterCommands(String url, PrintStream out, PrintStream err) {
        this.url = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        this.out = out;
        this.err = err;
    }

    int run(Args a) throws Exception {
        return switch (a.word(1)) {
            case "list" -> list(a);
            case "show" -> show(a);
            case "redrive" -> redrive(a);
            default -> purge(a);
        };
    }

    private int list(Args a) throws Exception {
        StringBuilder query = new StringBuilder("?limit=").append(a.option("limit").orElse("100"));
        for (String filter : new String[] {"reason", "topic", "partition", "from", "to"}) {
            a.option(filter).ifPresent(v -> query.append('&').append(filter).append('=')
                    .append(URLEncoder.encode(v, StandardCharsets.UTF_8)));
        }
        JsonNode body = call("GET", "/dlq" + query, null);
        Table table = new Table("partition", "offset", "reason", "source", "attempts", "failed_at", "error");
        for (JsonNode e : body.get("entries")) {
            JsonNode h = e.get("headers");
            table.row(e.get("partition").asInt(), e.get("offset").asLong(), h.path("dlt.reason").asText(),
                    h.path("dlt.original.topic").asText() + "-" + h.path("dlt.original.partition").asText() + "@"
                            + h.path("dlt.original.offset").asText(),
                    h.path("dlt.attempts").asText(), h.path("dlt.failed.at").asText(), h.path("dlt.error.message").asText());
        }
        table.print(out, a.flag("json"));
        return 0;
    }

    private int show(Args a) throws Exception {
        JsonNode entry = call("GET", "/dlq/" + a.required(2, "PARTITION") + "/" + a.required(3, "OFFSET"), null).get("entry");
        out.println(JSON.writerWithDefaultPrettyPrinter().writeValueAsString(entry));
        return 0;
    }

    private int redrive(Args a) throws Exception {
        Map<String, Object> selection = new LinkedHashMap<>();
        if (a.flag("all")) {
            selection.put("all", true);
        }
        a.option("partition").ifPresent(p -> selection.put("partition", Integer.parseInt(p)));
        a.option("offset").ifPresent(o -> selection.put("offset", Long.parseLong(o)));
        a.option("from-offset").ifPresent(o -> selection.put("fromOffset", Long.parseLong(o)));
        a.option("to-offset").ifPresent(o -> selection.put("toOffset", Long.parseLong(o)));
        a.option("reason").ifPresent(r -> selection.put("reason", r));
        a.option("topic").ifPresent(t -> selection.put("topic", t));
        if (selection.isEmpty()) {
            throw new IllegalArgumentException("say what to redrive: --all, --partition P --offset O, "
                    + "--partition P --from-offset A --to-offset B, or --reason R");
        }
        JsonNode result = call("POST", "/dlq/redrive", JSON.writeValueAsString(selection));
        err.println("redriven " + result.get("redriven").asInt() + " record(s)");
        return 0;
    }

    private int purge(Args a) throws Exception {
        String partition = a.option("partition").orElseThrow(() -> new IllegalArgumentException("purge needs --partition P"));
        String before = a.option("before").orElseThrow(() -> new IllegalArgumentException("purge needs --before OFFSET"));
        JsonNode result = call("POST", "/dlq/purge", "{\"partition\":" + Integer.parseInt(partition) + ",\"before\":"
                + Long.parseLong(before) + "}");
        err.println("partition " + partition + " of the dead-letter topic now starts at " + result.get("logStartOffset").asLong());
        return 0;
    }

    private JsonNode call(String method, String path, String body) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url + path)).timeout(Duration.ofSeconds(60))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        HttpResponse<String> response = client.send(request.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = JSON.readTree(response.body());
        if (response.statusCode() >= 300) {
            throw new IllegalStateException(json.path("detail").asText(response.body()));
        }
        return json;
    }
}
