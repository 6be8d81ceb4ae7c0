package dev.oms.engine.worker;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import dev.oms.deadletter.FailureReason;

/**
 * Counts of what the engine did, for metrics: trades and orders filled (live commands only, not
 * replays of commands already applied), retries, records dead-lettered by reason, and batches of
 * state written, behind or in place.
 *
 * <p>Threads: counted by the workers, read by any thread.
 */
public final class EngineStats {
    private final LongAdder trades = new LongAdder();
    private final LongAdder filled = new LongAdder();
    private final AtomicLong retries = new AtomicLong();
    private final LongAdder batchesWrittenBehind = new LongAdder();
    private final LongAdder batchesWrittenInPlace = new LongAdder();
    private final Map<FailureReason, AtomicLong> deadLettered = new EnumMap<>(FailureReason.class);

    public EngineStats() {
        for (FailureReason reason : FailureReason.values()) {
            deadLettered.put(reason, new AtomicLong());
        }
    }

    void onTrade() {
        trades.increment();
    }

    void onFilled() {
        filled.increment();
    }

    public long trades() {
        return trades.sum();
    }

    /** Orders whose whole quantity traded. */
    public long filled() {
        return filled.sum();
    }

    void onStateBatch(boolean behind) {
        (behind ? batchesWrittenBehind : batchesWrittenInPlace).increment();
    }

    /**
     * Batches whose state was written to the store by the worker's writer thread while the worker
     * applied the next ({@code behind}), or by the worker itself (small batches: low load).
     */
    public long stateBatches(boolean behind) {
        return (behind ? batchesWrittenBehind : batchesWrittenInPlace).sum();
    }

    void onRetry() {
        retries.incrementAndGet();
    }

    void onDeadLettered(FailureReason reason) {
        deadLettered.get(reason).incrementAndGet();
    }

    public long retries() {
        return retries.get();
    }

    public long deadLettered(FailureReason reason) {
        return deadLettered.get(reason).get();
    }
}
