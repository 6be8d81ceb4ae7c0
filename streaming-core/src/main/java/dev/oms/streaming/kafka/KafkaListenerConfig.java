package dev.oms.streaming.kafka;

/**
 * The Kafka protocol listener.
 *
 * @param host              address to listen on
 * @param port              port to listen on; 0 picks a free one
 * @param advertisedHost    host clients are told to connect to (Metadata)
 * @param advertisedPort    port clients are told; 0 means the bound port
 * @param autoCreateTopics  create a topic a client asks Metadata for, as Kafka's auto.create.topics.enable
 * @param defaultPartitions partitions of an auto-created topic, and of CreateTopics asking for -1
 * @param maxRequestBytes   largest request frame accepted (socket.request.max.bytes)
 * @param maxConnections    most connections open at once (Kafka's max.connections); one more is closed at once
 * @param connectionsMaxIdleMs a connection without a request or an answer for this long is closed
 *                          (Kafka's connections.max.idle.ms; a request half sent counts as none)
 */
public record KafkaListenerConfig(String host, int port, String advertisedHost, int advertisedPort,
                                  boolean autoCreateTopics, int defaultPartitions, int maxRequestBytes, int maxConnections,
                                  long connectionsMaxIdleMs) {
    public static final int NODE_ID = 0;
    /** As oms.yaml's kafka.max-connections: with HTTP's, under a common limit of 20,000 descriptors per process. */
    public static final int DEFAULT_MAX_CONNECTIONS = 8192;
    /** As Kafka's connections.max.idle.ms and oms.yaml's kafka.connections-max-idle-ms. */
    public static final long DEFAULT_CONNECTIONS_MAX_IDLE_MS = 600_000;

    public KafkaListenerConfig {
        if (maxConnections < 1 || connectionsMaxIdleMs < 1) {
            throw new IllegalArgumentException("maxConnections and connectionsMaxIdleMs must be positive: " + maxConnections
                    + ", " + connectionsMaxIdleMs);
        }
    }

    /** With {@link #DEFAULT_MAX_CONNECTIONS} and {@link #DEFAULT_CONNECTIONS_MAX_IDLE_MS}. */
    public KafkaListenerConfig(String host, int port, String advertisedHost, int advertisedPort,
                               boolean autoCreateTopics, int defaultPartitions, int maxRequestBytes) {
        this(host, port, advertisedHost, advertisedPort, autoCreateTopics, defaultPartitions, maxRequestBytes,
                DEFAULT_MAX_CONNECTIONS, DEFAULT_CONNECTIONS_MAX_IDLE_MS);
    }
}
