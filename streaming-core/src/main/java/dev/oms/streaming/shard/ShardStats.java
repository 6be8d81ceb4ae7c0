package dev.oms.streaming.shard;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one shard's group commits, written by the shard thread and read by anyone
 * (metrics, tests). {@code appends / fsyncs} is the group-commit factor.
 */
public final class ShardStats {
    private final AtomicLong appends = new AtomicLong();
    private final AtomicLong groups = new AtomicLong();
    private final AtomicLong fsyncs = new AtomicLong();
    private final AtomicLong fsyncNanos = new AtomicLong();

    void onGroup(int appendCount) {
        appends.addAndGet(appendCount);
        groups.incrementAndGet();
    }

    void onFsync(long nanos) {
        fsyncs.incrementAndGet();
        fsyncNanos.addAndGet(nanos);
    }

    public long appends() {
        return appends.get();
    }

    public long groups() {
        return groups.get();
    }

    public long fsyncs() {
        return fsyncs.get();
    }

    public long fsyncNanos() {
        return fsyncNanos.get();
    }
}
