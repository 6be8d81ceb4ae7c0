package dev.oms.streaming.shard;

import net.openhft.affinity.AffinityLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A thread's hold on a core reserved through OpenHFT affinity (cores listed in
 * {@code -Daffinity.reserved}, or all but core 0 when none are isolated). A thread that cannot
 * get one runs unpinned, and says so once in the log. Used by every agent that owns a core: the
 * log's shards and the engine's workers.
 *
 * <p>Threads: acquired and closed by the thread it pins.
 */
public final class CorePinning implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(CorePinning.class);
    public static final CorePinning NONE = new CorePinning(null);

    private final AffinityLock lock;

    private CorePinning(AffinityLock lock) {
        this.lock = lock;
    }

    /** Pins the calling thread if a core is free; {@code role} names it in the log line. */
    public static CorePinning pinCurrentThread(String role) {
        AffinityLock lock = AffinityLock.acquireLock();
        if (lock.isAllocated()) {
            LOG.info("{} pinned to cpu {}", role, lock.cpuId());
            return new CorePinning(lock);
        }
        LOG.info("{} runs unpinned: no core could be reserved", role);
        return NONE;
    }

    /** The pinned core, or -1. */
    public int cpu() {
        return lock == null ? -1 : lock.cpuId();
    }

    @Override
    public void close() {
        if (lock != null) {
            lock.release();
        }
    }
}
