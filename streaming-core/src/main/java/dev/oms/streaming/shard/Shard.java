package dev.oms.streaming.shard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.oms.streaming.BrokerMetrics;
import dev.oms.streaming.storage.PartitionLog;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One core's share of the log. A shard owns its partitions outright: it alone appends to, flushes,
 * rolls and trims them, so the append path has no lock. Other threads hand it work through a
 * bounded many-to-one queue and wait on the returned future: Agrona's ring of references
 * ({@link ManyToOneConcurrentArrayQueue}) rather than its byte ring buffer, because the hand-off
 * is a batch already in memory and the future to complete, which a byte ring buffer would make
 * it copy in and look up again.
 *
 * <p>Group commit: each {@link #doWork} drains every append that arrived meanwhile, writes them all,
 * fsyncs each touched partition once, and only then completes their futures. While one fsync runs,
 * the next group queues up. With write caching the futures complete after the write and the
 * fsync follows within the flush interval (Redpanda's write caching; off by default).
 *
 * <p>Threads: {@link #doWork} runs on the shard's own agent thread; {@link #offer}, {@link #run}
 * and {@link #own} on any thread.
 */
public final class Shard implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(Shard.class);
    private static final int MAX_APPENDS_PER_GROUP = 1024;
    /** How often a partition's housekeeping runs (segment age, retention, compaction). */
    public static final long MAINTENANCE_INTERVAL_MS = 1000;

    private final int id;
    private final boolean writeCaching;
    private final long flushIntervalMs;
    private final boolean pin;
    private final BrokerMetrics metrics;
    /** NONE until the shard's thread starts (a shard closed before that has pinned nothing). */
    private CorePinning core = CorePinning.NONE;
    private final ManyToOneConcurrentArrayQueue<Append> queue;
    /**
     * Spins briefly for latency under load, then parks until an append arrives or a timer is due
     * (maintenance, a write-caching flush), so an idle shard costs no core.
     */
    private final WakeableIdleStrategy idle = new WakeableIdleStrategy(100, 10, MAINTENANCE_INTERVAL_MS * 1_000_000);
    private final List<Append> group = new ArrayList<>(MAX_APPENDS_PER_GROUP);
    private final List<PartitionLog> touched = new ArrayList<>();
    private final List<PartitionLog> unflushed = new ArrayList<>();
    private final List<PartitionLog> owned = new CopyOnWriteArrayList<>();
    private final ShardStats stats = new ShardStats();
    private long lastMaintenanceMs;
    private long lastFlushMs;

    /**
     * @param writeCaching    acknowledge appends once written, fsync within {@code flushIntervalMs}
     * @param flushIntervalMs with write caching, the longest an acknowledged append waits for fsync
     * @param pin             pin the shard thread to a reserved core when one can be had
     */
    public Shard(int id, int queueCapacity, boolean writeCaching, long flushIntervalMs, boolean pin,
                 BrokerMetrics metrics) {
        this.pin = pin;
        this.metrics = metrics;
        this.id = id;
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
        this.writeCaching = writeCaching;
        this.flushIntervalMs = flushIntervalMs;
    }

    /** Gives this shard a partition to own from now on. */
    public void own(PartitionLog log) {
        owned.add(log);
    }

    /**
     * Queues {@code records} for append to {@code log}, which this shard must own. The future
     * completes with the first assigned offset once the batch is durable, or exceptionally.
     */
    public CompletableFuture<Long> offer(PartitionLog log, MemoryRecords records) {
        return enqueue(new Append(log, records, null));
    }

    /**
     * Runs {@code task} on the shard thread after every append queued before it (closing or
     * deleting a partition, changing its settings). The future completes when it has run.
     */
    public CompletableFuture<Long> run(ShardTask task) {
        return enqueue(new Append(null, null, task));
    }

    /** Work for the shard thread, which owns the partitions it touches. */
    @FunctionalInterface
    public interface ShardTask {
        void run(List<PartitionLog> owned) throws IOException;
    }

    /** Set as the shard closes: an append offered after its last drain would wait for ever. */
    private volatile boolean closed;

    private CompletableFuture<Long> enqueue(Append append) {
        if (closed) {
            append.result.completeExceptionally(ShardBusyException.closing(id));
        } else if (!queue.offer(append)) {
            append.result.completeExceptionally(new ShardBusyException(
                    "shard " + id + " has " + queue.capacity() + " appends waiting; retry later"));
        } else {
            idle.wake();
        }
        return append.result;
    }

    /** How the shard's thread waits for work (parked until woken or its next timer is due). */
    public WakeableIdleStrategy idleStrategy() {
        return idle;
    }

    @Override
    public void onStart() {
        core = pin ? CorePinning.pinCurrentThread(roleName()) : CorePinning.NONE;
    }

    @Override
    public int doWork() {
        long now = System.currentTimeMillis();
        int drained = queue.drain(group::add, MAX_APPENDS_PER_GROUP);
        if (drained > 0) {
            commitGroup(now);
        }
        if (writeCaching && !unflushed.isEmpty() && now - lastFlushMs >= flushIntervalMs) {
            for (PartitionLog log : unflushed) {
                flush(log);
            }
            unflushed.clear();
            lastFlushMs = now;
        }
        if (now - lastMaintenanceMs >= MAINTENANCE_INTERVAL_MS) {
            lastMaintenanceMs = now;
            for (PartitionLog log : owned) {
                try {
                    log.maintain(now);
                } catch (IOException | RuntimeException e) {
                    LOG.error("shard {}: maintenance of {} failed", id, log.topicPartition(), e);
                }
            }
        }
        long nextTimerMs = lastMaintenanceMs + MAINTENANCE_INTERVAL_MS;
        if (writeCaching && !unflushed.isEmpty()) {
            nextTimerMs = Math.min(nextTimerMs, lastFlushMs + flushIntervalMs);
        }
        idle.nextTimerIn(Math.max(0, nextTimerMs - now) * 1_000_000);
        return drained;
    }

    private void commitGroup(long now) {
        for (Append append : group) {
            if (append.task != null) {
                // Tasks see every earlier append durable, so they run between group commits.
                flushTouched();
                runTask(append);
            } else {
                write(append, now);
            }
        }
        flushTouched();
        for (Append append : group) {
            if (append.error == null) {
                append.result.complete(append.baseOffset);
            } else {
                append.result.completeExceptionally(append.error);
            }
        }
        stats.onGroup(group.size());
        metrics.onGroupCommit(group.size());
        group.clear();
    }

    private void write(Append append, long now) {
        try {
            append.baseOffset = append.log.append(append.records, now);
            metrics.onAppend(append.log.topicPartition().topic(), recordCount(append.records), append.records.sizeInBytes());
            if (!touched.contains(append.log)) {
                touched.add(append.log);
            }
        } catch (IOException | RuntimeException e) {
            append.error = e;
        }
    }

    private void flushTouched() {
        for (PartitionLog log : touched) {
            if (writeCaching) {
                log.publishUnflushed();
                if (!unflushed.contains(log)) {
                    unflushed.add(log);
                }
            } else {
                flush(log);
            }
        }
        touched.clear();
    }

    private void runTask(Append append) {
        try {
            unflushed.forEach(this::flush);
            unflushed.clear();
            append.task.run(owned);
        } catch (IOException | RuntimeException e) {
            append.error = e;
        }
    }

    private void flush(PartitionLog log) {
        long start = System.nanoTime();
        try {
            log.flush();
        } catch (IOException e) {
            // Not durable, so not acknowledged: every append of this group to the log fails.
            LOG.error("shard {}: fsync of {} failed", id, log.topicPartition(), e);
            for (Append append : group) {
                if (append.log == log && append.error == null) {
                    append.error = e;
                }
            }
        }
        long nanos = System.nanoTime() - start;
        stats.onFsync(nanos);
        metrics.onFsync(nanos);
    }

    private static int recordCount(MemoryRecords records) {
        int count = 0;
        for (var batch : records.batches()) {
            Integer n = batch.countOrNull();
            count += n == null ? 0 : n;
        }
        return count;
    }

    public ShardStats stats() {
        return stats;
    }

    @Override
    public void onClose() {
        closed = true;
        core.close();
        unflushed.forEach(this::flush);
        // Fail whatever still waits: the shard will not write it.
        queue.drain(a -> a.result.completeExceptionally(ShardBusyException.closing(id)));
    }

    @Override
    public String roleName() {
        return "oms-shard-" + id;
    }

    private static final class Append {
        final PartitionLog log;
        final MemoryRecords records;
        final ShardTask task;
        final CompletableFuture<Long> result = new CompletableFuture<>();
        long baseOffset;
        Exception error;

        Append(PartitionLog log, MemoryRecords records, ShardTask task) {
            this.log = log;
            this.records = records;
            this.task = task;
        }
    }
}
