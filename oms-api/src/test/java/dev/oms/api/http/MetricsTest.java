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
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/** /metrics after real traffic: HTTP orders and a Kafka consumer group. */
class MetricsTest extends OneOmsPerClass {


    @Test
    void metricsDescribeTheTrafficTheServiceHandled() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(http.postJson("/orders", order("acct-m", "m-" + i, "AAPL", "BUY", "10", 1)).statusCode()).isEqualTo(201);
        }
        // Fills the first two buys completely, and itself.
        assertThat(http.postJson("/orders", order("acct-s", "s-0", "AAPL", "SELL", "10", 2)).statusCode()).isEqualTo(201);
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
            consumer.commitSync(); // 3 of the records: the others remain as lag
        }

        HttpResponse<String> response = http.get("/metrics");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
        String metrics = response.body();
        // Besides the 6 orders, each partition of orders holds the rules record the engine appended
        // at its first start (the default configuration's limits, docs/events.md).
        int partitions = series(metrics, "oms_broker_log_end_offset", "topic=\"orders\"").size();
        int records = 6 + partitions;

        assertThat(value(metrics, "oms_orders_received_total", "")).isEqualTo(7);
        assertThat(value(metrics, "oms_orders_accepted_total", "answer=\"verdict\"")).isEqualTo(6);
        assertThat(value(metrics, "oms_orders_invalid_total", "")).isEqualTo(1);
        assertThat(value(metrics, "oms_order_latency_seconds_count", "")).isEqualTo(6);
        assertThat(value(metrics, "http_server_request_duration_seconds_count",
                "method=\"POST\",route=\"/orders\",status=\"201\"")).isEqualTo(6);
        assertThat(value(metrics, "http_server_request_duration_seconds_count",
                "method=\"POST\",route=\"/orders\",status=\"400\"")).isEqualTo(1);
        assertThat(sum(metrics, "oms_broker_log_end_offset", "topic=\"orders\"")).isEqualTo(records);
        assertThat(value(metrics, "oms_broker_fsync_duration_seconds_count", "")).isPositive();
        assertThat(value(metrics, "oms_broker_appended_records_total", "topic=\"orders\"")).isEqualTo(records);
        assertThat(value(metrics, "oms_broker_fetched_bytes_total", "topic=\"orders\"")).isPositive();
        assertThat(value(metrics, "oms_trades_total", "")).isEqualTo(2);
        assertThat(value(metrics, "oms_orders_filled_total", "")).isEqualTo(3);
        assertThat(sum(metrics, "oms_broker_request_duration_seconds_count", "api=\"Fetch\"")).isPositive();
        assertThat(sum(metrics, "oms_consumer_group_lag", "group=\"order-readers\"")).isEqualTo(records - 3);
        assertThat(sum(metrics, "oms_engine_lag", "")).isZero();
        // Each order waited for its verdict before the next was sent: a batch each (and one for each
        // partition's rules), written by the worker itself.
        assertThat(value(metrics, "oms_engine_state_batches_total", "write=\"in_place\"")).isEqualTo(records);
        assertThat(value(metrics, "oms_engine_state_batches_total", "write=\"behind\"")).isZero();
        assertThat(metrics).contains("jvm_memory_used_bytes");
    }

    @Test
    void consumerLagRisesWhileAGroupIsStoppedAndFallsToZeroWhenItCatchesUp() throws Exception {
        String topic = "ledger-feed";
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
        Properties consumerProps = new Properties();
        consumerProps.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort());
        consumerProps.put(ConsumerConfig.GROUP_ID_CONFIG, "ledger");
        consumerProps.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        consumerProps.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(producerProps, new StringSerializer(), new StringSerializer())) {
            send(producer, topic, 10);
            assertThat(readToEnd(consumerProps, topic)).isEqualTo(10);
            assertThat(lag("ledger")).as("caught up").isZero();

            // The group is stopped (no member) while records keep coming: its lag grows.
            send(producer, topic, 25);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lag("ledger") == 25);

            // It comes back and catches up: the lag falls to 0.
            assertThat(readToEnd(consumerProps, topic)).isEqualTo(25);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> lag("ledger") == 0);
        }
    }

    private static void send(KafkaProducer<String, String> producer, String topic, int count) throws Exception {
        for (int i = 0; i < count; i++) {
            producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
        }
    }

    /** Joins the group, reads until nothing more comes, commits; returns how many records it read. */
    private static int readToEnd(Properties props, String topic) {
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            int read = 0;
            int idle = 0;
            long deadline = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < deadline && (read == 0 || idle < 3)) {
                int got = consumer.poll(Duration.ofMillis(300)).count();
                read += got;
                idle = got == 0 ? idle + 1 : 0;
            }
            consumer.commitSync();
            return read;
        }
    }

    private static double lag(String group) throws Exception {
        return sum(http.get("/metrics").body(), "oms_consumer_group_lag", "group=\"" + group + "\"");
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
