package dev.oms.streaming.kafka;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Properties;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/** The embedded broker with its Kafka listener on a free loopback port, and real clients for it. */
final class BrokerFixture implements AutoCloseable {
    final EmbeddedBroker broker;
    final GroupCoordinator groups;
    final KafkaServer kafka;

    private BrokerFixture(EmbeddedBroker broker, GroupCoordinator groups, KafkaServer kafka) {
        this.broker = broker;
        this.groups = groups;
        this.kafka = kafka;
    }

    static BrokerFixture start(Path logDir) throws IOException {
        return start(logDir, new KafkaListenerConfig("127.0.0.1", 0, "127.0.0.1", 0, true, 3, 100 * 1024 * 1024));
    }

    static BrokerFixture start(Path logDir, KafkaListenerConfig listener) throws IOException {
        EmbeddedBroker broker = EmbeddedBroker.open(logDir, 2, 1024);
        GroupCoordinator groups = new GroupCoordinator(broker, 4, 0);
        return new BrokerFixture(broker, groups, KafkaServer.start(broker, groups, listener));
    }

    String bootstrap() {
        return "127.0.0.1:" + kafka.port();
    }

    Admin admin() {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        return Admin.create(props);
    }

    KafkaProducer<byte[], byte[]> producer(String compression) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, compression);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    KafkaConsumer<byte[], byte[]> consumer() {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1000);
        return new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    @Override
    public void close() {
        kafka.close();
        groups.close();
        broker.close();
    }
}
