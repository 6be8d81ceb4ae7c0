package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.acl.AclBindingFilter;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.requests.ApiVersionsRequest;
import org.apache.kafka.common.requests.DescribeAclsRequest;
import org.apache.kafka.common.requests.DescribeAclsResponse;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad bytes on the Kafka port close that one connection, with a log line saying why; a client on
 * another connection — here one producer kept open across all the abuse — keeps working.
 */
class WireRobustnessTest {
    @TempDir
    static Path dir;
    private static BrokerFixture fixture;
    private static KafkaProducer<byte[], byte[]> bystander;

    /** What the connections log at WARNING and above (slf4j over java.util.logging). */
    private static final List<String> WARNINGS = new CopyOnWriteArrayList<>();
    private static final Logger CONNECTION_LOG = Logger.getLogger(KafkaConnection.class.getName());
    private static final Handler CAPTURE = new Handler() {
        @Override
        public void publish(LogRecord record) {
            if (record.getLevel().intValue() >= Level.WARNING.intValue()) {
                WARNINGS.add(record.getMessage());
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };

    @BeforeAll
    static void start() throws Exception {
        CONNECTION_LOG.addHandler(CAPTURE);
        fixture = BrokerFixture.start(dir);
        bystander = fixture.producer("none");
        bystander.send(new ProducerRecord<>("bystander", KafkaClientsTest.bytes("before"))).get();
    }

    @AfterAll
    static void stop() {
        CONNECTION_LOG.removeHandler(CAPTURE);
        bystander.close();
        fixture.close();
    }

    @Test
    void randomBytesCloseTheConnection() throws Exception {
        byte[] noise = new byte[4096];
        new Random(42).nextBytes(noise);
        ByteBuffer.wrap(noise).putInt(noise.length - 4); // a whole frame, so the broker parses the noise
        assertClosedAfter(noise);
        assertOthersStillServed();
    }

    @Test
    void negativeFrameLengthClosesTheConnection() throws Exception {
        assertClosedAfter(ByteBuffer.allocate(4).putInt(-1).array());
        assertOthersStillServed();
    }

    @Test
    void twoGigabyteFrameLengthClosesTheConnectionWithoutAllocating() throws Exception {
        assertClosedAfter(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
        assertOthersStillServed();
    }

    @Test
    void truncatedFrameClosesTheConnection() throws Exception {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(ByteBuffer.allocate(14).putInt(100).putShort((short) 18).putShort((short) 3)
                    .putInt(1).putShort((short) 0).array());
            socket.shutdownOutput(); // 10 of the promised 100 bytes, then nothing
            assertClosed(socket);
        }
        assertOthersStillServed();
    }

    @Test
    void unknownApiKeyClosesTheConnection() throws Exception {
        ByteBuffer request = ByteBuffer.allocate(14).putInt(10).putShort((short) 9999).putShort((short) 0).putInt(7)
                .putShort((short) -1);
        assertClosedAfter(request.array());
        assertOthersStillServed();
    }

    @Test
    void apiVersionsAtAnUnknownVersionIsAnsweredWithUnsupportedVersionAndTheList() throws Exception {
        try (Socket socket = connect()) {
            // Header v2, as a client newer than the broker sends it: client id, then no tagged fields.
            byte[] clientId = "probe".getBytes();
            ByteBuffer request = ByteBuffer.allocate(4 + 11 + clientId.length);
            request.putInt(11 + clientId.length).putShort((short) 18).putShort((short) 99).putInt(4242)
                    .putShort((short) clientId.length).put(clientId).put((byte) 0);
            socket.getOutputStream().write(request.array());
            DataInputStream in = new DataInputStream(socket.getInputStream());
            int size = in.readInt();
            assertThat(size).isPositive();
            assertThat(in.readInt()).as("correlation id").isEqualTo(4242);
            assertThat(in.readShort()).as("error code").isEqualTo(Errors.UNSUPPORTED_VERSION.code());
            int apis = in.readInt();
            assertThat(apis).as("the APIs the broker does serve").isGreaterThanOrEqualTo(8);
        }
        assertOthersStillServed();
    }

    @Test
    void aKnownApiTheBrokerDoesNotServeIsAnsweredWithUnsupportedVersionOnAConnectionThatStaysOpen() throws Exception {
        try (KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            var acls = (DescribeAclsResponse) wire.send(new DescribeAclsRequest.Builder(AclBindingFilter.ANY).build());
            assertThat(acls.error().error()).isEqualTo(Errors.UNSUPPORTED_VERSION);
            assertThat(acls.error().message()).contains("DESCRIBE_ACLS", "ApiVersions lists what is");
            assertThat(wire.send(new ApiVersionsRequest.Builder().build()).errorCounts()).containsOnlyKeys(Errors.NONE);
        }
        assertOthersStillServed();
    }

    /**
     * A batch whose CRC matches its bytes but whose records cannot be read is refused
     * (CORRUPT_MESSAGE), as Kafka's LogValidator refuses it: stored, no consumer got past it. So
     * is a produce to an internal topic: a record of a client's in {@code __consumer_offsets}
     * stopped every start of the broker.
     */
    @Test
    void aBatchWhoseRecordsCannotBeReadAndAProduceToAnInternalTopicAreRefused() throws Exception {
        try (Admin admin = fixture.admin()) {
            admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("validated", 1, (short) 1))).all().get();
        }
        try (KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            ByteBuffer lying = twoRecords();
            lying.putInt(57, 3); // the record count: two records, three declared
            assertThat(produce(wire, "validated", withCrc(lying))).isEqualTo(Errors.CORRUPT_MESSAGE);
            ByteBuffer notGzip = twoRecords();
            notGzip.putShort(21, (short) 1); // the attributes: gzip, over records that are not
            assertThat(produce(wire, "validated", withCrc(notGzip))).isEqualTo(Errors.CORRUPT_MESSAGE);
            ByteBuffer noCodec = twoRecords();
            noCodec.putShort(21, (short) 7); // a codec that does not exist
            assertThat(produce(wire, "validated", withCrc(noCodec))).isEqualTo(Errors.CORRUPT_MESSAGE);
            assertThat(produce(wire, "__consumer_offsets", twoRecords())).isEqualTo(Errors.INVALID_TOPIC_EXCEPTION);
            assertThat(produce(wire, "validated", twoRecords())).as("a readable batch").isEqualTo(Errors.NONE);
        }
        assertThat(fixture.broker.highWatermark(new org.apache.kafka.common.TopicPartition("validated", 0)))
                .as("only the readable batch was written").isEqualTo(2);
        assertOthersStillServed();
    }

    /**
     * The consumer-offsets topic cannot be deleted, and a topic its application protects keeps its
     * partition count (and, unless deletable, its existence) against admin requests, and takes no
     * client's records unless its owner lets them: the engine's command log maps a symbol to a
     * partition by the count (deleting it lost every order), and the engine resumes its outputs
     * after their last record (one a client wrote there made it skip its own).
     */
    @Test
    void adminRequestsCannotDeleteTheOffsetsTopicOrAProtectedTopicNorAddToItsPartitions() throws Exception {
        fixture.broker.createTopic("commands", 2);
        fixture.broker.protect("commands", false, true, "keys map to partitions by the count");
        fixture.broker.createTopic("outputs", 2);
        fixture.broker.protect("outputs", true, false, "partition p follows commands-p");
        try (KafkaWire wire = new KafkaWire("127.0.0.1", fixture.kafka.port())) {
            assertThat(produce(wire, "outputs", twoRecords())).isEqualTo(Errors.POLICY_VIOLATION);
            assertThat(produce(wire, "commands", twoRecords())).as("clients produce commands").isEqualTo(Errors.NONE);
        }
        try (Admin admin = fixture.admin()) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> admin.deleteTopics(List.of("commands")).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.PolicyViolationException.class)
                    .hasMessageContaining("keys map to partitions by the count");
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> admin.createPartitions(java.util.Map.of("outputs",
                            org.apache.kafka.clients.admin.NewPartitions.increaseTo(4))).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.PolicyViolationException.class);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> admin.deleteTopics(List.of("__consumer_offsets")).all().get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidTopicException.class);
            admin.deleteTopics(List.of("outputs")).all().get(); // deletable, and the count was left alone
        }
        assertThat(fixture.broker.partitionCount("commands")).isEqualTo(2);
        assertOthersStillServed();
    }

    /** A transactional producer is told at once that transactions are not offered, not after a minute of retries. */
    @Test
    void aTransactionalProducerFailsAtOnceSayingTransactionsAreNotOffered() {
        java.util.Map<String, Object> config = java.util.Map.of("bootstrap.servers", "127.0.0.1:" + fixture.kafka.port(),
                "transactional.id", "tx-1", "max.block.ms", 60_000);
        try (var producer = new KafkaProducer<>(config, new org.apache.kafka.common.serialization.ByteArraySerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            // Before: a TimeoutException once max.block.ms ran out, which said nothing of transactions.
            org.assertj.core.api.Assertions.assertThatThrownBy(producer::initTransactions)
                    .isNotInstanceOf(org.apache.kafka.common.errors.TimeoutException.class)
                    .hasMessageContaining("transactions and share groups are not offered");
        }
    }

    private static ByteBuffer twoRecords() {
        return org.apache.kafka.common.record.internal.MemoryRecords.withRecords(
                org.apache.kafka.common.compress.Compression.NONE,
                new org.apache.kafka.common.record.internal.SimpleRecord("a".getBytes()),
                new org.apache.kafka.common.record.internal.SimpleRecord("b".getBytes())).buffer();
    }

    /** The batch's CRC made to match its bytes again (CRC-32C from the attributes on, at offset 17). */
    private static ByteBuffer withCrc(ByteBuffer batch) {
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(batch.duplicate().position(21));
        batch.putInt(17, (int) crc.getValue());
        return batch;
    }

    private static Errors produce(KafkaWire wire, String topic, ByteBuffer batch) throws IOException {
        var data = new org.apache.kafka.common.message.ProduceRequestData().setAcks((short) -1).setTimeoutMs(10_000);
        data.topicData().add(new org.apache.kafka.common.message.ProduceRequestData.TopicProduceData().setName(topic)
                .setPartitionData(List.of(new org.apache.kafka.common.message.ProduceRequestData.PartitionProduceData()
                        .setIndex(0).setRecords(org.apache.kafka.common.record.internal.MemoryRecords.readableRecords(batch)))));
        var response = (org.apache.kafka.common.requests.ProduceResponse) wire.send(
                new org.apache.kafka.common.requests.ProduceRequest.Builder((short) 3, (short) 12, data).build((short) 12));
        return Errors.forCode(response.data().responses().iterator().next().partitionResponses().get(0).errorCode());
    }

    private static void assertClosedAfter(byte[] bytes) throws IOException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write(bytes);
            socket.getOutputStream().flush();
            assertClosed(socket);
        }
    }

    private static void assertClosed(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        try {
            assertThat(in.read()).as("the broker closes the connection").isEqualTo(-1);
        } catch (SocketException reset) {
            // a reset is a close too
        }
        String peer = ":" + socket.getLocalPort();
        Awaitility.await("a log line saying why this connection was closed").atMost(Duration.ofSeconds(10)).until(
                () -> WARNINGS.stream().anyMatch(line -> line.startsWith("closing") && line.contains(peer)));
    }

    private static Socket connect() throws IOException {
        Socket socket = new Socket("127.0.0.1", fixture.kafka.port());
        socket.setSoTimeout(15_000);
        return socket;
    }

    private static void assertOthersStillServed() throws Exception {
        assertThat(bystander.send(new ProducerRecord<>("bystander", KafkaClientsTest.bytes("after"))).get().offset()).isPositive();
        try (Admin admin = fixture.admin()) {
            assertThat(admin.describeCluster().nodes().get()).hasSize(1);
        }
    }
}
