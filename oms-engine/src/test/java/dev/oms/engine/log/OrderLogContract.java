package dev.oms.engine.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every {@link OrderLog} adapter must do; one subclass per adapter runs the same tests. */
abstract class OrderLogContract {
    @TempDir
    Path dir;
    BrokerUnderTest broker;
    OrderLog log;

    /** The embedded broker with its Kafka listener on a free port. */
    record BrokerUnderTest(EmbeddedBroker broker, dev.oms.streaming.group.GroupCoordinator groups,
                           dev.oms.streaming.kafka.KafkaServer kafka) implements AutoCloseable {
        static BrokerUnderTest start(Path dir) throws Exception {
            EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 1024);
            broker.createTopic(Topics.ORDERS, 3);
            var groups = new dev.oms.streaming.group.GroupCoordinator(broker, 1, 0);
            var kafka = dev.oms.streaming.kafka.KafkaServer.start(broker, groups,
                    new dev.oms.streaming.kafka.KafkaListenerConfig("127.0.0.1", 0, "127.0.0.1", 0, true, 3, 1 << 24));
            return new BrokerUnderTest(broker, groups, kafka);
        }

        String bootstrap() {
            return "127.0.0.1:" + kafka.port();
        }

        @Override
        public void close() {
            kafka.close();
            groups.close();
            broker.close();
        }
    }

    abstract OrderLog open(BrokerUnderTest broker) throws Exception;

    @BeforeEach
    void start() throws Exception {
        broker = BrokerUnderTest.start(dir);
        log = open(broker);
    }

    @AfterEach
    void stop() throws Exception {
        if (log instanceof AutoCloseable closeable) {
            closeable.close();
        }
        broker.close();
    }

    @Test
    void appendsAreAnsweredWithConsecutiveOffsetsAndReadBackInOrder() throws Exception {
        assertThat(log.partitionCount()).isEqualTo(3);
        for (int i = 0; i < 5; i++) {
            assertThat(log.append(1, bytes("k"), bytes("v" + i), 1000 + i, java.util.Map.of()).get()).isEqualTo(i);
        }
        assertThat(log.endOffset(1)).isEqualTo(5);
        List<String> read = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            log.poll(1, read.size(), 1 << 20, (partition, offset, timestamp, key, value, headers) ->
                    read.add(offset + ":" + string(key) + ":" + string(value) + ":" + timestamp));
            return read.size() >= 3;
        });
        assertThat(read.subList(0, 3)).containsExactly("0:k:v0:1000", "1:k:v1:1001", "2:k:v2:1002");
    }

    @Test
    void partitionForAgreesWithKafkasDefaultPartitioner() throws Exception {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (String symbol : List.of("AAPL", "MSFT", "GOOG", "TSLA", "IBM", "NVDA")) {
                int chosen = producer.send(new ProducerRecord<>(Topics.ORDERS, bytes(symbol), bytes("x"))).get().partition();
                assertThat(log.partitionFor(bytes(symbol))).as(symbol).isEqualTo(chosen);
            }
        }
    }

    @Test
    void publishedOutputRecordsCanBeFollowedAndTailedByKey() throws Exception {
        List<java.util.concurrent.CompletableFuture<Long>> offsets = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            offsets.add(log.publish(Topics.TRADES, 2, bytes(i % 2 == 0 ? "AAPL" : "MSFT"), bytes("t" + i), 5000 + i,
                    Map.of("h", bytes("v" + i))));
        }
        log.flushPublished(2);
        for (int i = 0; i < 6; i++) {
            assertThat(offsets.get(i).get(20, java.util.concurrent.TimeUnit.SECONDS)).as("offset of record " + i).isEqualTo(i);
        }
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> log.endOffset(Topics.TRADES, 2) == 6);
        assertThat(log.tail(Topics.TRADES, 2, bytes("AAPL"), 2).stream().map(OrderLogContract::string).toList())
                .containsExactly("t2", "t4");
        List<String> followed = new ArrayList<>();
        Awaitility.await().atMost(Duration.ofSeconds(20)).until(() -> {
            log.pollTopic(Topics.TRADES, 2, followed.size(), 1 << 20, (p, offset, ts, key, value, headers) ->
                    followed.add(string(value) + "/" + new String(headers[0].value(), StandardCharsets.UTF_8)));
            return followed.size() == 6;
        });
        assertThat(followed).containsExactly("t0/v0", "t1/v1", "t2/v2", "t3/v3", "t4/v4", "t5/v5");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(ByteBuffer buffer) {
        return StandardCharsets.UTF_8.decode(buffer.duplicate()).toString();
    }

    static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
