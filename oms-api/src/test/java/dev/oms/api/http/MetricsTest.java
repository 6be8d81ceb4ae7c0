package dev.oms.api.http;

import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.oms.api.OneOmsPerClass;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;

/** /metrics after real traffic: HTTP orders and a Kafka consumer group. */
class MetricsTest extends OneOmsPerClass {


    @Test
    void metricsDescribeTheTrafficTheServiceHandled() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(http.postJson("/orders", order("acct-m", "m-" + i, "AAPL", "BUY", "10", 1)).statusCode()).isEqualTo(201);
        }
        assertThat(http.postJson("/orders", "{not json").statusCode()).isEqualTo(400);
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, "order-readers");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 3);
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of("orders"));
            int read = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (read < 3 && System.currentTimeMillis() < deadline) {
                read += consumer.poll(Duration.ofMillis(200)).count();
            }
            consumer.commitSync(); // 3 of the 5 orders: a lag of 2 remains
        }

        HttpResponse<String> response = http.get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        String metrics = response.body();

        assertThat(value(metrics, "oms_orders_received_total", "")).isEqualTo(6);
        assertThat(value(metrics, "oms_orders_accepted_total", "answer=\"verdict\"")).isEqualTo(5);
        assertThat(value(metrics, "oms_orders_invalid_total", "")).isEqualTo(1);
        assertThat(value(metrics, "oms_order_latency_seconds_count", "")).isEqualTo(5);
        assertThat(value(metrics, "http_server_request_duration_seconds_count",
                "method=\"POST\",route=\"/orders\",status=\"201\"")).isEqualTo(5);
        assertThat(value(metrics, "http_server_request_duration_seconds_count",
                "method=\"POST\",route=\"/orders\",status=\"400\"")).isEqualTo(1);
        assertThat(sum(metrics, "oms_broker_log_end_offset", "topic=\"orders\"")).isEqualTo(5);
        assertThat(value(metrics, "oms_broker_fsync_duration_seconds_count", "")).isPositive();
        assertThat(value(metrics, "oms_broker_appended_records_total", "topic=\"orders\"")).isEqualTo(5);
        assertThat(sum(metrics, "oms_broker_request_duration_seconds_count", "api=\"Fetch\"")).isPositive();
        assertThat(sum(metrics, "oms_consumer_group_lag", "group=\"order-readers\"")).isEqualTo(2);
        assertThat(sum(metrics, "oms_engine_lag", "")).isZero();
        assertThat(metrics).contains("jvm_memory_used_bytes");
    }

    /** The value of the one series of {@code name} whose labels contain {@code labels}. */
    private static double value(String metrics, String name, String labels) {
        List<Double> values = series(metrics, name, labels);
        assertThat(values).as("series %s{%s} in %s", name, labels,
                metrics.lines().filter(l -> l.startsWith(name)).toList()).hasSize(1);
        return values.getFirst();
    }

    private static double sum(String metrics, String name, String labels) {
        List<Double> values = series(metrics, name, labels);
        assertThat(values).as("series %s{%s}", name, labels).isNotEmpty();
        return values.stream().mapToDouble(Double::doubleValue).sum();
    }

    private static List<Double> series(String metrics, String name, String labels) {
        Pattern line = Pattern.compile("^" + Pattern.quote(name) + "(\\{([^}]*)\\})? (\\S+)$", Pattern.MULTILINE);
        Matcher m = line.matcher(metrics);
        java.util.ArrayList<Double> values = new java.util.ArrayList<>();
        while (m.find()) {
            if (m.group(2) == null ? labels.isEmpty() : m.group(2).contains(labels)) {
                values.add(Double.parseDouble(m.group(3)));
            }
        }
        return values;
    }
}
