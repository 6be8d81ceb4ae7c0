package dev.oms.api;

import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped Prometheus config, alert rules and Grafana dashboards against a real Prometheus
 * (Debian's package) scraping a running oms under a short load: the config passes promtool, every
 * PromQL query of every dashboard panel returns data (the cluster dashboard's: ClusterTest, on
 * three nodes), and every alert rule loads and evaluates; promtool's rule tests show each alert
 * firing on the series that should raise it and on no other.
 */
class DashboardsTest {
    private static final Path DEPLOYMENT = RealPrometheus.DEPLOYMENT;

    @TempDir
    Path dir;

    @Test
    void everyDashboardQueryReturnsDataFromARealPrometheus() throws Exception {
        assertThat(run("promtool", "check", "config", DEPLOYMENT.resolve("prometheus/prometheus.yml").toString()))
                .as("promtool check config").isZero();
        List<String> queries = RealPrometheus.dashboardQueries(false);
        assertThat(queries).hasSizeGreaterThan(10);

        try (Oms oms = TestOms.start(dir.resolve("data"))) {
            AtomicBoolean running = new AtomicBoolean(true);
            Thread load = Thread.ofPlatform().start(() -> load(oms, running));
            try (RealPrometheus prometheus = RealPrometheus.scraping(dir.resolve("prometheus"),
                    List.of("127.0.0.1:" + oms.httpPort()))) {
                prometheus.awaitData(queries);
                // The alert rules: all loaded, each evaluated without error against oms's series.
                List<String> alerts = alertNames();
                org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                    List<String> evaluated = new ArrayList<>();
                    for (JsonNode group : prometheus.ruleGroups()) {
                        for (JsonNode rule : group.path("rules")) {
                            assertThat(rule.path("health").asText()).as(rule.toString()).isNotEqualTo("err");
                            if (rule.path("health").asText().equals("ok")) {
                                evaluated.add(rule.path("name").asText());
                            }
                        }
                    }
                    assertThat(evaluated).containsExactlyInAnyOrderElementsOf(alerts);
                });
            } finally {
                running.set(false);
                load.join(30_000);
            }
        }
    }

    @Test
    void everyAlertFiresOnTheSeriesThatShouldRaiseItAndNotOnHealthyOnes() throws Exception {
        Path rules = DEPLOYMENT.resolve("prometheus/alerts.yml");
        assertThat(run("promtool", "check", "rules", rules.toString())).as("promtool check rules").isZero();
        assertThat(run("promtool", "test", "rules", DEPLOYMENT.resolve("prometheus/alerts.test.yml").toString()))
                .as("promtool test rules").isZero();
        // Each alert has a case in the tests, and each of oms's metrics it reads is documented.
        String tests = Files.readString(DEPLOYMENT.resolve("prometheus/alerts.test.yml"));
        for (String alert : alertNames()) {
            assertThat(tests).as("a test of " + alert).contains("alertname: " + alert + "\n");
        }
        String documented = Files.readString(Path.of("..", "docs", "metrics.md"));
        java.util.regex.Matcher metric = java.util.regex.Pattern.compile("\\b((?:oms|http_server)_[a-z_]+?)(?:_bucket|_count)?\\b")
                .matcher(Files.readString(rules).replaceAll("(?m)^\\s*(#|summary:).*$", ""));
        while (metric.find()) {
            assertThat(documented).as(metric.group(1) + " in docs/metrics.md").contains("`" + metric.group(1) + "`");
        }
    }

    /** The alerts of the shipped rules. */
    private static List<String> alertNames() throws IOException {
        List<String> names = new ArrayList<>();
        java.util.regex.Matcher alert = java.util.regex.Pattern.compile("(?m)^\\s*- alert: (\\S+)")
                .matcher(Files.readString(DEPLOYMENT.resolve("prometheus/alerts.yml")));
        while (alert.find()) {
            names.add(alert.group(1));
        }
        assertThat(names).isNotEmpty();
        return names;
    }

    /** Orders (valid, invalid, async, read back) and a consumer group, until told to stop. */
    private static void load(Oms oms, AtomicBoolean running) {
        Http http = new Http(oms.httpPort());
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "dashboard-readers");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("orders"));
            for (int i = 0; running.get(); i++) {
                HttpResponse<String> placed = http.postJson("/orders", order("acct-d", "d-" + i, "AAPL", "BUY", "10", 1));
                http.get("/orders/" + Http.json(placed).get("id").asText());
                http.postJson("/orders", order("acct-d", "da-" + i, "MSFT", "SELL", "11", 1), "Prefer", "respond-async");
                http.postJson("/orders", order("acct-e", "e-" + i, "AAPL", "SELL", "10", 1)); // trades with the buy
                http.postJson("/orders", "{broken");
                consumer.poll(Duration.ofMillis(50));
                consumer.commitSync();
                Thread.sleep(100);
            }
        } catch (Exception e) {
            if (running.get()) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static int run(String... command) throws IOException, InterruptedException {
        command[0] = Tools.binary(command[0], "apt-get install prometheus");
        Process process = new ProcessBuilder(command).inheritIO().start();
        return process.waitFor(60, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

}
