package dev.oms.api;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * When the engine cannot write a batch's state (here: an order store sized far too small, so
 * Chronicle Map refuses new entries), it stops that partition instead of going on from a state
 * that is not the log's: orders there get 503 with their durable id, health says the process is
 * down so an orchestrator restarts it, and a restart that rebuilds the state from the log applies
 * every durable order.
 */
class StoppedPartitionTest {
    @TempDir
    Path dir;

    @Test
    void aPartitionWhoseStateCannotBeWrittenStopsTheProcessIsReportedDownAndARebuildAppliesEveryDurableOrder() throws Exception {
        Path data = dir.resolve("data");
        List<String> durable = new ArrayList<>();
        HttpResponse<String> refused = null;
        try (Oms oms = TestOms.start(data, Map.of("OMS_ENGINE_MAX_ORDERS", "10", "OMS_LOG_PARTITIONS", "1"))) {
            Http http = new Http(oms.httpPort());
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
            for (int i = 0; i < 20_000 && refused == null; i++) {
                HttpResponse<String> placed = http.postJson("/orders", order("acct-" + i, "c-" + i, "AAPL", "BUY", "10", 1));
                if (placed.statusCode() == 201) {
                    durable.add(json(placed).get("id").asText());
                } else {
                    refused = placed;
                }
            }
            assertThat(refused).as("the store filled up").isNotNull();
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(json(refused).get("reason").asText()).isEqualTo("PARTITION_STOPPED");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            String refusedId = json(refused).get("detail").asText().replaceAll("(?s).*durable as (\\S+) .*", "$1");
            durable.add(refusedId);

            // Later orders to the stopped partition are durable, and told so at once.
            HttpResponse<String> later = http.postJson("/orders", order("acct-x", "late", "AAPL", "BUY", "10", 1));
            assertThat(later.statusCode()).isEqualTo(503);
            durable.add(json(later).get("detail").asText().replaceAll("(?s).*durable as (\\S+) .*", "$1"));

            HttpResponse<String> live = http.get("/health/live");
            assertThat(live.statusCode()).isEqualTo(503);
            assertThat(live.body()).contains("orders-0 stopped");
            assertThat(http.get("/health/ready").statusCode()).isEqualTo(503);
        }

        // The operator gives the store room and restarts; the state is rebuilt from the log.
        try (Stream<Path> files = Files.walk(data.resolve("state"))) {
            for (Path file : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(file);
            }
        }
        try (Oms oms = TestOms.start(data, Map.of("OMS_LOG_PARTITIONS", "1"))) {
            Http http = new Http(oms.httpPort());
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> http.get("/health/ready").statusCode() == 200);
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
            for (String id : durable) {
                HttpResponse<String> found = http.get("/orders/" + id);
                assertThat(found.statusCode()).as("order " + id).isEqualTo(200);
                assertThat(json(found).get("status").asText()).isEqualTo("NEW");
            }
        }
    }
}
