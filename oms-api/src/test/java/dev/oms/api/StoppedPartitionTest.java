package dev.oms.api;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the engine does when its own storage lets it down. A full order store is one command's
 * problem: it goes to the dead-letter topic and the partition goes on. A batch whose output
 * cannot be written (here an operator deletes {@code order-events} under a running oms) stops its
 * partition rather than go on from a state that is not the log's: orders there get 503 with their
 * durable id, and so do reads of what may not be applied yet (an order not found, the book);
 * health reports the process down so that an orchestrator restarts it, and the restart rebuilds
 * the partition from its log.
 */
class StoppedPartitionTest {
    @TempDir
    Path dir;

    @Test
    void aFullOrderStoreDeadLettersTheOrderThatWouldOutgrowItAndThePartitionGoesOn() throws Exception {
        Path data = dir.resolve("data");
        Map<String, String> settings = Map.of("OMS_ENGINE_MAX_ORDERS", "10", "OMS_LOG_PARTITIONS", "1");
        List<String> placed = new ArrayList<>();
        String refusedId;
        try (Oms oms = TestOms.start(data, settings)) {
            Http http = new Http(oms.httpPort());
            for (int i = 0; i < 10; i++) {
                HttpResponse<String> ok = http.postJson("/orders", order("acct-" + i, "c-" + i, "AAPL", "BUY", "10", 1));
                assertThat(ok.statusCode()).isEqualTo(201);
                placed.add(json(ok).get("id").asText());
            }
            HttpResponse<String> full = http.postJson("/orders", order("acct-x", "c-x", "AAPL", "BUY", "10", 1));
            assertThat(full.statusCode()).isEqualTo(500);
            assertThat(json(full).get("reason").asText()).isEqualTo("DEAD_LETTERED");
            assertThat(json(full).get("detail").asText()).contains("order store is full");
            refusedId = idIn(full);
            assertThat(json(http.get("/dlq?reason=STORE_FULL")).get("entries")).hasSize(1);

            // The partition goes on: the orders it holds can still be canceled.
            assertThat(http.delete("/orders/" + placed.getFirst()).statusCode()).isEqualTo(200);
            assertThat(http.get("/health/live").statusCode()).isEqualTo(200);
        }

        // The decision is the log's: a state rebuilt by replaying it refuses the same order again.
        deleteState(data);
        try (Oms oms = TestOms.start(data, settings)) {
            Http http = new Http(oms.httpPort());
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> http.get("/health/ready").statusCode() == 200);
            for (String id : placed) {
                assertThat(http.get("/orders/" + id).statusCode()).as("order " + id).isEqualTo(200);
            }
            assertThat(json(http.get("/orders/" + placed.getFirst())).get("status").asText()).isEqualTo("CANCELED");
            assertThat(http.get("/orders/" + refusedId).statusCode()).isEqualTo(404);
        }
    }

    private static void deleteState(Path data) throws java.io.IOException {
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(data.resolve("state"))) {
            for (Path file : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(file);
            }
        }
    }

    @Test
    void aBatchWhoseOutputCannotBeWrittenStopsItsPartitionUntilARestartRebuildsIt() throws Exception {
        Path data = dir.resolve("data");
        List<String> durable = new ArrayList<>();
        try (Oms oms = TestOms.start(data, Map.of("OMS_LOG_PARTITIONS", "1"))) {
            Http http = new Http(oms.httpPort());
            HttpResponse<String> first = http.postJson("/orders", order("ann", "a-1", "AAPL", "BUY", "10", 1));
            assertThat(first.statusCode()).isEqualTo(201);
            durable.add(json(first).get("id").asText());

            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
            try (Admin admin = Admin.create(props)) {
                admin.deleteTopics(List.of("order-events")).all().get();
            }
            // This order is applied, but its execution report has nowhere to go: the partition stops.
            HttpResponse<String> second = http.postJson("/orders", order("ann", "a-2", "AAPL", "BUY", "10", 1));
            durable.add(second.statusCode() == 201 ? json(second).get("id").asText() : idIn(second));
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                    .until(() -> http.get("/health/live").statusCode() == 503);
            assertThat(http.get("/health/live").body()).contains("orders-0 stopped");
            assertThat(http.get("/health/ready").statusCode()).isEqualTo(503);

            HttpResponse<String> refused = http.postJson("/orders", order("ann", "a-3", "AAPL", "BUY", "10", 1));
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(json(refused).get("reason").asText()).isEqualTo("PARTITION_STOPPED");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            durable.add(idIn(refused));

            // Reads there: an order not applied yet is not "not found", nor is the book empty.
            HttpResponse<String> unapplied = http.get("/orders/" + idIn(refused));
            assertThat(unapplied.statusCode()).isEqualTo(503);
            assertThat(json(unapplied).get("reason").asText()).isEqualTo("PARTITION_STOPPED");
            assertThat(unapplied.headers().firstValue("Retry-After")).isPresent();
            assertThat(http.get("/orders/" + durable.getFirst()).statusCode()).isEqualTo(200);
            assertThat(http.get("/books/AAPL").statusCode()).isEqualTo(503);
        }

        // The restart recreates the topic and rebuilds the partition from its log.
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

    /** The durable id a 503 names. */
    private static String idIn(HttpResponse<String> response) throws Exception {
        return json(response).get("detail").asText().replaceAll("(?s).*durable as (\\S+) .*", "$1");
    }
}
