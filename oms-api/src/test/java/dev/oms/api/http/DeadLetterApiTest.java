package dev.oms.api.http;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.Http;
import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dead-letter path end to end: kcat poison, injected failures, browsing and redrive. */
class DeadLetterApiTest {
    @TempDir
    Path dir;

    @Test
    void poisonFromKcatLandsInTheDltWithItsHeadersAndTheNextOrderIsProcessed() throws Exception {
        try (Oms oms = TestOms.start(dir)) {
            Http http = new Http(oms.httpPort());
            produceWithKcat(oms, "AAPL:this is not a command\n");

            Awaitility.await().until(() -> json(http.get("/dlq?reason=POISON")).get("entries").size() == 1);
            JsonNode entry = json(http.get("/dlq?reason=POISON")).get("entries").get(0);
            assertThat(entry.get("value").asText()).isEqualTo("this is not a command");
            assertThat(entry.get("headers").get("dlt.original.topic").asText()).isEqualTo("orders");
            assertThat(entry.get("headers").get("dlt.original.partition").asText()).isEqualTo("0");
            assertThat(entry.get("headers").get("dlt.original.key").asText()).isEqualTo("AAPL");
            assertThat(json(http.get("/dlq/0/" + entry.get("offset").asLong())).get("entry").get("offset").asLong())
                    .isEqualTo(entry.get("offset").asLong());
            assertThat(http.get("/dlq/0/999999").statusCode()).isEqualTo(404);

            assertThat(http.postJson("/orders", order("alice", "after-poison", "AAPL", "BUY", "10", 1)).statusCode()).isEqualTo(201);

            // The DLT is an ordinary topic: a plain Kafka consumer reads the record and its headers.
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer())) {
                TopicPartition dlt = new TopicPartition("orders.DLT", 0);
                consumer.assign(List.of(dlt));
                consumer.seekToBeginning(List.of(dlt));
                ConsumerRecord<byte[], byte[]> record = null;
                long deadline = System.currentTimeMillis() + 30_000;
                while (record == null && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                        record = r;
                    }
                }
                assertThat(record).isNotNull();
                assertThat(new String(record.headers().lastHeader("dlt.reason").value(), StandardCharsets.UTF_8)).isEqualTo("POISON");
            }
        }
    }

    /** Pages of GET /dlq end at about 8 MiB of letters (one letter at least), not only at their count. */
    @Test
    void largeDeadLettersArePagedByTheirSizeAndEveryOneIsReachedOnce() throws Exception {
        try (Oms oms = TestOms.start(dir)) {
            Http http = new Http(oms.httpPort());
            Properties props = new Properties();
            props.put(org.apache.kafka.clients.producer.ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
            props.put(org.apache.kafka.clients.producer.ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<>(props,
                    new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.StringSerializer())) {
                for (int i = 0; i < 12; i++) { // 1 MB of poison each, about Kafka's largest record (max.message.bytes)
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>("orders", 0, "AAPL",
                            String.format("%02d", i) + "x".repeat(1_000_000))).get();
                }
            }
            Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> json(http.get("/dlq?limit=1&after=0-10")).get("entries").size() == 1);

            List<String> seen = new java.util.ArrayList<>();
            List<Integer> sizes = new java.util.ArrayList<>();
            String after = null;
            do {
                JsonNode page = json(http.get("/dlq?limit=12" + (after == null ? "" : "&after=" + after)));
                sizes.add(page.get("entries").size());
                page.get("entries").forEach(entry -> seen.add(entry.get("value").asText().substring(0, 2)));
                after = page.get("next").isNull() ? null : page.get("next").asText();
            } while (after != null);
            assertThat(sizes).as("pages end at about 8 MiB, not at 12 letters").hasSizeGreaterThan(1).allMatch(n -> n >= 1 && n <= 9);
            assertThat(seen).containsExactly("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11");
        }
    }

    /** {@code lines} of key:value to orders-0, produced by kcat (librdkafka), a client that is not ours. */
    private static void produceWithKcat(Oms oms, String lines) throws Exception {
        Process kcat = new ProcessBuilder("kcat", "-b", "127.0.0.1:" + oms.kafkaPort(), "-P", "-t", "orders", "-p", "0",
                "-K:").redirectErrorStream(true).start();
        kcat.getOutputStream().write(lines.getBytes(StandardCharsets.UTF_8));
        kcat.getOutputStream().close();
        assertThat(kcat.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(kcat.exitValue()).as(new String(kcat.getInputStream().readAllBytes())).isZero();
    }

    /**
     * A poison record fails again at each redrive, and each failure writes a new letter naming the
     * one redriven: repeated redrives of everything take only the newest letter of each, so the
     * topic grows by one letter a redrive (it doubled at each before). Selections of unclear
     * shape, and bodies that are not JSON by their Content-Type, are refused, redriving nothing.
     */
    @Test
    void repeatedRedrivesOfAPoisonRecordDoNotMultiplyItsLettersAndUnclearSelectionsAreRefused() throws Exception {
        try (Oms oms = TestOms.start(dir)) {
            Http http = new Http(oms.httpPort());
            produceWithKcat(oms, "AAPL:poison one\nAAPL:poison two\n");
            Awaitility.await().until(() -> json(http.get("/dlq")).get("entries").size() == 2);

            for (int round = 1; round <= 3; round++) {
                assertThat(json(http.postJson("/dlq/redrive", "{\"all\":true}")).get("redriven").asInt()).as("round %d", round)
                        .isEqualTo(2);
                int letters = 2 + 2 * round;
                Awaitility.await().until(() -> json(http.get("/dlq")).get("entries").size() == letters);
            }

            for (String unclear : List.of("{\"partition\":0}", "{\"offset\":0}", "{\"partition\":0,\"offset\":0,\"toOffset\":3}",
                    "{\"all\":true,\"reason\":\"POISON\"}", "{\"partition\":0,\"offset\":0,\"partition\":1}")) {
                assertThat(http.postJson("/dlq/redrive", unclear).statusCode()).as(unclear).isEqualTo(400);
            }
            assertThat(http.post("/dlq/redrive", "text/plain", "{\"all\":true}".getBytes(StandardCharsets.UTF_8)).statusCode())
                    .isEqualTo(415);
            assertThat(http.post("/orders", "garbage", "{}".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(415);
            assertThat(json(http.get("/dlq")).get("entries")).as("nothing redriven by a refused request").hasSize(8);
        }
    }

    @Test
    void injectedFailuresAreDeadLetteredAndARedriveAppliesEachExactlyOnce() throws Exception {
        Path data = dir.resolve("data");
        try (Oms oms = TestOms.start(data, Map.of("OMS_ENGINE_FAILURE_INJECTION_FAILING_SYMBOLS", "BRKN",
                "OMS_ENGINE_RETRY_MAX_ATTEMPTS", "2", "OMS_ENGINE_RETRY_INITIAL_BACKOFF_MS", "1"))) {
            Http http = new Http(oms.httpPort());
            for (int i = 0; i < 3; i++) {
                HttpResponse<String> failed = http.postJson("/orders", order("rita", "r-" + i, "BRKN", "BUY", "10", 1 + i));
                assertThat(failed.statusCode()).isEqualTo(500);
                assertThat(json(failed).get("reason").asText()).isEqualTo("DEAD_LETTERED");
            }
            assertThat(json(http.get("/dlq?reason=RETRIES_EXHAUSTED")).get("entries")).hasSize(3);
            JsonNode firstPage = json(http.get("/dlq?limit=2"));
            assertThat(firstPage.get("entries")).hasSize(2);
            JsonNode secondPage = json(http.get("/dlq?limit=2&after=" + firstPage.get("next").asText()));
            assertThat(secondPage.get("entries")).hasSize(1);
            assertThat(secondPage.get("next").isNull()).isTrue();
            assertThat(json(http.get("/orders?account=rita")).get("orders")).isEmpty();
        }
        // Injection off: the same data, a healthy engine.
        try (Oms oms = TestOms.start(data)) {
            Http http = new Http(oms.httpPort());
            assertThat(http.postJson("/dlq/redrive", "{}").statusCode()).as("nothing by accident").isEqualTo(400);
            HttpResponse<String> missing = http.postJson("/dlq/redrive", "{\"partition\":0,\"offset\":999}");
            assertThat(missing.statusCode()).as("one record named that is not there").isEqualTo(404);
            assertThat(json(missing).get("type").asText()).endsWith("/problems/dead-letter-not-found");
            String padded = "{\"all\":true}" + " ".repeat(70_000); // over http.max-body-bytes, 64 KiB by default
            assertThat(http.postJson("/dlq/redrive", padded).statusCode()).as("a body over the limit: refused, not run")
                    .isEqualTo(413);
            for (String unclear : List.of("{\"foo\":1}", "{\"all\":\"yes\"}", "{\"reason\":\"FOO\"}", "{\"all\":false}",
                    "{\"partition\":0,\"offset\":\"latest\"}", "{\"partition\":0,\"fromOffset\":true,\"toOffset\":9}")) {
                HttpResponse<String> refused = http.postJson("/dlq/redrive", unclear);
                assertThat(refused.statusCode()).as(unclear + " selects nothing: refused, not run").isEqualTo(400);
            }
            assertThat(http.get("/dlq?reason=FOO").statusCode()).isEqualTo(400);
            HttpResponse<String> redrive = http.postJson("/dlq/redrive", "{\"reason\":\"RETRIES_EXHAUSTED\"}");
            assertThat(redrive.statusCode()).as(redrive.body()).isEqualTo(200);
            assertThat(json(redrive).get("redriven").asInt()).isEqualTo(3);
            Awaitility.await().until(() -> json(http.get("/orders?account=rita")).get("orders").size() == 3);

            assertThat(json(http.postJson("/dlq/redrive", "{\"all\":true}")).get("redriven").asInt()).isEqualTo(3);
            Thread.sleep(1000); // a second application would show by now
            JsonNode orders = json(http.get("/orders?account=rita")).get("orders");
            assertThat(orders).hasSize(3);
            assertThat(orders).extracting(o -> o.get("clientOrderId").asText()).containsExactly("r-0", "r-1", "r-2");
            assertThat(http.get("/metrics").body()).contains("oms_dead_letter_redriven_total 6.0");

            // Purge: the DLT keeps only what comes after the given offset.
            JsonNode entries = json(http.get("/dlq")).get("entries");
            int partition = entries.get(0).get("partition").asInt();
            long last = entries.get(entries.size() - 1).get("offset").asLong();
            HttpResponse<String> purged = http.postJson("/dlq/purge", "{\"partition\":" + partition + ",\"before\":" + last + "}");
            assertThat(purged.statusCode()).as(purged.body()).isEqualTo(200);
            assertThat(json(http.get("/dlq")).get("entries")).hasSize(1);
            HttpResponse<String> nowhere = http.postJson("/dlq/purge", "{\"partition\":99,\"before\":1}");
            assertThat(nowhere.statusCode()).isEqualTo(400);
            assertThat(json(nowhere).get("detail").asText()).as("at once, not after the admin client's minute of retries")
                    .contains("has partitions 0 to");
            assertThat(http.get("/metrics").body()).contains("oms_dead_letter_depth{partition=\"" + partition + "\",topic=\"orders.DLT\"} 1.0");
        }
    }
}
