package dev.oms.deadletter;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.function.Predicate;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A dead-letter topic as an operator sees it: list (filtered by source topic, reason and time,
 * paged), show one, and redrive — append the record back to its original topic and partition,
 * marked with {@link DeadLetterHeaders#REDRIVEN_FROM}. The topic is an ordinary Kafka topic, read
 * and written with kafka-clients, so this works against the embedded log and any cluster alike.
 * Redriving twice is harmless where the consumer is idempotent, as the order engine is.
 *
 * <p>Threads: any; each call uses its own consumer.
 */
public final class DeadLetterQueue implements AutoCloseable {
    private final String bootstrap;
    private final String topic;
    private final KafkaProducer<byte[], byte[]> producer;

    /** One dead-letter record, with its headers decoded as text. */
    public record Entry(int partition, long offset, long timestamp, byte[] key, byte[] value, Map<String, String> headers) {
        public String header(String name) {
            return headers.getOrDefault(name, "");
        }

        public Instant failedAt() {
            String at = header(DeadLetterHeaders.FAILED_AT);
            return at.isEmpty() ? Instant.ofEpochMilli(timestamp) : Instant.parse(at);
        }
    }

    /** Which entries to list or redrive; null fields match everything. */
    public record Filter(String sourceTopic, String reason, Instant from, Instant to, Integer partition, Long fromOffset,
                         Long toOffset) {
        public static final Filter ALL = new Filter(null, null, null, null, null, null, null);

        boolean matches(Entry e) {
            return (sourceTopic == null || sourceTopic.equals(e.header(DeadLetterHeaders.ORIGINAL_TOPIC)))
                    && (reason == null || reason.equals(e.header(DeadLetterHeaders.REASON)))
                    && (from == null || !e.failedAt().isBefore(from)) && (to == null || e.failedAt().isBefore(to))
                    && (partition == null || partition == e.partition())
                    && (fromOffset == null || e.offset() >= fromOffset) && (toOffset == null || e.offset() <= toOffset);
        }
    }

    public DeadLetterQueue(String bootstrap, String topic) {
        this.bootstrap = bootstrap;
        this.topic = topic;
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        this.producer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Entries matching {@code filter}, in (partition, offset) order, at most {@code limit}. */
    public List<Entry> list(Filter filter, int limit) {
        return list(filter, -1, -1, limit);
    }

    /** Entries matching {@code filter} after the given one, at most {@code limit} ({@link #page} without a bound on bytes). */
    public List<Entry> list(Filter filter, int afterPartition, long afterOffset, int limit) {
        return page(filter, afterPartition, afterOffset, limit, Long.MAX_VALUE).entries();
    }

    /** Entries of one page, and whether it ended at its limit of entries or of bytes (more may follow). */
    public record Page(List<Entry> entries, boolean full) {
    }

    /**
     * A page: entries matching {@code filter} after ({@code afterPartition}, {@code afterOffset}),
     * the last entry of the previous page, in (partition, offset) order, at most {@code limit} of
     * them and, past the first, at most {@code maxBytes} of their keys and values: letters of
     * megabytes each made a page of ten thousand hundreds of megabytes, all in memory at once.
     */
    public Page page(Filter filter, int afterPartition, long afterOffset, int limit, long maxBytes) {
        List<Entry> found = new ArrayList<>();
        long[] bytes = {0};
        boolean[] full = {false};
        scan(entry -> filter.matches(entry) && (entry.partition() > afterPartition
                || (entry.partition() == afterPartition && entry.offset() > afterOffset)), entry -> {
            long size = (entry.key() == null ? 0 : entry.key().length) + (entry.value() == null ? 0 : entry.value().length);
            if (!found.isEmpty() && bytes[0] + size > maxBytes) {
                full[0] = true; // this one starts the next page
                return false;
            }
            found.add(entry);
            bytes[0] += size;
            full[0] = found.size() >= limit;
            return !full[0];
        });
        return new Page(found, full[0]);
    }

    public Optional<Entry> show(int partition, long offset) {
        List<Entry> one = list(new Filter(null, null, null, null, partition, offset, offset), 1);
        return one.isEmpty() ? Optional.empty() : Optional.of(one.getFirst());
    }

    /** Appends every matching entry back to where it came from; returns how many were redriven. */
    public int redrive(Filter filter) {
        // A letter whose redrive failed again is superseded by the letter that failure wrote, which
        // names it (dlt.redriven.from): a selection redrives only the newest of each, so that
        // repeated redrives of letters that fail again (a poison record) do not double them each
        // time. One letter named by its offset is redriven all the same.
        java.util.Set<String> superseded = new java.util.HashSet<>();
        boolean one = filter.partition() != null && filter.fromOffset() != null && filter.fromOffset().equals(filter.toOffset());
        if (!one) {
            scan(entry -> entry.headers().containsKey(DeadLetterHeaders.REDRIVEN_FROM), entry -> {
                superseded.add(entry.header(DeadLetterHeaders.REDRIVEN_FROM));
                return true;
            });
        }
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        scan(entry -> filter.matches(entry) && !superseded.contains(id(entry)), entry -> {
            String original = entry.header(DeadLetterHeaders.ORIGINAL_TOPIC);
            int partition = Integer.parseInt(entry.header(DeadLetterHeaders.ORIGINAL_PARTITION));
            ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(original, partition, entry.key(), entry.value());
            record.headers().add(DeadLetterHeaders.REDRIVEN_FROM, id(entry).getBytes(StandardCharsets.UTF_8));
            // The redriven command continues the trace it was dead-lettered in.
            for (String name : DeadLetterHeaders.TRACE_CONTEXT) {
                if (entry.headers().containsKey(name)) {
                    record.headers().add(name, entry.header(name).getBytes(StandardCharsets.UTF_8));
                }
            }
            acks.add(producer.send(record));
            return true;
        });
        producer.flush();
        for (var ack : acks) {
            try {
                ack.get();
            } catch (Exception e) {
                throw new IllegalStateException("redrive failed after " + acks.indexOf(ack) + " record(s): " + e.getMessage(), e);
            }
        }
        return acks.size();
    }

    /** How a redriven record names its letter: {@code orders.DLT-3@17}. */
    private String id(Entry entry) {
        return topic + "-" + entry.partition() + "@" + entry.offset();
    }

    /** Deletes the dead letters of {@code partition} before {@code offset}; returns the new first offset. */
    public long purge(int partition, long offset) {
        Properties props = new Properties();
        props.put(org.apache.kafka.clients.admin.AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        try (org.apache.kafka.clients.admin.Admin admin = org.apache.kafka.clients.admin.Admin.create(props)) {
            // Asked of a partition that does not exist, the admin client retries for a minute.
            int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
            if (partition < 0 || partition >= partitions) {
                throw new IllegalArgumentException("cannot purge " + topic + "-" + partition + ": " + topic
                        + " has partitions 0 to " + (partitions - 1));
            }
            TopicPartition tp = new TopicPartition(topic, partition);
            return admin.deleteRecords(Map.of(tp, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(offset)))
                    .lowWatermarks().get(tp).get().lowWatermark();
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalArgumentException("cannot purge " + topic + "-" + partition + " before " + offset + ": "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Reads the whole topic once, handing matching entries over until {@code consumer} says stop. */
    private void scan(Predicate<Entry> wanted, Predicate<Entry> consumer) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        try (KafkaConsumer<byte[], byte[]> reader = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = reader.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition()))
                    .sorted(java.util.Comparator.comparingInt(TopicPartition::partition)).toList();
            Map<TopicPartition, Long> end = reader.endOffsets(partitions);
            for (TopicPartition tp : partitions) {
                reader.assign(List.of(tp));
                reader.seekToBeginning(List.of(tp));
                long deadline = System.currentTimeMillis() + 30_000;
                while (reader.position(tp) < end.get(tp) && System.currentTimeMillis() < deadline) {
                    for (ConsumerRecord<byte[], byte[]> record : reader.poll(Duration.ofMillis(200))) {
                        Entry entry = entry(record);
                        if (wanted.test(entry) && !consumer.test(entry)) {
                            return;
                        }
                    }
                }
            }
        }
    }

    private static Entry entry(ConsumerRecord<byte[], byte[]> record) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
        }
        return new Entry(record.partition(), record.offset(), record.timestamp(), record.key(), record.value(), headers);
    }

    @Override
    public void close() {
        producer.close();
    }
}
