package dev.oms.streaming.storage;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;

/**
 * A topic's log settings, under Kafka's own names so that admin tools read and write them as
 * they would on Kafka. The broker's defaults apply to every key a topic does not set.
 *
 * @param segmentBytes   roll the active segment when it would grow past this (segment.bytes)
 * @param segmentMs      roll the active segment when it is this old (segment.ms)
 * @param retentionMs    delete closed segments whose newest record is older; -1 keeps forever (retention.ms)
 * @param retentionBytes delete the oldest closed segments while the log is larger; -1: no limit (retention.bytes)
 * @param preallocate    create segment files at full size up front (preallocate)
 * @param cleanupPolicy  {@code delete} (retention), {@code compact} (keep the latest record of each key), or
 *                       {@code compact,delete} (both) (cleanup.policy)
 * @param deleteRetentionMs how long a compacted topic keeps a tombstone (delete.retention.ms)
 * @param maxMessageBytes the largest record batch a Kafka client may produce (max.message.bytes)
 * @param timestampAfterMaxMs how far past the broker's clock a produced record's CreateTime may be
 *                       (message.timestamp.after.max.ms; Kafka 4's default, an hour): a record from
 *                       the year 2100 would hold its segment past any retention, and on {@code orders}
 *                       move the engine's day
 * @param timestampBeforeMaxMs how far before the broker's clock it may be (message.timestamp.before.max.ms)
 */
public record TopicConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, boolean preallocate,
                          String cleanupPolicy, long deleteRetentionMs, int maxMessageBytes, long timestampAfterMaxMs,
                          long timestampBeforeMaxMs) {
    public static final String SEGMENT_BYTES = org.apache.kafka.common.config.TopicConfig.SEGMENT_BYTES_CONFIG;
    public static final String SEGMENT_MS = org.apache.kafka.common.config.TopicConfig.SEGMENT_MS_CONFIG;
    public static final String RETENTION_MS = org.apache.kafka.common.config.TopicConfig.RETENTION_MS_CONFIG;
    public static final String RETENTION_BYTES = org.apache.kafka.common.config.TopicConfig.RETENTION_BYTES_CONFIG;
    public static final String PREALLOCATE = org.apache.kafka.common.config.TopicConfig.PREALLOCATE_CONFIG;
    public static final String CLEANUP_POLICY = org.apache.kafka.common.config.TopicConfig.CLEANUP_POLICY_CONFIG;
    public static final String DELETE_RETENTION_MS = org.apache.kafka.common.config.TopicConfig.DELETE_RETENTION_MS_CONFIG;
    public static final String MAX_MESSAGE_BYTES = org.apache.kafka.common.config.TopicConfig.MAX_MESSAGE_BYTES_CONFIG;
    public static final String TIMESTAMP_AFTER_MAX_MS =
            org.apache.kafka.common.config.TopicConfig.MESSAGE_TIMESTAMP_AFTER_MAX_MS_CONFIG;
    public static final String TIMESTAMP_BEFORE_MAX_MS =
            org.apache.kafka.common.config.TopicConfig.MESSAGE_TIMESTAMP_BEFORE_MAX_MS_CONFIG;
    public static final Set<String> KEYS = Set.of(SEGMENT_BYTES, SEGMENT_MS, RETENTION_MS, RETENTION_BYTES, PREALLOCATE,
            CLEANUP_POLICY, DELETE_RETENTION_MS, MAX_MESSAGE_BYTES, TIMESTAMP_AFTER_MAX_MS, TIMESTAMP_BEFORE_MAX_MS);
    private static final long ONE_DAY_MS = 24L * 3600 * 1000;
    /** Every topic config Kafka knows (its TopicConfig's names), to tell one not offered here from a typo. */
    private static final Set<String> KAFKA_KEYS = java.util.Arrays.stream(
                    org.apache.kafka.common.config.TopicConfig.class.getFields())
            .filter(f -> f.getName().endsWith("_CONFIG") && f.getType() == String.class)
            .map(f -> {
                try {
                    return (String) f.get(null);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            })
            .collect(java.util.stream.Collectors.toUnmodifiableSet());
    /** Kafka's defaults of message.max.bytes and message.timestamp.after.max.ms (4.0 on). */
    public static final int KAFKA_MAX_MESSAGE_BYTES = 1024 * 1024 + 12;
    public static final long KAFKA_TIMESTAMP_AFTER_MAX_MS = 3_600_000;

    /** An event log is kept until someone decides otherwise: no retention by default. */
    public static final TopicConfig DEFAULTS = new TopicConfig(128 * 1024 * 1024, 7 * ONE_DAY_MS, -1, -1, true);

    /** Settings of a topic cleaned by retention only. */
    public TopicConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, boolean preallocate) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, preallocate, "delete", ONE_DAY_MS);
    }

    /** Settings with Kafka's limits on what a client may produce. */
    public TopicConfig(int segmentBytes, long segmentMs, long retentionMs, long retentionBytes, boolean preallocate,
                       String cleanupPolicy, long deleteRetentionMs) {
        this(segmentBytes, segmentMs, retentionMs, retentionBytes, preallocate, cleanupPolicy, deleteRetentionMs,
                KAFKA_MAX_MESSAGE_BYTES, KAFKA_TIMESTAMP_AFTER_MAX_MS, Long.MAX_VALUE);
    }

    public TopicConfig {
        if (segmentBytes < 1024) {
            throw new InvalidConfigurationException(SEGMENT_BYTES + " must be at least 1024, got " + segmentBytes);
        }
        if (segmentMs < 1) {
            throw new InvalidConfigurationException(SEGMENT_MS + " must be at least 1, got " + segmentMs);
        }
        if (retentionMs < -1 || retentionBytes < -1) {
            throw new InvalidConfigurationException("retention.ms and retention.bytes are -1 (unlimited) or positive");
        }
        if (!Set.of("delete", "compact", "compact,delete", "delete,compact").contains(cleanupPolicy)) {
            throw new InvalidConfigurationException(CLEANUP_POLICY + " is delete, compact or compact,delete; got '"
                    + cleanupPolicy + "'");
        }
        if (deleteRetentionMs < 0) {
            throw new InvalidConfigurationException(DELETE_RETENTION_MS + " must be 0 or more, got " + deleteRetentionMs);
        }
        if (maxMessageBytes < 0 || timestampAfterMaxMs < 0 || timestampBeforeMaxMs < 0) {
            throw new InvalidConfigurationException(MAX_MESSAGE_BYTES + ", " + TIMESTAMP_AFTER_MAX_MS + " and "
                    + TIMESTAMP_BEFORE_MAX_MS + " must be 0 or more");
        }
    }

    /** Keeps only the latest record of each key in closed segments. */
    public boolean compact() {
        return cleanupPolicy.contains("compact");
    }

    /** Deletes closed segments by retention time and size. */
    public boolean deleteByRetention() {
        return cleanupPolicy.contains("delete");
    }

    /** These settings with {@code overrides} (Kafka key to value) applied; unknown keys are refused. */
    public TopicConfig with(Map<String, String> overrides) {
        int sb = segmentBytes;
        long sm = segmentMs, rm = retentionMs, rb = retentionBytes, drm = deleteRetentionMs;
        int mmb = maxMessageBytes;
        long after = timestampAfterMaxMs, before = timestampBeforeMaxMs;
        boolean pre = preallocate;
        String policy = cleanupPolicy;
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            String value = e.getValue() == null ? "" : e.getValue().trim();
            try {
                switch (e.getKey()) {
                    case SEGMENT_BYTES -> sb = Integer.parseInt(value);
                    case SEGMENT_MS -> sm = Long.parseLong(value);
                    case RETENTION_MS -> rm = Long.parseLong(value);
                    case RETENTION_BYTES -> rb = Long.parseLong(value);
                    case PREALLOCATE -> pre = parseBoolean(value);
                    case CLEANUP_POLICY -> policy = value.replace(" ", "");
                    case DELETE_RETENTION_MS -> drm = Long.parseLong(value);
                    case MAX_MESSAGE_BYTES -> mmb = Integer.parseInt(value);
                    case TIMESTAMP_AFTER_MAX_MS -> after = Long.parseLong(value);
                    case TIMESTAMP_BEFORE_MAX_MS -> before = Long.parseLong(value);
                    default -> throw unknownKey(e.getKey());
                }
            } catch (NumberFormatException nfe) {
                throw new InvalidConfigurationException(e.getKey() + " must be a number, got '" + value + "'");
            }
        }
        return new TopicConfig(sb, sm, rm, rb, pre, policy, drm, mmb, after, before);
    }

    private static InvalidConfigurationException unknownKey(String name) {
        return new InvalidConfigurationException((KAFKA_KEYS.contains(name)
                ? "the Kafka topic config '" + name + "' is not offered by oms"
                : "unknown topic config '" + name + "'") + "; supported: " + String.join(", ", KEYS));
    }

    /**
     * One change of IncrementalAlterConfigs (Kafka's AlterConfigOp): SET a value, DELETE the key
     * (back to the broker's default), APPEND to or SUBTRACT from a list-typed key (cleanup.policy).
     */
    public record Change(String name, AlterConfigOp.OpType op, String value) {
    }

    /**
     * A topic's own settings after {@code changes}, applied to {@code overrides} in order; a list
     * key not set starts from these settings' value, as Kafka's starts from its default. Checks
     * that every key is offered and the result valid (as {@link #with}); nothing is changed.
     */
    public Map<String, String> alter(Map<String, String> overrides, List<Change> changes) {
        Map<String, String> next = new TreeMap<>(overrides);
        Set<String> named = new java.util.HashSet<>();
        for (Change change : changes) {
            if (!KEYS.contains(change.name())) {
                throw unknownKey(change.name());
            }
            if (!named.add(change.name())) {
                throw new InvalidRequestException("'" + change.name() + "' is changed more than once in one request");
            }
            boolean list = change.name().equals(CLEANUP_POLICY);
            switch (change.op()) {
                case SET -> next.put(change.name(), change.value() == null ? "" : change.value());
                case DELETE -> next.remove(change.name());
                case APPEND, SUBTRACT -> {
                    if (!list) {
                        throw new InvalidConfigurationException(change.op() + " applies to list-typed configs ("
                                + CLEANUP_POLICY + "), not to '" + change.name() + "'; use SET");
                    }
                    Set<String> items = new LinkedHashSet<>(items(next.getOrDefault(CLEANUP_POLICY, cleanupPolicy)));
                    if (change.op() == AlterConfigOp.OpType.APPEND) {
                        items.addAll(items(change.value()));
                    } else {
                        items.removeAll(items(change.value()));
                    }
                    next.put(CLEANUP_POLICY, String.join(",", items));
                }
            }
        }
        with(next);
        return next;
    }

    private static List<String> items(String list) {
        return list == null ? List.of()
                : java.util.Arrays.stream(list.split(",")).map(String::trim).filter(item -> !item.isEmpty()).toList();
    }

    private static boolean parseBoolean(String value) {
        return switch (value) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new InvalidConfigurationException(PREALLOCATE + " must be true or false, got '" + value + "'");
        };
    }

    /** Every setting under its Kafka name. */
    public Map<String, String> asMap() {
        Map<String, String> map = new LinkedHashMap<>();
        map.put(CLEANUP_POLICY, cleanupPolicy);
        map.put(SEGMENT_BYTES, Integer.toString(segmentBytes));
        map.put(SEGMENT_MS, Long.toString(segmentMs));
        map.put(RETENTION_MS, Long.toString(retentionMs));
        map.put(RETENTION_BYTES, Long.toString(retentionBytes));
        map.put(PREALLOCATE, Boolean.toString(preallocate));
        map.put(DELETE_RETENTION_MS, Long.toString(deleteRetentionMs));
        map.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes));
        map.put(TIMESTAMP_AFTER_MAX_MS, Long.toString(timestampAfterMaxMs));
        map.put(TIMESTAMP_BEFORE_MAX_MS, Long.toString(timestampBeforeMaxMs));
        return map;
    }
}
