package dev.oms.api;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import dev.oms.api.config.OmsConfig;
import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import dev.oms.streaming.kafka.KafkaServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --brokers}: the OMS against a Kafka cluster it does not host (here, another broker over TCP). */
class ExternalClusterTest {
    @TempDir
    Path dir;

    @Test
    void ordersFlowThroughAnExternalKafkaCluster() throws Exception {
        try (EmbeddedBroker cluster = EmbeddedBroker.open(dir.resolve("cluster"), 1, 1024);
             GroupCoordinator groups = new GroupCoordinator(cluster, 1, 0);
             KafkaServer kafka = KafkaServer.start(cluster, groups,
                     new KafkaListenerConfig("127.0.0.1", 0, "127.0.0.1", 0, true, 2, 1 << 24))) {
            OmsConfig config = OmsConfig.load(new String[] {"--data-dir", dir.resolve("oms").toString(), "--http-port", "0",
                    "--brokers", "127.0.0.1:" + kafka.port()}, Map.of("OMS_HTTP_HOST", "127.0.0.1", "OMS_LOG_PARTITIONS", "2",
                    "OMS_ENGINE_PIN_WORKERS", "false", "OMS_ENGINE_MAX_ORDERS", "10000"));
            try (Oms oms = Oms.start(config)) {
                assertThat(oms.kafkaPort()).as("no embedded listener").isEqualTo(-1);
                Http http = new Http(oms.httpPort());
                http.postJson("/orders", order("alice", "x1", "AAPL", "BUY", "10", 5));
                HttpResponse<String> sell = http.postJson("/orders", order("bob", "x2", "AAPL", "SELL", "10", 5));
                assertThat(sell.statusCode()).isEqualTo(201);
                assertThat(json(sell).get("status").asText()).isEqualTo("FILLED");
                assertThat(cluster.highWatermark(new org.apache.kafka.common.TopicPartition("orders",
                        Integer.parseInt(json(sell).get("id").asText().split("-")[0])))).isPositive();
            }
        }
    }

    @Test
    void whenTheClusterCannotTakeWritesAnOrderIsAnswered503WithRetryAfterAndNothingIsAcknowledged() throws Exception {
        EmbeddedBroker cluster = EmbeddedBroker.open(dir.resolve("cluster"), 1, 1024);
        GroupCoordinator groups = new GroupCoordinator(cluster, 1, 0);
        KafkaServer kafka = KafkaServer.start(cluster, groups,
                new KafkaListenerConfig("127.0.0.1", 0, "127.0.0.1", 0, true, 2, 1 << 24));
        OmsConfig config = OmsConfig.load(new String[] {"--data-dir", dir.resolve("oms").toString(), "--http-port", "0",
                "--brokers", "127.0.0.1:" + kafka.port()}, Map.of("OMS_HTTP_HOST", "127.0.0.1", "OMS_LOG_PARTITIONS", "2",
                "OMS_ENGINE_PIN_WORKERS", "false", "OMS_ENGINE_MAX_ORDERS", "10000"));
        try (Oms oms = Oms.start(config)) {
            Http http = new Http(oms.httpPort());
            assertThat(http.postJson("/orders", order("alice", "u1", "AAPL", "BUY", "10", 5)).statusCode()).isEqualTo(201);

            // The cluster goes away: the append cannot become durable.
            kafka.close();
            groups.close();
            cluster.close();
            long start = System.nanoTime();
            HttpResponse<String> refused = http.postJson("/orders", order("alice", "u2", "AAPL", "BUY", "10", 5));
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(t ->
                    assertThat(t).startsWith("application/problem+json"));
            assertThat(json(refused).get("detail").asText()).contains("nothing was acknowledged");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).as("bounded, not Kafka's 2-minute default")
                    .isLessThan(java.time.Duration.ofSeconds(45)); // 15 s by the client settings, the rest margin
        }
    }
}
