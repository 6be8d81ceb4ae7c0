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
 */
public record BrokerConfig(int shards, int queueCapacity, TopicConfig topicDefaults, boolean writeCaching,
                           long flushIntervalMs, boolean pinShards) {
    public BrokerConfig {
        if (shards < 1 || queueCapacity < 2 || flushIntervalMs < 1) {
            throw new IllegalArgumentException("shards >= 1, queue capacity >= 2 and flush interval >= 1 ms, got "
                    + shards + ", " + queueCapacity + ", " + flushIntervalMs);
        }
    }

    /** Durable before ack, default topic settings. */
    public static BrokerConfig of(int shards, int queueCapacity) {
        return new BrokerConfig(shards, queueCapacity, TopicConfig.DEFAULTS, false, 100, false);
    }
}
