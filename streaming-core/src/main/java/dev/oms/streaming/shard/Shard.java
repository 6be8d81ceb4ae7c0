package dev.oms.streaming.shard;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import dev.oms.streaming.storage.PartitionLog;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One core's share of the log. A shard owns its partitions outright: it alone appends to and
 * flushes them, so the append path has no lock. Other threads hand it work through a bounded
 * many-to-one queue and wait on the returned future.
 *
 * <p>Group commit: each {@link #doWork} drains every append that arrived meanwhile, writes them all,
 * fsyncs each touched partition once, and only then completes their futures. While one fsync runs,
 * the next group queues up.
 *
 * <p>Threads: {@link #doWork} runs on the shard's own agent thread; {@link #offer} on any thread.
 */
public final class Shard implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(Shard.class);
    private static final int MAX_APPENDS_PER_GROUP = 1024;

    private final int id;
    private final ManyToOneConcurrentArrayQueue<Append> queue;
    private final List<Append> group = new ArrayList<>(MAX_APPENDS_PER_GROUP);
    private final List<PartitionLog> touched = new ArrayList<>();
    private final ShardStats stats = new ShardStats();

    public Shard(int id, int queueCapacity) {
        this.id = id;
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
    }

    /**
     * Queues {@code records} for append to {@code log}, which this shard must own. The future
     * completes with the first assigned offset once the batch is durable, or exceptionally.
     */
    public CompletableFuture<Long> offer(PartitionLog log, MemoryRecords records) {
        Append append = new Append(log, records);
        if (!queue.offer(append)) {
            append.result.completeExceptionally(new ShardBusyException(
                    "shard " + id + " has " + queue.capacity() + " appends waiting; retry later"));
        }
        return append.result;
    }

    @Override
    public int doWork() {
        int drained = queue.drain(group::add, MAX_APPENDS_PER_GROUP);
        if (drained == 0) {
            return 0;
        }
        for (Append append : group) {
            write(append);
        }
        for (PartitionLog log : touched) {
            flush(log);
        }
        for (Append append : group) {
            if (append.error == null) {
                append.result.complete(append.baseOffset);
            } else {
                append.result.completeExceptionally(append.error);
            }
        }
        stats.onGroup(drained);
        group.clear();
        touched.clear();
        return drained;
    }

    private void write(Append append) {
        try {
            append.baseOffset = append.log.append(append.records);
            if (!touched.contains(append.log)) {
                touched.add(append.log);
            }
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
        stats.onFsync(System.nanoTime() - start);
    }

    public ShardStats stats() {
        return stats;
    }

    @Override
    public void onClose() {
        // Fail whatever still waits: the shard will not write it.
        queue.drain(a -> a.result.completeExceptionally(new ShardBusyException("shard " + id + " is closed")));
    }

    @Override
    public String roleName() {
        return "oms-shard-" + id;
    }

    private static final class Append {
        final PartitionLog log;
        final MemoryRecords records;
        final CompletableFuture<Long> result = new CompletableFuture<>();
        long baseOffset;
        Exception error;

        Append(PartitionLog log, MemoryRecords records) {
            this.log = log;
            this.records = records;
        }
    }
}
