package dev.oms.api.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Connections a process cannot hold (a flood, clients that never finish a request): bounded and
 * closed, never the end of a listener. Unbounded, about 20,000 idle connections used up the
 * process's descriptors and Helidon's HTTP listener stopped for good.
 */
class ConnectionLimitsTest {
    @TempDir
    Path dir;

    /**
     * Past the limit, connections wait in the backlog; silent ones are closed once idle, and the
     * others then taken. Half-sent requests are not timed out by Helidon 4.5: they hold their
     * slots until their clients close them, and the listener serves again then.
     */
    @Test
    void connectionsBeyondTheLimitWaitIdleOnesAreClosedAndTheListenerServesThroughout() throws Exception {
        try (Oms oms = TestOms.start(dir, Map.of("OMS_HTTP_MAX_CONNECTIONS", "20", "OMS_HTTP_IDLE_TIMEOUT_MS", "2000"))) {
            List<Socket> halfSent = new ArrayList<>();
            List<Socket> silent = new ArrayList<>();
            try {
                for (int i = 0; i < 15; i++) {
                    Socket socket = connect(oms);
                    socket.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: oms\r\n".getBytes(StandardCharsets.US_ASCII));
                    halfSent.add(socket);
                }
                for (int i = 0; i < 15; i++) { // ten of them past the limit: in the backlog at first
                    silent.add(connect(oms));
                }
                assertThat(liveStatus(oms)).isEqualTo(200);
                for (Socket socket : silent) {
                    socket.setSoTimeout(30_000);
                    InputStream in = socket.getInputStream();
                    in.readAllBytes(); // the end of the stream: the server closed it (a timeout throws)
                }
            } finally {
                for (Socket socket : halfSent) {
                    socket.close();
                }
                for (Socket socket : silent) {
                    socket.close();
                }
            }
            assertThat(liveStatus(oms)).isEqualTo(200);
        }
    }

    private static Socket connect(Oms oms) throws java.io.IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", oms.httpPort()), 5_000);
        return socket;
    }

    private static int liveStatus(Oms oms) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + oms.httpPort() + "/health/live"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
        }
    }

    @Test
    void aStreamOfExecutionReportsOutlivesTheIdleTimeout() throws Exception {
        try (Oms oms = TestOms.start(dir, Map.of("OMS_HTTP_IDLE_TIMEOUT_MS", "1000"));
             Socket socket = new Socket("127.0.0.1", oms.httpPort())) {
            socket.setSoTimeout(15_000);
            socket.getOutputStream().write("GET /accounts/quiet/executions HTTP/1.1\r\nHost: oms\r\nAccept: text/event-stream\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = socket.getInputStream();
            long start = System.nanoTime();
            StringBuilder read = new StringBuilder();
            // Two keep-alive comments (one every 5 s) on a stream with nothing else to say: open for ten idle timeouts.
            while (read.toString().split(":keep-alive", -1).length < 3) {
                int b = in.read();
                assertThat(b).as("the stream ended after %d ms: %s", (System.nanoTime() - start) / 1_000_000, read).isNotNegative();
                read.append((char) b);
            }
            assertThat(read.toString()).startsWith("HTTP/1.1 200");
        }
    }

    /** Kafka's connections.max.idle.ms: silent connections, and one that never finishes its request, are closed. */
    @Test
    void kafkaConnectionsWithoutAWholeRequestForTheIdleTimeAreClosedAndClientsStillWork() throws Exception {
        try (Oms oms = TestOms.start(dir, Map.of("OMS_KAFKA_CONNECTIONS_MAX_IDLE_MS", "1000"))) {
            try (Socket silent = new Socket("127.0.0.1", oms.kafkaPort());
                 Socket halfSent = new Socket("127.0.0.1", oms.kafkaPort())) {
                halfSent.getOutputStream().write(new byte[] {0, 0, 0, 40, 0, 18}); // a frame of 40 bytes, 2 sent
                for (Socket socket : List.of(silent, halfSent)) {
                    socket.setSoTimeout(15_000);
                    assertThat(socket.getInputStream().read()).as("closed by the broker").isEqualTo(-1);
                }
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + oms.kafkaPort()))) {
                assertThat(admin.describeCluster().nodes().get(30, java.util.concurrent.TimeUnit.SECONDS)).isNotEmpty();
            }
        }
    }

    @Test
    void aKafkaConnectionBeyondTheLimitIsClosedAtOnceAndClientsConnectOnceOthersClosed() throws Exception {
        try (Oms oms = TestOms.start(dir, Map.of("OMS_KAFKA_MAX_CONNECTIONS", "10"))) {
            int port = oms.kafkaPort();
            List<Socket> held = new ArrayList<>();
            try {
                for (int i = 0; i < 10; i++) {
                    held.add(new Socket("127.0.0.1", port));
                }
                try (Socket extra = new Socket("127.0.0.1", port)) {
                    extra.setSoTimeout(10_000);
                    assertThat(extra.getInputStream().read()).as("closed by the broker").isEqualTo(-1);
                }
            } finally {
                for (Socket socket : held) {
                    socket.close();
                }
            }
            try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + port))) {
                assertThat(admin.describeCluster().nodes().get(30, java.util.concurrent.TimeUnit.SECONDS)).isNotEmpty();
            }
        }
    }
}
