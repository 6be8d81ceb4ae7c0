package dev.oms.engine.worker;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.oms.deadletter.FailureReason;

/** Counts of the engine's failure handling, for metrics: retries, and records dead-lettered by reason. */
public final class DeadLetterStats {
    private final AtomicLong retries = new AtomicLong();
    private final Map<FailureReason, AtomicLong> deadLettered = new EnumMap<>(FailureReason.class);

    public DeadLetterStats() {
        for (FailureReason reason : FailureReason.values()) {
            deadLettered.put(reason, new AtomicLong());
        }
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
