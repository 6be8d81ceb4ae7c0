package dev.oms.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.awaitility.Awaitility;

/**
 * A real Prometheus (Debian's package) with the shipped config and alert rules, scraping the
 * given oms nodes every second; and the queries of the shipped Grafana dashboards, which tests
 * run against it.
 */
final class RealPrometheus implements AutoCloseable {
    static final Path DEPLOYMENT = Path.of("..", "deployment");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final String base;
    private final HttpClient client = HttpClient.newHttpClient();

    private RealPrometheus(Process process, String base) {
        this.process = process;
        this.base = base;
    }

    /** Started in {@code dir}, scraping {@code targets} (host:port of oms's HTTP), ready. */
    static RealPrometheus scraping(Path dir, List<String> targets) throws Exception {
        Files.createDirectories(dir);
        Files.copy(DEPLOYMENT.resolve("prometheus/alerts.yml"), dir.resolve("alerts.yml"));
        Path config = dir.resolve("prometheus.yml");
        String listed = targets.stream().map(t -> "\"" + t + "\"").collect(Collectors.joining(", "));
        Files.writeString(config, Files.readString(DEPLOYMENT.resolve("prometheus/prometheus.yml"))
                .replace("scrape_interval: 5s", "scrape_interval: 1s")
                .replace("\"oms:8080\"", listed));
        int port = dev.oms.streaming.TestPorts.free();
        Process process = new ProcessBuilder(Tools.binary("prometheus", "apt-get install prometheus"), "--config.file=" + config,
                "--storage.tsdb.path=" + dir.resolve("tsdb"), "--web.listen-address=127.0.0.1:" + port)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
        RealPrometheus prometheus = new RealPrometheus(process, "http://127.0.0.1:" + port);
        Awaitility.await().atMost(Duration.ofSeconds(60)).ignoreExceptions()
                .until(() -> prometheus.get("/-/ready").statusCode() == 200);
        return prometheus;
    }

    /** Waits until every query returns data (rates need two scrapes with traffic between them). */
    void awaitData(List<String> queries) {
        List<String> empty = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofSeconds(2)).until(() -> {
            empty.clear();
            for (String query : queries) {
                if (!hasData(query)) {
                    empty.add(query);
                }
            }
            return empty.isEmpty();
        });
        assertThat(empty).as("dashboard queries without data").isEmpty();
    }

    private boolean hasData(String query) throws Exception {
        HttpResponse<String> response = get("/api/v1/query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("status").asText()).as(query + " → " + response.body()).isEqualTo("success");
        return !body.path("data").path("result").isEmpty();
    }

    /** The rule groups Prometheus loaded, with each rule's health. */
    JsonNode ruleGroups() throws Exception {
        return JSON.readTree(get("/api/v1/rules").body()).path("data").path("groups");
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * The PromQL of every panel of the shipped dashboards that are ({@code cluster}) or are not
     * tagged {@code cluster}: those need nodes started with --peers.
     */
    static List<String> dashboardQueries(boolean cluster) throws IOException {
        List<String> queries = new ArrayList<>();
        try (Stream<Path> files = Files.list(DEPLOYMENT.resolve("grafana/dashboards"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".json")).sorted().toList()) {
                JsonNode dashboard = JSON.readTree(file.toFile());
                boolean tagged = false;
                for (JsonNode tag : dashboard.path("tags")) {
                    tagged |= tag.asText().equals("cluster");
                }
                if (tagged != cluster) {
                    continue;
                }
                for (JsonNode panel : dashboard.path("panels")) {
                    for (JsonNode target : panel.path("targets")) {
                        queries.add(target.path("expr").asText());
                    }
                }
            }
        }
        return queries;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        process.waitFor(30, TimeUnit.SECONDS);
    }
}
