package dev.oms.streaming.kafka;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

import dev.oms.streaming.BrokerMetrics;
import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.kafka.handler.ApiHandlers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka protocol listener of the embedded broker: accepts connections and gives each a
 * {@link KafkaConnection}. Any Kafka client (kafka-clients, librdkafka, franz-go…) can produce,
 * fetch and manage topics through it.
 *
 * <p>Threads: one virtual thread accepts; see {@link KafkaConnection} for the rest.
 */
public final class KafkaServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaServer.class);

    private final ServerSocketChannel server;
    private final KafkaListenerConfig config;
    private final ApiHandlers handlers;
    private final ExecutorService requests = Executors.newVirtualThreadPerTaskExecutor();
    private final Set<KafkaConnection> connections = ConcurrentHashMap.newKeySet();
    private final AtomicLong connectionIds = new AtomicLong();
    private final Thread acceptor;
    private final BrokerMetrics metrics;

    private KafkaServer(ServerSocketChannel server, KafkaListenerConfig config, EmbeddedBroker broker,
                        GroupCoordinator groups) {
        this.server = server;
        this.config = config;
        this.handlers = new ApiHandlers(broker, groups, config);
        this.metrics = broker.metrics();
        this.acceptor = Thread.ofVirtual().name("kafka-accept").unstarted(this::acceptLoop);
    }

    /** Binds the listener and starts accepting; an advertised port of 0 becomes the bound port. */
    public static KafkaServer start(EmbeddedBroker broker, GroupCoordinator groups, KafkaListenerConfig config)
            throws IOException {
        ServerSocketChannel server = ServerSocketChannel.open();
        try {
            server.bind(new InetSocketAddress(config.host(), config.port()), 512);
        } catch (IOException e) {
            server.close();
            throw new IOException("cannot listen for Kafka clients on " + config.host() + ":" + config.port() + ": "
                    + e.getMessage(), e);
        }
        int bound = ((InetSocketAddress) server.getLocalAddress()).getPort();
        KafkaListenerConfig resolved = new KafkaListenerConfig(config.host(), bound, config.advertisedHost(),
                config.advertisedPort() == 0 ? bound : config.advertisedPort(), config.autoCreateTopics(),
                config.defaultPartitions(), config.maxRequestBytes(), config.maxConnections(), config.connectionsMaxIdleMs());
        KafkaServer kafka = new KafkaServer(server, resolved, broker, groups);
        kafka.acceptor.start();
        Thread.ofVirtual().name("kafka-idle-connections").start(kafka::closeIdleConnections);
        LOG.info("Kafka protocol listening on {}:{}, advertised as {}:{}", resolved.host(), bound,
                resolved.advertisedHost(), resolved.advertisedPort());
        return kafka;
    }

    private void acceptLoop() {
        long nextWarning = 0;
        long unsaid = 0;
        while (server.isOpen()) {
            String failure;
            try {
                SocketChannel socket = server.accept();
                if (connections.size() < config.maxConnections()) {
                    socket.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
                    KafkaConnection connection = new KafkaConnection(socket, "kafka-" + connectionIds.incrementAndGet(),
                            handlers, config.maxRequestBytes(), requests, connections::remove, metrics);
                    connections.add(connection);
                    connection.start();
                    continue;
                }
                // Kafka's max.connections: the descriptors left go to the log, the state and HTTP.
                socket.close();
                failure = "closed a Kafka connection at once: " + config.maxConnections() + " are open (kafka.max-connections)";
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException e) {
                failure = "accepting a Kafka connection failed: " + e;
                // Out of descriptors, every accept fails at once until some close: no spinning meanwhile.
                pause(100);
            }
            long now = System.nanoTime();
            if (now - nextWarning >= 0) { // at most one warning in ten seconds, saying how many it stands for
                LOG.warn("{}{}", failure, unsaid == 0 ? "" : " (and " + unsaid + " more in the last ten seconds)");
                nextWarning = now + 10_000_000_000L;
                unsaid = 0;
            } else {
                unsaid++;
            }
        }
    }

    /**
     * Kafka's connections.max.idle.ms: a connection that neither sent a whole request nor was
     * answered for that long is closed, so that clients that went away without a FIN, or that
     * never finish a request, do not hold descriptors for ever. Checked every half of it, at most
     * every 30 s.
     */
    private void closeIdleConnections() {
        long idleNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(config.connectionsMaxIdleMs());
        long every = Math.max(10, Math.min(config.connectionsMaxIdleMs() / 2, 30_000));
        while (server.isOpen()) {
            pause(every);
            long now = System.nanoTime();
            int closed = 0;
            for (KafkaConnection connection : connections) {
                if (connection.idleFor(idleNanos, now)) {
                    connection.close();
                    closed++;
                }
            }
            if (closed > 0) {
                LOG.info("closed {} Kafka connection(s) idle for {} ms (kafka.connections-max-idle-ms)", closed,
                        config.connectionsMaxIdleMs());
            }
        }
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public int port() {
        return config.port();
    }

    /**
     * Where a client in this process reaches the listener: the address it is bound to, loopback
     * for a wildcard one (a node listening on one interface is not on 127.0.0.1).
     */
    public String bootstrap() {
        java.net.InetAddress address = new InetSocketAddress(config.host(), config.port()).getAddress();
        if (address == null || address.isAnyLocalAddress()) {
            address = java.net.InetAddress.getLoopbackAddress();
        }
        String host = address.getHostAddress();
        return (address instanceof java.net.Inet6Address ? "[" + host + "]" : host) + ":" + config.port();
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            LOG.warn("closing the Kafka listener", e);
        }
        connections.forEach(KafkaConnection::close);
        requests.shutdownNow();
    }
}
