package dev.oms.streaming.kafka;

import static dev.oms.streaming.kafka.KafkaClientsTest.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.AlterConfigsOptions;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.AlterConfigsRequest;
import org.apache.kafka.common.requests.AlterConfigsResponse;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IncrementalAlterConfigs and AlterConfigs from kafka-clients' Admin over TCP: a topic's settings
 * change as Kafka's do, persist, and take effect on its live partitions.
 */
class AlterConfigsTest {
    private static final ConfigResource LEDGER = new ConfigResource(ConfigResource.Type.TOPIC, "ledger");

    @TempDir
    Path dir;

    @Test
    void anIncrementalSetIsDescribedAsTheTopicsOwnAndSurvivesARestart() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("ledger", 2, (short) 1))).all().get();
            alter(admin, set("retention.ms", "3600000"), set("max.message.bytes", "5000"));

            Config described = describe(admin);
            assertThat(described.get("retention.ms").value()).isEqualTo("3600000");
            assertThat(described.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DYNAMIC_TOPIC_CONFIG);
            assertThat(described.get("retention.ms").isReadOnly()).isFalse();
            assertThat(described.get("max.message.bytes").value()).isEqualTo("5000");
            assertThat(described.get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
        }
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            Config described = describe(admin);
            assertThat(described.get("retention.ms").value()).isEqualTo("3600000");
            assertThat(described.get("max.message.bytes").value()).isEqualTo("5000");
            assertThat(fixture.broker.topic("ledger").orElseThrow().config().retentionMs()).isEqualTo(3_600_000);
        }
    }

    @Test
    void deleteReturnsAKeyToTheBrokerDefault() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1)
                    .configs(Map.of("retention.ms", "1000", "segment.bytes", "1048576")))).all().get();
            alter(admin, new AlterConfigOp(new ConfigEntry("retention.ms", null), AlterConfigOp.OpType.DELETE));

            Config described = describe(admin);
            assertThat(described.get("retention.ms").value()).isEqualTo("-1");
            assertThat(described.get("retention.ms").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(described.get("segment.bytes").value()).isEqualTo("1048576");
            assertThat(fixture.broker.topic("ledger").orElseThrow().overrides()).containsOnlyKeys("segment.bytes");
        }
    }

    /** cleanup.policy is Kafka's one list-typed topic setting here; the change applies to the live partition's produce checks. */
    @Test
    void appendAndSubtractEditTheCleanupPolicyListAndCompactionRefusesKeylessRecordsAtOnce() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin();
             KafkaProducer<byte[], byte[]> producer = fixture.producer("none")) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1))).all().get();
            assertThat(producer.send(new ProducerRecord<>("ledger", null, bytes("keyless"))).get().offset()).isZero();

            alter(admin, new AlterConfigOp(new ConfigEntry("cleanup.policy", "compact"), AlterConfigOp.OpType.APPEND));
            assertThat(describe(admin).get("cleanup.policy").value()).isEqualTo("delete,compact");
            alter(admin, new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SUBTRACT));
            assertThat(describe(admin).get("cleanup.policy").value()).isEqualTo("compact");
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("ledger", null, bytes("keyless"))).get())
                    .hasCauseInstanceOf(org.apache.kafka.common.InvalidRecordException.class);

            assertThatThrownBy(() -> alter(admin,
                    new AlterConfigOp(new ConfigEntry("retention.ms", "5"), AlterConfigOp.OpType.APPEND)))
                    .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("'retention.ms'");
        }
    }

    /**
     * AlterConfigs, which kafka-clients 4 no longer sends but librdkafka's AlterConfigs (and so
     * confluent-kafka's alter_configs) still does: sent as kafka-clients' own request classes build it.
     */
    @Test
    void alterConfigsReplacesTheWholeSetAndKeysNotNamedReturnToTheirDefaults() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin();
             KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1)
                    .configs(Map.of("retention.ms", "1000", "segment.bytes", "1048576")))).all().get();
            for (short version = 0; version <= 2; version++) {
                var answer = (AlterConfigsResponse) wire.send(new AlterConfigsRequest.Builder(Map.of(LEDGER,
                        new AlterConfigsRequest.Config(List.of(new AlterConfigsRequest.ConfigEntry("max.message.bytes", "4000")))),
                        false).build(version));
                assertThat(answer.errors().get(LEDGER).error()).as("version " + version).isEqualTo(Errors.NONE);
            }
            var bad = (AlterConfigsResponse) wire.send(new AlterConfigsRequest.Builder(Map.of(LEDGER,
                    new AlterConfigsRequest.Config(List.of(new AlterConfigsRequest.ConfigEntry("retention.ms", "soon")))),
                    false).build((short) 2));
            assertThat(bad.errors().get(LEDGER).error()).isEqualTo(Errors.INVALID_CONFIG);
            assertThat(bad.errors().get(LEDGER).message()).contains("retention.ms");

            Config described = describe(admin);
            assertThat(described.get("max.message.bytes").value()).isEqualTo("4000");
            assertThat(described.get("retention.ms").value()).isEqualTo("-1");
            assertThat(described.get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(fixture.broker.topic("ledger").orElseThrow().overrides()).isEqualTo(Map.of("max.message.bytes", "4000"));
        }
    }

    @Test
    void validateOnlyChecksTheChangeAndChangesNothing() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1))).all().get();
            AlterConfigsOptions validateOnly = new AlterConfigsOptions().validateOnly(true);
            admin.incrementalAlterConfigs(Map.of(LEDGER, List.of(set("retention.ms", "1000"))), validateOnly).all().get();
            assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(LEDGER, List.of(set("retention.ms", "soon"))),
                    validateOnly).all().get()).hasCauseInstanceOf(InvalidConfigurationException.class);

            assertThat(describe(admin).get("retention.ms").value()).isEqualTo("-1");
            assertThat(fixture.broker.topic("ledger").orElseThrow().overrides()).isEmpty();
            assertThat(dir.resolve("topic-configs").resolve("ledger.properties")).doesNotExist();
        }
    }

    @Test
    void anInvalidValueOrAKeyNotOfferedIsInvalidConfigNamingTheKeyAndChangesNothing() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1).configs(Map.of("retention.ms", "1000")))).all().get();

            assertThatThrownBy(() -> alter(admin, set("segment.bytes", "2097152"), set("retention.ms", "soon")))
                    .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("retention.ms must be a number");
            assertThatThrownBy(() -> alter(admin, set("segment.bytes", "12")))
                    .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("segment.bytes must be at least 1024");
            assertThatThrownBy(() -> alter(admin, set("retention.msec", "1")))
                    .hasCauseInstanceOf(InvalidConfigurationException.class).hasMessageContaining("unknown topic config 'retention.msec'");
            assertThatThrownBy(() -> alter(admin, set("min.insync.replicas", "2")))
                    .hasCauseInstanceOf(InvalidConfigurationException.class)
                    .hasMessageContaining("the Kafka topic config 'min.insync.replicas' is not offered by oms");

            assertThat(describe(admin).get("segment.bytes").source()).isEqualTo(ConfigEntry.ConfigSource.DEFAULT_CONFIG);
            assertThat(fixture.broker.topic("ledger").orElseThrow().overrides()).isEqualTo(Map.of("retention.ms", "1000"));
        }
    }

    @Test
    void anUnknownTopicIsUnknownTopicOrPartitionAndTheBrokersSettingsAreNotAlteredHere() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin()) {
            ConfigResource missing = new ConfigResource(ConfigResource.Type.TOPIC, "missing");
            assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(missing, List.of(set("retention.ms", "1"))))
                    .all().get()).hasCauseInstanceOf(UnknownTopicOrPartitionException.class);
            ConfigResource node = new ConfigResource(ConfigResource.Type.BROKER, "0");
            assertThatThrownBy(() -> admin.incrementalAlterConfigs(Map.of(node, List.of(set("log.retention.ms", "1"))))
                    .all().get()).hasCauseInstanceOf(InvalidRequestException.class).hasMessageContaining("oms.yaml");
        }
    }

    @Test
    void aLoweredMaxMessageBytesRefusesABatchTheLivePartitionTookBefore() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin();
             KafkaProducer<byte[], byte[]> producer = plainProducer(fixture)) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1))).all().get();
            assertThat(producer.send(new ProducerRecord<>("ledger", new byte[5000])).get().offset()).isZero();

            alter(admin, set("max.message.bytes", "2000"));
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>("ledger", new byte[5000])).get())
                    .hasCauseInstanceOf(RecordTooLargeException.class);
            assertThat(producer.send(new ProducerRecord<>("ledger", new byte[1000])).get().offset()).isEqualTo(1);
        }
    }

    /** Records dated two days ago, in small segments, are kept until retention.ms is set to a day. */
    @Test
    void aLoweredRetentionMsDeletesTheLivePartitionsOldClosedSegments() throws Exception {
        TopicPartition tp = new TopicPartition("ledger", 0);
        try (BrokerFixture fixture = BrokerFixture.start(dir); Admin admin = fixture.admin();
             KafkaProducer<byte[], byte[]> producer = plainProducer(fixture)) {
            admin.createTopics(List.of(new NewTopic("ledger", 1, (short) 1).configs(Map.of("segment.bytes", "4096")))).all().get();
            long twoDaysAgo = System.currentTimeMillis() - 2 * 86_400_000L;
            for (int i = 0; i < 40; i++) {
                producer.send(new ProducerRecord<>("ledger", 0, twoDaysAgo, null, new byte[500])).get();
            }
            assertThat(fixture.broker.size(tp).segments()).isGreaterThan(3);
            Thread.sleep(1_500); // a maintenance pass or more: the default keeps them
            assertThat(fixture.broker.logStartOffset(tp)).isZero();

            alter(admin, set("retention.ms", "86400000"));
            Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> fixture.broker.size(tp).segments() == 1);
            assertThat(fixture.broker.logStartOffset(tp)).isPositive();
            assertThat(producer.send(new ProducerRecord<>("ledger", new byte[10])).get().offset()).isEqualTo(40);
        }
    }

    private static AlterConfigOp set(String name, String value) {
        return new AlterConfigOp(new ConfigEntry(name, value), AlterConfigOp.OpType.SET);
    }

    private static void alter(Admin admin, AlterConfigOp... ops) throws Exception {
        admin.incrementalAlterConfigs(Map.of(LEDGER, (Collection<AlterConfigOp>) List.of(ops))).all().get();
    }

    private static Config describe(Admin admin) throws Exception {
        return admin.describeConfigs(List.of(LEDGER)).all().get().get(LEDGER);
    }

    /** No idempotence and no retries: a refused batch fails its send at once. */
    private static KafkaProducer<byte[], byte[]> plainProducer(BrokerFixture fixture) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, fixture.bootstrap());
        props.put(ProducerConfig.RETRIES_CONFIG, 0);
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        return new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }
}
