package dev.oms.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** acks=all means durable: kill -9 the binary under an idempotent producer's load, restart, read back. */
class KafkaDurabilityTest {
    @TempDir
    Path dir;

    @Test
    void everyAcknowledgedRecordIsReadableAfterKill9InOrderWithoutGapsOrDuplicates() throws Exception {
        Path data = dir.resolve("data");
        String topic = "payments";
        Map<String, Long> acknowledged = new ConcurrentHashMap<>(); // value -> "partition:offset" packed
        try (OmsProcess oms = OmsProcess.start(data)) {
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, oms.kafkaBootstrap());
            props.put(ProducerConfig.ACKS_CONFIG, "all");
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
            props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
            props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 5_000);
            props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 2_000);
            AtomicBoolean killed = new AtomicBoolean();
            KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
            try {
                for (int i = 0; !killed.get() && i < 2_000_000; i++) {
                    String value = "payment-" + i;
                    producer.send(new ProducerRecord<>(topic, "acct-" + (i % 7), value), (metadata, error) -> {
                        if (error == null) {
                            acknowledged.put(value, ((long) metadata.partition() << 40) | metadata.offset());
                        }
                    });
                    if (acknowledged.size() >= 5_000 && !killed.get()) {
                        oms.kill9(); // while the producer still has batches in flight
                        killed.set(true);
                    }
                }
            } finally {
                producer.close(Duration.ofSeconds(10));
            }
        }
        assertThat(acknowledged.size()).isGreaterThanOrEqualTo(5_000);

        try (OmsProcess oms = OmsProcess.start(data)) {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, oms.kafkaBootstrap());
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5000);
            Map<String, Long> found = new java.util.HashMap<>();
            Set<String> duplicates = new HashSet<>();
            try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
                List<TopicPartition> partitions = new ArrayList<>();
                consumer.partitionsFor(topic).forEach(p -> partitions.add(new TopicPartition(topic, p.partition())));
                consumer.assign(partitions);
                consumer.seekToBeginning(partitions);
                Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
                Map<Integer, Long> lastOffset = new java.util.HashMap<>();
                long deadline = System.currentTimeMillis() + 120_000;
                while (System.currentTimeMillis() < deadline
                        && partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                        long previous = lastOffset.getOrDefault(record.partition(), -1L);
                        assertThat(record.offset()).as("offsets run without gaps").isEqualTo(previous + 1);
                        lastOffset.put(record.partition(), record.offset());
                        if (found.put(record.value(), ((long) record.partition() << 40) | record.offset()) != null) {
                            duplicates.add(record.value());
                        }
                    }
                }
            }
            assertThat(duplicates).as("records written twice").isEmpty();
            for (Map.Entry<String, Long> ack : acknowledged.entrySet()) {
                assertThat(found.get(ack.getKey())).as("acknowledged %s at its acknowledged offset", ack.getKey())
                        .isEqualTo(ack.getValue());
            }
        }
    }
}
