package dev.oms.api;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binary as a separate process: restarts, SIGTERM, and SIGKILL in the middle of traffic. */
class ProcessLifecycleTest {
    @TempDir
    Path dir;

    @Test
    void orderReadBackAfterTheProcessIsStoppedAndStartedAgainIsTheSame() throws Exception {
        Path data = dir.resolve("data");
        JsonNode placed;
        try (OmsProcess oms = OmsProcess.start(data)) {
            Http http = new Http(oms.httpPort());
            HttpResponse<String> response = http.postJson("/orders", order("acct-1", "restart-1", "AAPL", "BUY", "187.42", 250));
            assertThat(response.statusCode()).isEqualTo(201);
            placed = json(response);
            assertThat(json(http.get("/orders/" + placed.get("id").asText()))).isEqualTo(placed);

            int exit = oms.terminate();
            assertThat(exit).as("SIGTERM exit code").isIn(0, 143);
            assertThat(oms.log()).contains("oms stopped");
        }
        try (OmsProcess oms = OmsProcess.start(data)) {
            HttpResponse<String> read = new Http(oms.httpPort()).get("/orders/" + placed.get("id").asText());
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(json(read)).isEqualTo(placed);
        }
    }

    @Test
    void everyAcknowledgedOrderSurvivesKill9DuringABurst() throws Exception {
        Path data = dir.resolve("data");
        Map<String, JsonNode> acknowledged = new ConcurrentHashMap<>();
        AtomicInteger attempted = new AtomicInteger();
        try (OmsProcess oms = OmsProcess.start(data)) {
            Http http = new Http(oms.httpPort());
            List<String> symbols = List.of("AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NVDA", "META", "IBM");
            ExecutorService clients = Executors.newFixedThreadPool(16);
            for (int c = 0; c < 16; c++) {
                int client = c;
                clients.submit(() -> {
                    for (int i = 0; ; i++) {
                        String body = order("acct-" + client, "burst-" + client + "-" + i, symbols.get(i % symbols.size()),
                                i % 2 == 0 ? "BUY" : "SELL", (100 + i % 50) + ".25", 1 + i);
                        attempted.incrementAndGet();
                        try {
                            // Half wait for the engine's verdict, half only for durability.
                            HttpResponse<String> response = client % 2 == 0 ? http.postJson("/orders", body)
                                    : http.postJson("/orders", body, "Prefer", "respond-async");
                            if (response.statusCode() == 201 || response.statusCode() == 202) {
                                JsonNode ack = json(response);
                                acknowledged.put(ack.get("id").asText(), ack);
                            }
                        } catch (Exception e) {
                            return null; // the server died under us: this one was never acknowledged
                        }
                    }
                });
            }
            while (acknowledged.size() < 400) {
                Thread.sleep(5);
            }
            oms.kill9(); // mid-burst: requests are in flight
            clients.shutdown();
            assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(acknowledged.size()).isGreaterThanOrEqualTo(400);

        try (OmsProcess oms = OmsProcess.start(data)) {
            Http http = new Http(oms.httpPort());
            // Orders acknowledged as durable only (202) are applied by the replay, which the
            // readiness check waits for; reads are served from the start.
            org.awaitility.Awaitility.await("the engine replayed the log").atMost(java.time.Duration.ofSeconds(120))
                    .until(() -> http.get("/health/ready").statusCode() == 200);
            for (Map.Entry<String, JsonNode> ack : acknowledged.entrySet()) {
                HttpResponse<String> read = http.get("/orders/" + ack.getKey());
                assertThat(read.statusCode()).as("acknowledged order %s after kill -9", ack.getKey()).isEqualTo(200);
                JsonNode order = json(read);
                for (String field : List.of("id", "account", "clientOrderId", "symbol", "side", "type", "price", "quantity", "createdAt")) {
                    assertThat(order.get(field)).as("%s of %s", field, ack.getKey()).isEqualTo(ack.getValue().get(field));
                }
                // Orders of the burst trade with each other, so the status moved on; it is never left pending.
                assertThat(order.get("status").asText()).as("status of %s", ack.getKey()).isNotEqualTo("PENDING_NEW");
                assertThat(order.get("filledQuantity").asLong()).isGreaterThanOrEqualTo(ack.getValue().get("filledQuantity").asLong());
            }
        }
    }

    @Test
    void stateAfterKill9DuringTradingEqualsAFullReplayOfTheLog() throws Exception {
        Path data = dir.resolve("data");
        try (OmsProcess oms = OmsProcess.start(data)) {
            tradeThenKill9(oms, new java.util.concurrent.CountDownLatch(0));
        }
        String afterCrash = stateAfterCrashRebuiltFromTheLogAlone(data);
        assertThat(afterCrash).contains("FILLED");
    }

    @Test
    void stateAfterKill9DuringTradingThatBeginsANewDayEqualsAFullReplayOfTheLog() throws Exception {
        Path data = dir.resolve("data");
        java.util.List<String> filledToday;
        // Tomorrow's records come from a Kafka client, which the broker lets write up to 3 days ahead here.
        try (OmsProcess oms = OmsProcess.start(data, Map.of("OMS_LOG_MESSAGE_TIMESTAMP_AFTER_MAX_MS", "259200000"))) {
            Http http = new Http(oms.httpPort());
            for (int i = 0; i < 120; i++) { // today's orders, crossing: most fill
                http.postJson("/orders", order("acct-" + i % 8, "d-" + i, i % 2 == 0 ? "AAPL" : "MSFT",
                        i % 4 < 2 ? "BUY" : "SELL", "100", 1));
            }
            filledToday = new java.util.ArrayList<>();
            json(http.get("/orders?status=FILLED&limit=500")).get("orders").forEach(o -> filledToday.add(o.get("id").asText()));
            assertThat(filledToday).hasSizeGreaterThan(50);

            // While clients trade over HTTP (today's record time), a Kafka client writes tomorrow's
            // commands: each partition's first begins its day, and today's filled orders leave.
            long tomorrow = System.currentTimeMillis() + 24 * 3600 * 1000L;
            java.util.concurrent.CountDownLatch written = new java.util.concurrent.CountDownLatch(1);
            Thread writer = Thread.ofPlatform().start(() -> {
                java.util.Properties props = new java.util.Properties();
                props.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, oms.kafkaBootstrap());
                try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(props,
                        new org.apache.kafka.common.serialization.StringSerializer(),
                        new org.apache.kafka.common.serialization.StringSerializer())) {
                    for (int i = 0; i < 40; i++) {
                        String symbol = i % 2 == 0 ? "AAPL" : "MSFT";
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("orders", null, tomorrow + i,
                                symbol, "{\"schema\":1,\"type\":\"NewOrder\",\"account\":\"acct-9\",\"clientOrderId\":\"n-"
                                        + i + "\",\"symbol\":\"" + symbol + "\",\"side\":\"BUY\",\"orderType\":\"LIMIT\","
                                        + "\"timeInForce\":\"GTC\",\"price\":\"90\",\"quantity\":1}")).get();
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                written.countDown();
            });
            tradeThenKill9(oms, written);
            writer.join();
        }
        String afterCrash = stateAfterCrashRebuiltFromTheLogAlone(data);
        assertThat(afterCrash).contains("\"clientOrderId\":\"n-39\"");
        for (String id : filledToday) {
            assertThat(afterCrash).as("filled before the day began, so gone").doesNotContain("\"id\":\"" + id + "\"");
        }
    }

    /** Orders from 8 clients on two symbols over HTTP, then kill -9 once 300 are acknowledged and {@code ready}. */
    private static void tradeThenKill9(OmsProcess oms, java.util.concurrent.CountDownLatch ready) throws Exception {
        AtomicInteger acknowledged = new AtomicInteger();
        Http http = new Http(oms.httpPort());
        ExecutorService clients = Executors.newFixedThreadPool(8);
        for (int c = 0; c < 8; c++) {
            int client = c;
            clients.submit(() -> {
                for (int i = 0; ; i++) {
                    // Prices around 100 on two symbols: the orders cross, fill, partly fill and rest.
                    String body = order("acct-" + client, "t-" + client + "-" + i, i % 2 == 0 ? "AAPL" : "MSFT",
                            (i + client) % 2 == 0 ? "BUY" : "SELL", Integer.toString(99 + (i * 7 + client) % 4), 1 + i % 9);
                    try {
                        if (http.postJson("/orders", body).statusCode() < 300) {
                            acknowledged.incrementAndGet();
                        }
                    } catch (Exception e) {
                        return null;
                    }
                }
            });
        }
        while (acknowledged.get() < 300 || ready.getCount() > 0) {
            Thread.sleep(5);
        }
        oms.kill9();
        clients.shutdown();
        assertThat(clients.awaitTermination(60, TimeUnit.SECONDS)).isTrue();
    }

    /** The state a start after the crash reaches, which a start with the state deleted must reach too. */
    private String stateAfterCrashRebuiltFromTheLogAlone(Path data) throws Exception {
        String afterCrash;
        try (OmsProcess oms = OmsProcess.start(data)) {
            afterCrash = snapshot(new Http(oms.httpPort()));
            oms.terminate();
        }
        deleteRecursively(data.resolve("state"));
        try (OmsProcess oms = OmsProcess.start(data)) {
            String replayed = snapshot(new Http(oms.httpPort()));
            assertThat(replayed).as("state rebuilt from the log alone").isEqualTo(afterCrash);
        }
        return afterCrash;
    }

    /** Every order and every position, once the engine has caught up with the log. */
    private static String snapshot(Http http) throws Exception {
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(120))
                .until(() -> http.get("/health/ready").statusCode() == 200);
        StringBuilder all = new StringBuilder();
        String after = null;
        do {
            JsonNode page = json(http.get("/orders?limit=500" + (after == null ? "" : "&after=" + after)));
            page.get("orders").forEach(o -> all.append(o).append('\n'));
            after = page.get("next").isNull() ? null : page.get("next").asText();
        } while (after != null);
        for (int c = 0; c < 10; c++) {
            all.append(json(http.get("/accounts/acct-" + c + "/positions"))).append('\n');
        }
        return all.toString();
    }

    private static void deleteRecursively(Path path) throws java.io.IOException {
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    @Test
    void kill9DuringARedriveLosesNothingAndAppliesNothingTwice() throws Exception {
        Path data = dir.resolve("data");
        int count = 150;
        try (OmsProcess oms = OmsProcess.start(data, Map.of("OMS_ENGINE_FAILURE_INJECTION_FAILING_SYMBOLS", "BRKN",
                "OMS_ENGINE_RETRY_MAX_ATTEMPTS", "1"))) {
            Http http = new Http(oms.httpPort());
            for (int i = 0; i < count; i++) {
                assertThat(http.postJson("/orders", order("dora", "d-" + i, "BRKN", "BUY", "10", 1 + i), "Prefer", "respond-async")
                        .statusCode()).isEqualTo(202);
            }
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> json(http.get("/dlq?limit=1000")).get("entries").size() == count);
            oms.terminate();
        }
        try (OmsProcess oms = OmsProcess.start(data)) {
            Http http = new Http(oms.httpPort());
            Thread redrive = Thread.ofVirtual().start(() -> {
                try {
                    http.postJson("/dlq/redrive", "{\"all\":true}");
                } catch (Exception e) {
                    // the process dies under the request
                }
            });
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).pollInterval(java.time.Duration.ofMillis(5))
                    .until(() -> json(http.get("/orders?account=dora&limit=1000")).get("orders").size() > 0);
            oms.kill9(); // part of the redrive is applied, part is not
            redrive.join();
        }
        try (OmsProcess oms = OmsProcess.start(data)) {
            Http http = new Http(oms.httpPort());
            assertThat(json(http.postJson("/dlq/redrive", "{\"all\":true}")).get("redriven").asInt()).isEqualTo(count);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                    .until(() -> json(http.get("/orders?account=dora&limit=1000")).get("orders").size() == count);
            Thread.sleep(1000);
            JsonNode orders = json(http.get("/orders?account=dora&limit=1000")).get("orders");
            assertThat(orders).hasSize(count);
            java.util.Set<String> ids = new java.util.HashSet<>();
            orders.forEach(o -> ids.add(o.get("clientOrderId").asText()));
            assertThat(ids).as("every placement once").hasSize(count);
        }
    }

    /** A start that fails half-way (here the HTTP port is taken) ends the process: nothing left running, serving nothing. */
    @Test
    void aStartThatFailsHalfWayEndsTheProcessWithItsReason() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
            List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java")
                    .toString()));
            for (String arg : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
                if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("-Dchronicle")) {
                    command.add(arg);
                }
            }
            command.addAll(List.of("-cp", System.getProperty("java.class.path"), Main.class.getName(), "--data-dir",
                    dir.resolve("data").toString(), "--kafka-port", "0", "--http-port", Integer.toString(taken.getLocalPort())));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().put("OMS_HTTP_HOST", "127.0.0.1");
            builder.environment().put("OMS_KAFKA_HOST", "127.0.0.1");
            Process process = builder.start();
            try {
                assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("the process ended").isTrue();
                assertThat(process.exitValue()).isEqualTo(1);
                assertThat(new String(process.getInputStream().readAllBytes())).contains("oms: could not start")
                        .contains("the HTTP server could not listen on 127.0.0.1:" + taken.getLocalPort());
            } finally {
                process.destroyForcibly();
            }
        }
    }

    @Test
    void unknownFlagIsRefusedWithTheUsage() throws Exception {
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName(), "--bogus", "1")
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(2);
        assertThat(output).contains("unknown argument '--bogus'").contains("--data-dir");
    }
}
