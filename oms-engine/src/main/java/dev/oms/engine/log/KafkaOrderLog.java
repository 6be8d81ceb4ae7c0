package dev.oms.engine.log;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link OrderLog} over kafka-clients, for running the engine against an external Kafka or
 * Redpanda cluster ({@code ./oms start --brokers host:9092}). Appends use an idempotent producer
 * with acks=all, so "durable" means what the cluster's replication makes it; each partition is
 * read by its own consumer, assigned (no group), confined to the worker that owns the partition.
 *
 * <p>Threads: {@link #append} and {@link #publish} from any thread; {@link #poll} of a partition
 * from its one worker; the other reads lock the consumer they use.
 */
public final class KafkaOrderLog implements OrderLog, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaOrderLog.class);
    private static final Duration POLL = Duration.ofMillis(1);
    /** How long an append may wait for the cluster to make it durable. */
    static final Duration APPEND_TIMEOUT = Duration.ofSeconds(10);

    private final String bootstrap;
    private final String topic;
    private final int partitions;
    private final KafkaProducer<byte[], byte[]> producer;
    private final Admin admin;
    private final Map<TopicPartition, KafkaConsumer<byte[], byte[]>> consumers = new ConcurrentHashMap<>();

    /**
     * Connects to {@code bootstrap} and creates the command topic and the output topics with
     * {@code partitionsIfCreated} partitions where they are missing.
     */
    public KafkaOrderLog(String bootstrap, String topic, int partitionsIfCreated) throws InterruptedException {
        this.bootstrap = bootstrap;
        this.topic = topic;
        Properties adminProps = new Properties();
        adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        this.admin = Admin.create(adminProps);
        try {
            for (String name : List.of(topic, Topics.ORDER_EVENTS, Topics.TRADES, Topics.ORDERS_DLT)) {
                try {
                    admin.createTopics(List.of(new NewTopic(name, partitionsIfCreated, (short) -1))).all().get();
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw new IllegalStateException("cannot create topic " + name + " on " + bootstrap + ": "
                                + e.getCause().getMessage(), e.getCause());
                    }
                }
            }
            this.partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get().get(topic).partitions().size();
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot describe topic " + topic + " on " + bootstrap + ": "
                    + e.getCause().getMessage(), e.getCause());
        }
        Properties producerProps = new Properties();
        producerProps.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        producerProps.put(ProducerConfig.ACKS_CONFIG, "all");
        producerProps.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerProps.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        // An append that the cluster cannot take within this fails (the API answers 503 and the
        // client retries: a repeated clientOrderId is harmless) instead of holding the request
        // for Kafka's default two minutes.
        // Waiting for metadata and waiting for delivery add up: 5 s + 10 s at most.
        producerProps.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) APPEND_TIMEOUT.toMillis() / 2);
        producerProps.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) APPEND_TIMEOUT.toMillis() / 2);
        producerProps.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) APPEND_TIMEOUT.toMillis());
        this.producer = new KafkaProducer<>(producerProps, new ByteArraySerializer(), new ByteArraySerializer());
    }

    @Override
    public int partitionCount() {
        return partitions;
    }

    @Override
    public int partitionFor(byte[] key) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions;
    }

    @Override
    public boolean leads(int partition) {
        return true; // this process is the engine of every partition; the cluster replicates the log
    }

    @Override
    public long endOffset(int partition) {
        return endOffset(topic, partition);
    }

    @Override
    public long startOffset(String name, int partition) {
        KafkaConsumer<byte[], byte[]> consumer = consumer(new TopicPartition(name, partition));
        synchronized (consumer) {
            return consumer.beginningOffsets(Set.of(new TopicPartition(name, partition))).values().iterator().next();
        }
    }

    @Override
    public long endOffset(String name, int partition) {
        KafkaConsumer<byte[], byte[]> consumer = consumer(new TopicPartition(name, partition));
        synchronized (consumer) {
            return consumer.endOffsets(Set.of(new TopicPartition(name, partition))).values().iterator().next();
        }
    }

    @Override
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp,
                                          Map<String, byte[]> headers) {
        return publish(topic, partition, key, value, timestamp, headers);
    }

    @Override
    public CompletableFuture<Long> publish(String name, int partition, byte[] key, byte[] value, long timestamp,
                                           Map<String, byte[]> headers) {
        ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(name, partition, timestamp, key, value);
        headers.forEach((k, v) -> record.headers().add(k, v));
        CompletableFuture<Long> offset = new CompletableFuture<>();
        producer.send(record, (metadata, error) -> {
            if (error != null) {
                offset.completeExceptionally(error);
            } else {
                offset.complete(metadata.offset());
            }
        });
        return offset;
    }

    @Override
    public void resetPublished(int partition) {
        // Each record was sent on its own: nothing is held here.
    }

    @Override
    public void flushPublished(int partition) {
        // The producer batches by itself (linger.ms): publish() sent each record already.
    }

    @Override
    public void onAppended(int partition, Runnable listener) {
        // Nothing tells a Kafka client of new records but a fetch: poll() long-polls instead.
    }

    @Override
    public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        return pollTopic(topic, partition, fromOffset, maxBytes, handler);
    }

    @Override
    public int pollTopic(String name, int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        TopicPartition tp = new TopicPartition(name, partition);
        KafkaConsumer<byte[], byte[]> consumer = consumer(tp);
        synchronized (consumer) {
            if (consumer.position(tp) != fromOffset) {
                consumer.seek(tp, fromOffset);
            }
            int handled = 0;
            for (ConsumerRecord<byte[], byte[]> record : consumer.poll(POLL)) {
                handler.onRecord(partition, record.offset(), record.timestamp(), wrap(record.key()), wrap(record.value()),
                        record.headers().toArray());
                handled++;
            }
            return handled;
        }
    }

    @Override
    public List<byte[]> tail(String name, int partition, byte[] key, int limit) {
        TopicPartition tp = new TopicPartition(name, partition);
        KafkaConsumer<byte[], byte[]> consumer = consumer(tp);
        ByteBuffer wanted = ByteBuffer.wrap(key);
        ArrayDeque<byte[]> found = new ArrayDeque<>();
        synchronized (consumer) {
            long end = consumer.endOffsets(Set.of(tp)).get(tp);
            long start = consumer.beginningOffsets(Set.of(tp)).get(tp);
            consumer.seek(tp, Math.max(start, end - Math.max(1000, 20L * limit)));
            long deadline = System.currentTimeMillis() + 5000;
            while (consumer.position(tp) < end && System.currentTimeMillis() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(100))) {
                    if (record.key() != null && ByteBuffer.wrap(record.key()).equals(wanted)) {
                        found.addLast(record.value());
                        if (found.size() > limit) {
                            found.removeFirst();
                        }
                    }
                }
            }
        }
        return new ArrayList<>(found);
    }

    private KafkaConsumer<byte[], byte[]> consumer(TopicPartition tp) {
        return consumers.computeIfAbsent(tp, p -> {
            Properties props = new Properties();
            props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
            props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            consumer.assign(List.of(p));
            return consumer;
        });
    }

    private static ByteBuffer wrap(byte[] bytes) {
        return bytes == null ? null : ByteBuffer.wrap(bytes);
    }

    @Override
    public String toString() {
        return "Kafka cluster " + bootstrap + ", topic " + topic;
    }

    @Override
    public void close() {
        producer.close(APPEND_TIMEOUT);
        consumers.values().forEach(c -> {
            synchronized (c) {
                c.close();
            }
        });
        admin.close();
    }
}
