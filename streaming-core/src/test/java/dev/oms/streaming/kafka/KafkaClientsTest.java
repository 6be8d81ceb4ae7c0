package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** kafka-clients 4.x against the embedded broker over TCP: produce, fetch, list offsets, admin. */
class KafkaClientsTest {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "compression {0}")
    @ValueSource(strings = {"none", "gzip", "snappy", "lz4", "zstd"})
    void idempotentProducerRecordsComeBackInOrderWithExactOffsetsKeysAndHeaders(String compression) throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            String topic = "t-" + compression;
            try (Admin admin = fixture.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1))).all().get();
            }
            Map<Long, String> sentByOffset = new HashMap<>();
            List<Future<RecordMetadata>> acks = new ArrayList<>();
            List<String> values = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer(compression)) {
                for (int i = 0; i < 600; i++) {
                    String value = "value-" + i + "-" + "x".repeat(i % 50);
                    values.add(value);
                    ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, i % 3, bytes("key-" + i), bytes(value),
                            List.of(new RecordHeader("n", bytes(Integer.toString(i)))));
                    acks.add(producer.send(record));
                }
                producer.flush();
            }
            Map<TopicPartition, List<Long>> offsets = new HashMap<>();
            for (int i = 0; i < acks.size(); i++) {
                RecordMetadata metadata = acks.get(i).get();
                offsets.computeIfAbsent(new TopicPartition(topic, metadata.partition()), k -> new ArrayList<>()).add(metadata.offset());
                sentByOffset.put(metadata.partition() * 1_000_000L + metadata.offset(), values.get(i));
            }
            for (List<Long> partitionOffsets : offsets.values()) {
                assertThat(partitionOffsets).as("offsets of one partition are 0, 1, 2… in send order")
                        .isEqualTo(java.util.stream.LongStream.range(0, partitionOffsets.size()).boxed().toList());
            }

            // Stored as sent: the broker neither decompresses nor recompresses.
            for (var batch : fixture.broker.read(new TopicPartition(topic, 0), 0, 1 << 20).batches()) {
                assertThat(batch.compressionType().name).isEqualTo(compression);
                assertThat(batch.hasProducerId()).isTrue();
            }

            List<ConsumerRecord<byte[], byte[]>> read = readAll(fixture, topic, 3, 600);
            for (ConsumerRecord<byte[], byte[]> record : read) {
                String value = new String(record.value(), StandardCharsets.UTF_8);
                assertThat(value).isEqualTo(sentByOffset.get(record.partition() * 1_000_000L + record.offset()));
                int n = Integer.parseInt(new String(record.headers().lastHeader("n").value(), StandardCharsets.UTF_8));
                assertThat(new String(record.key(), StandardCharsets.UTF_8)).isEqualTo("key-" + n);
                assertThat(record.partition()).isEqualTo(n % 3);
            }
        }
    }

    @ParameterizedTest(name = "acks={0}")
    @ValueSource(strings = {"0", "1"})
    void aProducerWithFewerAcksIsServedToo(String acks) throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            String topic = "acks-" + acks;
            try (Admin admin = fixture.admin()) {
                admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            }
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrap());
            props.put(ProducerConfig.ACKS_CONFIG, acks);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false); // idempotence needs acks=all
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < 200; i++) {
                    sent.add(producer.send(new ProducerRecord<>(topic, bytes("v-" + i))));
                }
                producer.flush();
            }
            for (int i = 0; i < sent.size(); i++) {
                // acks=0: nothing comes back, so the client knows no offset (-1); acks=1: the offset.
                assertThat(sent.get(i).get().offset()).isEqualTo("0".equals(acks) ? -1 : i);
            }
            List<ConsumerRecord<byte[], byte[]>> read = readAll(fixture, topic, 1, 200);
            assertThat(read).extracting(r -> new String(r.value(), StandardCharsets.UTF_8))
                    .isEqualTo(java.util.stream.IntStream.range(0, 200).mapToObj(i -> "v-" + i).toList());
        }
    }

    @Test
    void listOffsetsAnswersEarliestLatestAndByTimestamp() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            long t0 = 1_700_000_000_000L;
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
                for (int i = 0; i < 10; i++) {
                    producer.send(new ProducerRecord<>("timed", 0, t0 + i * 1000L, bytes("k"), bytes("v" + i))).get();
                }
                producer.send(new ProducerRecord<>("timed", 0, t0 + 2500L, bytes("k"), bytes("late"))).get(); // out of order
            }
            TopicPartition tp = new TopicPartition("timed", 0);
            try (Admin admin = fixture.admin()) {
                assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.earliest())).partitionResult(tp).get().offset()).isZero();
                assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latest())).partitionResult(tp).get().offset()).isEqualTo(11);
                // MAX_TIMESTAMP (kafka-get-offsets --time max-timestamp) was UNSUPPORTED_VERSION.
                var newest = admin.listOffsets(Map.of(tp, OffsetSpec.maxTimestamp())).partitionResult(tp).get();
                assertThat(newest.offset()).isEqualTo(9);
                assertThat(newest.timestamp()).isEqualTo(t0 + 9000);
                assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.latestTiered())).partitionResult(tp).get().offset())
                        .as("no tiered storage").isEqualTo(-1);
                var at = admin.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(t0 + 4500))).partitionResult(tp).get();
                assertThat(at.offset()).isEqualTo(5);
                assertThat(at.timestamp()).isEqualTo(t0 + 5000);
                assertThat(admin.listOffsets(Map.of(tp, OffsetSpec.forTimestamp(t0 + 99_000))).partitionResult(tp).get().offset())
                        .isEqualTo(-1);
            }
        }
    }

    @Test
    void adminSeesTheClusterAndItsTopicsAndIsToldWhatCannotBeDone() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("alpha", 4, (short) 1))).all().get();

            var cluster = admin.describeCluster();
            assertThat(cluster.nodes().get()).hasSize(1);
            assertThat(cluster.clusterId().get()).isEqualTo(fixture.broker.clusterId());
            assertThat(admin.listTopics().names().get()).contains("alpha");
            TopicDescription alpha = admin.describeTopics(Set.of("alpha")).allTopicNames().get().get("alpha");
            assertThat(alpha.partitions()).hasSize(4);
            assertThat(alpha.topicId()).isEqualTo(fixture.broker.topic("alpha").orElseThrow().id());

            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("alpha", 1, (short) 1))).all().get())
                    .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(TopicExistsException.class);
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("beta", 1, (short) 3))).all().get())
                    .hasCauseInstanceOf(InvalidReplicationFactorException.class);
        }
    }

    /**
     * One CreateTopics for 100,000 partitions took every file descriptor (19,711 partitions opened,
     * then "Too many open files"): no topic, no connection accepted, and a restart opened them all again.
     */
    @Test
    void partitionsPastTheNodesLimitAreRefusedAndNothingIsLeftBehind() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("huge", 100_000, (short) 1))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidPartitionsException.class)
                    .hasMessageContaining("log.max-partitions");
            admin.createTopics(List.of(new NewTopic("grown", 1, (short) 1))).all().get();
            assertThatThrownBy(() -> admin.createPartitions(Map.of("grown", NewPartitions.increaseTo(30_000))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidPartitionsException.class)
                    .hasMessageContaining("log.max-partitions");

            assertThat(admin.listTopics().names().get()).contains("grown").doesNotContain("huge");
            assertThat(admin.describeTopics(Set.of("grown")).allTopicNames().get().get("grown").partitions()).hasSize(1);
            try (var dirs = java.nio.file.Files.list(dir)) {
                assertThat(dirs.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith("huge-") || n.equals("grown-1"));
            }
            admin.createTopics(List.of(new NewTopic("after", 3, (short) 1))).all().get();
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
                assertThat(producer.send(new ProducerRecord<>("after", 2, bytes("k"), bytes("v"))).get().offset()).isZero();
            }
        }
    }

    /**
     * Kafka's limits on what a client produces: a 16 MB record was stored (Kafka refuses past about
     * 1 MiB), and a record dated 2100 too, which would hold its segment past any retention.
     */
    @Test
    void recordsOverMaxMessageBytesOrDatedTooFarAheadAreRefusedAsKafkaRefusesThem() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("small", 1, (short) 1).configs(Map.of("max.message.bytes", "2000")),
                    new NewTopic("plain", 1, (short) 1))).all().get();
            ConfigResource small = new ConfigResource(ConfigResource.Type.TOPIC, "small");
            assertThat(admin.describeConfigs(List.of(small)).all().get().get(small).get("max.message.bytes").value())
                    .isEqualTo("2000");
            Properties props = new Properties();
            props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrap());
            props.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 20_000_000);
            props.put(ProducerConfig.RETRIES_CONFIG, 0);
            props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("small", new byte[5000])).get())
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("plain", new byte[2_000_000])).get())
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.RecordTooLargeException.class);
                long now = System.currentTimeMillis();
                assertThatThrownBy(() -> producer.send(new ProducerRecord<>("plain", 0, now + 2 * 3_600_000L, null, bytes("late"))).get())
                        .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTimestampException.class);
                assertThat(producer.send(new ProducerRecord<>("small", new byte[1000])).get().offset()).isZero();
                assertThat(producer.send(new ProducerRecord<>("plain", 0, now + 600_000L, null, bytes("soon"))).get().offset()).isZero();
                assertThat(producer.send(new ProducerRecord<>("plain", 0, now - 365L * 24 * 3_600_000, null, bytes("old"))).get()
                        .offset()).isEqualTo(1);
            }
        }
    }

    @Test
    void adminCreatesWithSettingsDescribesGrowsAndDeletesTopics() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("audit", 2, (short) 1)
                    .configs(Map.of("retention.ms", "86400000", "segment.bytes", "1048576")))).all().get();
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, "audit");
            Config described = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            assertThat(described.get("retention.ms").value()).isEqualTo("86400000");
            assertThat(described.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThat(described.get("segment.bytes").value()).isEqualTo("1048576");
            assertThat(described.get("retention.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad", 1, (short) 1)
                    .configs(Map.of("retention.ms", "soon")))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class);
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad", 1, (short) 1)
                    .configs(Map.of("min.insync.replicas", "2")))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidConfigurationException.class)
                    .hasMessageContaining("the Kafka topic config 'min.insync.replicas' is not offered by oms");
            assertThatThrownBy(() -> admin.createTopics(List.of(new NewTopic("bad", 1, (short) 1)
                    .configs(Map.of("retention.msec", "1")))).all().get())
                    .hasMessageContaining("unknown topic config 'retention.msec'").hasMessageContaining("max.message.bytes");

            admin.createPartitions(Map.of("audit", NewPartitions.increaseTo(5))).all().get();
            assertThat(admin.describeTopics(Set.of("audit")).allTopicNames().get().get("audit").partitions()).hasSize(5);
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
                assertThat(producer.send(new ProducerRecord<>("audit", 4, bytes("k"), bytes("v"))).get().offset()).isZero();
            }

            admin.deleteTopics(List.of("audit")).all().get();
            assertThat(admin.listTopics().names().get()).doesNotContain("audit");
            assertThat(dir.resolve("audit-0")).doesNotExist();
            admin.createTopics(List.of(new NewTopic("audit", 1, (short) 1))).all().get();
            assertThat(fixture.broker.highWatermark(new TopicPartition("audit", 0))).as("a new topic starts empty").isZero();
        }
    }

    @Test
    void acknowledgedRecordsSurviveARestartWithTheirOffsetsAndTopicIds() throws Exception {
        org.apache.kafka.common.Uuid topicId;
        String clusterId;
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("lz4")) {
                for (int i = 0; i < 100; i++) {
                    producer.send(new ProducerRecord<>("durable", 0, bytes("k"), bytes("v" + i)));
                }
                producer.flush();
            }
            topicId = fixture.broker.topic("durable").orElseThrow().id();
            clusterId = fixture.broker.clusterId();
        }
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            assertThat(fixture.broker.clusterId()).isEqualTo(clusterId);
            assertThat(fixture.broker.topic("durable").orElseThrow().id()).isEqualTo(topicId);
            List<ConsumerRecord<byte[], byte[]>> read = readAll(fixture, "durable", 1, 100);
            for (int i = 0; i < 100; i++) {
                assertThat(read.get(i).offset()).isEqualTo(i);
                assertThat(new String(read.get(i).value(), StandardCharsets.UTF_8)).isEqualTo("v" + i);
            }
            // A new producer continues after the old offsets.
            try (KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
                assertThat(producer.send(new ProducerRecord<>("durable", 0, bytes("k"), bytes("after"))).get().offset())
                        .isEqualTo(100);
            }
        }
    }

    private static List<ConsumerRecord<byte[], byte[]>> readAll(BrokerFixture fixture, String topic, int partitions, int expected) {
        List<ConsumerRecord<byte[], byte[]>> read = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = fixture.consumer()) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            long deadline = System.currentTimeMillis() + 60_000;
            while (read.size() < expected && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(read::add);
            }
        }
        assertThat(read).hasSize(expected);
        Map<Integer, Long> last = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> record : read) {
            long previous = last.getOrDefault(record.partition(), -1L);
            assertThat(record.offset()).as("no gap, no duplicate, in order").isEqualTo(previous + 1);
            last.put(record.partition(), record.offset());
        }
        return read;
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
