package dev.oms.engine.log;

import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

import org.apache.kafka.common.header.Header;

/**
 * The engine's one port to the log that holds its commands: append, read from an offset. Two
 * adapters: {@link EmbeddedOrderLog} (in-process, the default) and one over kafka-clients for an
 * external cluster. Both must pass the same contract tests.
 *
 * <p>Threads: {@link #append} from any thread; {@link #poll} of a partition from the one worker
 * that owns it.
 */
public interface OrderLog {

    /** How many partitions the command topic has. */
    int partitionCount();

    /** The partition a key goes to: Kafka's default partitioner, so any producer agrees. */
    int partitionFor(byte[] key);

    /**
     * True while this process is where {@code partition}'s commands are applied: always, except on
     * a node of a cluster that does not lead the partition (its leader's engine applies it).
     */
    boolean leads(int partition);

    /** The offset after the last durable record of {@code partition}. */
    long endOffset(int partition);

    /** Appends one record; completes with its offset once it is durable. */
    CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp,
                                   java.util.Map<String, byte[]> headers);

    /**
     * Appends an output record (an execution report, a trade, a dead letter) to partition
     * {@code partition} of {@code topic}; completes with its offset once durable. Records of one
     * worker land in the order it publishes them. An adapter may hold them until
     * {@link #flushPublished} and append them together.
     */
    CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                    java.util.Map<String, byte[]> headers);

    /**
     * Asks to have {@code listener} run (on any thread; it must be quick) whenever records become
     * durable in {@code partition}, so an idle worker can sleep until there is work. An adapter
     * that cannot tell does nothing: its {@link #poll} waits for records itself.
     */
    void onAppended(int partition, Runnable listener);

    /**
     * Appends the output records published for {@code partition} (of any output topic) that the
     * adapter still holds: one batch per topic instead of one per record.
     */
    void flushPublished(int partition);

    /**
     * Forgets what was published for {@code partition} and not made durable: output records still
     * held are dropped (their futures fail), and a failed append no longer holds back the next. For
     * a worker that starts applying the partition: it reads where each output topic ends and
     * publishes from there. Waits a bounded time for appends still in flight.
     */
    void resetPublished(int partition);

    /** Like {@link #poll}, for any topic of the log (the output topics, for followers). */
    int pollTopic(String topic, int partition, long fromOffset, int maxBytes, RecordHandler handler);

    /** The first offset still in a partition of any topic (retention and deletes move it). */
    long startOffset(String topic, int partition);

    /** The offset after the last durable record of a partition of any topic. */
    long endOffset(String topic, int partition);

    /**
     * The values of the last {@code limit} records with key {@code key} among the latest records of
     * {@code topic}'s {@code partition}, oldest first (queries of output topics).
     */
    java.util.List<byte[]> tail(String topic, int partition, byte[] key, int limit);

    /**
     * Hands durable records of {@code partition} from {@code fromOffset} on to {@code handler}, in
     * offset order, about {@code maxBytes} at most. Returns how many it handed over.
     */
    int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler);

    /** Receives polled records; the buffers and headers are valid only during the call. */
    @FunctionalInterface
    interface RecordHandler {
        void onRecord(int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value, Header[] headers);
    }
}
