package dev.oms.streaming;

import dev.oms.streaming.storage.TopicConfig;

/**
 * How the embedded broker runs.
 *
 * @param shards          shard threads, normally one per core
 * @param queueCapacity   appends that may wait per shard before callers are told to back off
 * @param topicDefaults   log settings of every topic that does not override them
 * @param writeCaching    acknowledge once written and fsync within {@code flushIntervalMs}
 *                        (Redpanda's write caching): lower latency, and a crash of the machine —
 *                        not of the process — may lose acknowledged records. Off by default.
 * @param flushIntervalMs with write caching, how long an acknowledged record may wait for fsync
 * @param pinShards       pin each shard thread to a core reserved through OpenHFT affinity, when one can be had
 * @param maxPartitions   the most partitions this node hosts, all topics together: a CreateTopics or
 *                        CreatePartitions past it is refused (each partition holds files open)
 */
public record BrokerConfig(int shards, int queueCapacity, TopicConfig topicDefaults, boolean writeCaching,
                           long flushIntervalMs, boolean pinShards, int maxPartitions) {
    /** The default of {@code log.max-partitions}. */
    public static final int MAX_PARTITIONS = 4096;

    public BrokerConfig {
        if (shards < 1 || queueCapacity < 2 || flushIntervalMs < 1 || maxPartitions < 1) {
            throw new IllegalArgumentException("shards >= 1, queue capacity >= 2, flush interval >= 1 ms and max partitions"
                    + " >= 1, got " + shards + ", " + queueCapacity + ", " + flushIntervalMs + ", " + maxPartitions);
        }
    }

    public BrokerConfig(int shards, int queueCapacity, TopicConfig topicDefaults, boolean writeCaching,
                        long flushIntervalMs, boolean pinShards) {
        this(shards, queueCapacity, topicDefaults, writeCaching, flushIntervalMs, pinShards, MAX_PARTITIONS);
    }

    /** Durable before ack, default topic settings. */
    public static BrokerConfig of(int shards, int queueCapacity) {
        return new BrokerConfig(shards, queueCapacity, TopicConfig.DEFAULTS, false, 100, false);
    }
}
