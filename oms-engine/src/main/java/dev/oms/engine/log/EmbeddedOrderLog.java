package dev.oms.engine.log;

import java.util.concurrent.CompletableFuture;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.client.PartitionSubscription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.utils.Utils;

/**
 * {@link OrderLog} over the in-process {@link EmbeddedBroker}: no sockets, no copies beyond the
 * record batch itself. Threads: as {@link OrderLog}.
 */
public final class EmbeddedOrderLog implements OrderLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(EmbeddedOrderLog.class);
    private final EmbeddedBroker broker;
    private final String topic;
    private final TopicPartition[] partitions;
    private final PartitionSubscription[] subscriptions;
    /**
     * The output topics whose records are held per partition until {@link #flushPublished}. Dead
     * letters are rare and appended one by one, each waited for.
     */
    private static final java.util.List<String> OUTPUTS = java.util.List.of(Topics.ORDER_EVENTS, Topics.TRADES);
    /** Bounds one batch (about 300 KB of execution reports). */
    private static final int MAX_RECORDS_PER_BATCH = 1000;
    /** Longer than an append may take (a replicated one gives up after 30 s). */
    private static final long RESET_WAIT_SECONDS = 35;
    private final Staged[][] staged;

    /**
     * Reads commands from {@code topic} and publishes to the output topics, which are created with
     * as many partitions when missing: the records of command partition p go to partition p.
     */
    public EmbeddedOrderLog(EmbeddedBroker broker, String topic) throws java.io.IOException {
        this.broker = broker;
        this.topic = topic;
        this.partitions = new TopicPartition[broker.partitionCount(topic)];
        this.staged = new Staged[OUTPUTS.size()][partitions.length];
        broker.createTopic(Topics.ORDERS_DLT, partitions.length);
        // A symbol's partition is murmur2 of it modulo the count, and partition p of every other
        // topic holds what orders-p's commands made: no client may add partitions.
        broker.protect(topic, false, true, "the engine's command log; a symbol's partition is murmur2 of it modulo the count");
        // The engine resumes each output after its last record there: one a client wrote would
        // make it skip (or stop) its own.
        broker.protect(Topics.ORDERS_DLT, false, false, "the engine's dead letters, partition p those of " + topic + "-p");
        for (int output = 0; output < OUTPUTS.size(); output++) {
            // Deletable: a restart creates it again.
            broker.protect(OUTPUTS.get(output), true, false, "the engine's output, partition p that of " + topic + "-p");
            broker.createTopic(OUTPUTS.get(output), partitions.length);
            for (int p = 0; p < partitions.length; p++) {
                staged[output][p] = new Staged();
            }
        }
        this.subscriptions = new PartitionSubscription[partitions.length];
        for (int p = 0; p < partitions.length; p++) {
            partitions[p] = new TopicPartition(topic, p);
            subscriptions[p] = PartitionSubscription.of(broker, partitions[p], 0);
        }
    }

    @Override
    public int partitionCount() {
        return partitions.length;
    }

    @Override
    public int partitionFor(byte[] key) {
        return Utils.toPositive(Utils.murmur2(key)) % partitions.length;
    }

    @Override
    public boolean leads(int partition) {
        return broker.leads(partitions[partition]);
    }

    @Override
    public long endOffset(int partition) {
        return broker.highWatermark(partitions[partition]);
    }

    @Override
    public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp,
                                          java.util.Map<String, byte[]> headers) {
        return publish(topic, partition, key, value, timestamp, headers);
    }

    @Override
    public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                           java.util.Map<String, byte[]> headers) {
        org.apache.kafka.common.header.Header[] recordHeaders = headers.isEmpty()
                ? org.apache.kafka.common.record.internal.Record.EMPTY_HEADERS
                : headers.entrySet().stream()
                        .map(h -> new org.apache.kafka.common.header.internals.RecordHeader(h.getKey(), h.getValue()))
                        .toArray(org.apache.kafka.common.header.Header[]::new);
        SimpleRecord record = new SimpleRecord(timestamp, key, value, recordHeaders);
        int output = OUTPUTS.indexOf(topic);
        if (output < 0 || partition >= partitions.length) {
            TopicPartition tp = new TopicPartition(topic, partition);
            MemoryRecords one = MemoryRecords.withRecords(Compression.NONE, record);
            // A command comes from a client, who is told to back off (503); a dead letter is the engine's own.
            return topic.equals(this.topic) ? broker.appendAtLeader(tp, one) : appendWhenRoom(broker, tp, one);
        }
        Staged held = staged[output][partition];
        CompletableFuture<Long> offset = new CompletableFuture<>();
        held.records.add(record);
        held.offsets.add(offset);
        if (held.records.size() >= MAX_RECORDS_PER_BATCH) {
            held.appendTo(broker, new TopicPartition(topic, partition));
        }
        return offset;
    }

    @Override
    public void resetPublished(int partition) {
        for (Staged[] topic : staged) {
            topic[partition].reset();
        }
    }

    @Override
    public void flushPublished(int partition) {
        for (int output = 0; output < OUTPUTS.size(); output++) {
            staged[output][partition].appendTo(broker, new TopicPartition(OUTPUTS.get(output), partition));
        }
    }

    /**
     * Output records of one partition of one output topic, held until the worker's batch ends and
     * then appended as one record batch: one shard hand-off, one CRC and one index entry for all of
     * them instead of one each. Touched by the one worker that owns the partition.
     */
    private static final class Staged {
        final java.util.List<SimpleRecord> records = new java.util.ArrayList<>();
        final java.util.List<CompletableFuture<Long>> offsets = new java.util.ArrayList<>();
        /**
         * The previous append. A worker resumes publishing after the last record on the topic, so
         * no record may land after one that did not: a batch appended while the one before is in
         * flight waits for it, and is not appended if it failed.
         */
        CompletableFuture<Long> previous = CompletableFuture.completedFuture(0L);

        void appendTo(EmbeddedBroker broker, TopicPartition tp) {
            if (records.isEmpty()) {
                return;
            }
            java.util.List<CompletableFuture<Long>> waiting = java.util.List.copyOf(offsets);
            MemoryRecords batch = MemoryRecords.withRecords(Compression.NONE, records.toArray(SimpleRecord[]::new));
            CompletableFuture<Long> appended = previous.isDone() && !previous.isCompletedExceptionally()
                    ? appendWhenRoom(broker, tp, batch)
                    : previous.thenCompose(done -> appendWhenRoom(broker, tp, batch));
            previous = appended;
            records.clear();
            offsets.clear();
            appended.whenComplete((base, error) -> {
                for (int i = 0; i < waiting.size(); i++) {
                    if (error != null) {
                        waiting.get(i).completeExceptionally(error);
                    } else {
                        waiting.get(i).complete(base + i);
                    }
                }
            });
        }

        /** Drops held records and lets the next append go on its own, once the one in flight has settled. */
        void reset() {
            try {
                previous.handle((offset, error) -> null).get(RESET_WAIT_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // still in flight: whatever it does, the worker resumes after the last record on the log
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            IllegalStateException dropped = new IllegalStateException("output dropped: the partition is applied again");
            offsets.forEach(offset -> offset.completeExceptionally(dropped));
            records.clear();
            offsets.clear();
            previous = CompletableFuture.completedFuture(0L);
        }

    }

    /** How long the engine's own records wait for room in a full append queue (a replicated append gives up after 30 s alike). */
    private static final long ROOM_WAIT_MS = 30_000;
    /** The longest pause between two tries: a shard drains its queue in well under a millisecond a batch. */
    private static final long MAX_PAUSE_MS = 20;

    /**
     * Appends records of the engine's own (output records, dead letters), trying again while the
     * shard's append queue is full. That limit is there to turn clients away (503 with Retry-After);
     * a worker whose output it refused stopped its partition until a restart, while the commands
     * behind that output were durable already.
     */
    private static CompletableFuture<Long> appendWhenRoom(EmbeddedBroker broker, TopicPartition tp, MemoryRecords batch) {
        CompletableFuture<Long> appended = new CompletableFuture<>();
        tryAppend(broker, tp, batch, appended,
                System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(ROOM_WAIT_MS), 1);
        return appended;
    }

    private static void tryAppend(EmbeddedBroker broker, TopicPartition tp, MemoryRecords batch,
                                  CompletableFuture<Long> appended, long deadline, long pauseMs) {
        CompletableFuture<Long> attempt;
        try {
            attempt = broker.appendAtLeader(tp, batch);
        } catch (RuntimeException e) {
            attempt = CompletableFuture.failedFuture(e);
        }
        attempt.whenComplete((offset, error) -> {
            Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                    ? error.getCause() : error;
            if (error == null) {
                appended.complete(offset);
            } else if (cause instanceof dev.oms.streaming.shard.ShardBusyException busy && !busy.closing()
                    && System.nanoTime() < deadline) {
                // Nothing was written: the same batch goes again.
                CompletableFuture.delayedExecutor(pauseMs, java.util.concurrent.TimeUnit.MILLISECONDS).execute(
                        () -> tryAppend(broker, tp, batch, appended, deadline, Math.min(pauseMs * 2, MAX_PAUSE_MS)));
            } else {
                appended.completeExceptionally(cause);
            }
        });
    }

    @Override
    public int pollTopic(String topic, int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        return poll(PartitionSubscription.of(broker, new TopicPartition(topic, partition), fromOffset), partition,
                maxBytes, handler);
    }

    @Override
    public long startOffset(String topic, int partition) {
        return broker.logStartOffset(new TopicPartition(topic, partition));
    }

    @Override
    public long endOffset(String topic, int partition) {
        return broker.highWatermark(new TopicPartition(topic, partition));
    }

    @Override
    public java.util.List<byte[]> tail(String topic, int partition, byte[] key, int limit) {
        TopicPartition tp = new TopicPartition(topic, partition);
        long end = broker.highWatermark(tp);
        // Look back over a bounded window: other keys share the partition.
        long from = Math.max(broker.logStartOffset(tp), end - Math.max(1000, 20L * limit));
        java.nio.ByteBuffer wanted = java.nio.ByteBuffer.wrap(key);
        java.util.ArrayDeque<byte[]> found = new java.util.ArrayDeque<>();
        PartitionSubscription records = PartitionSubscription.of(broker, tp, from);
        while (records.position() < end && records.poll(1 << 20, (offset, timestamp, k, value) -> {
            if (k != null && k.equals(wanted)) {
                byte[] bytes = new byte[value.remaining()];
                value.get(bytes);
                found.addLast(bytes);
                if (found.size() > limit) {
                    found.removeFirst();
                }
            }
        }) > 0) {
            // collected in the handler
        }
        return java.util.List.copyOf(found);
    }

    @Override
    public void onAppended(int partition, Runnable listener) {
        broker.onHighWatermarkMoved(partitions[partition], listener);
    }

    @Override
    public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
        PartitionSubscription subscription = subscriptions[partition];
        if (subscription.position() != fromOffset) {
            subscription.seek(fromOffset);
        }
        return poll(subscription, partition, maxBytes, handler);
    }

    private static int poll(PartitionSubscription subscription, int partition, int maxBytes, RecordHandler handler) {
        return subscription.pollRecords(maxBytes, record -> handler.onRecord(partition, record.offset(),
                record.timestamp(), record.key(), record.value(), record.headers()));
    }

    @Override
    public String toString() {
        return "embedded log, topic " + topic;
    }
}
