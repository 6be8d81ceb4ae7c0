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
 */
public record KafkaListenerConfig(String host, int port, String advertisedHost, int advertisedPort,
                                  boolean autoCreateTopics, int defaultPartitions, int maxRequestBytes) {
    public static final int NODE_ID = 0;
}
