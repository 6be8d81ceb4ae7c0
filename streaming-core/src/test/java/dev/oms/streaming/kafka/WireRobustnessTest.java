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
