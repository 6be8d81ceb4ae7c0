package dev.oms.engine.worker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.oms.engine.order.OrderId;

/**
 * Where callers wait for the engine's verdict on a command they appended. Workers publish, per
 * partition, the next offset they have applied, then complete any waiter; a caller registers, then
 * checks that offset, so a verdict reached before the registration is never missed.
 *
 * <p>Threads: {@link #applied} from the worker owning the partition; the rest from any thread.
 */
public final class Verdicts {
    /** Verdicts kept per partition for callers that register late. */
    private static final int RECENT = 1 << 14;

    private final ConcurrentHashMap<Long, CompletableFuture<Verdict>> waiting = new ConcurrentHashMap<>();
    /** Verdicts nobody waited for yet (the caller registers after the append returns), newest kept. */
    private final ConcurrentHashMap<Long, Verdict> recent = new ConcurrentHashMap<>();
    /** Per partition, the keys in {@link #recent} oldest first; each touched only by the partition's worker. */
    private final org.agrona.collections.LongArrayQueue[] recentOrder;
    private final AtomicLongArray appliedUpTo;

    public Verdicts(int partitions) {
        this.appliedUpTo = new AtomicLongArray(partitions);
        this.recentOrder = new org.agrona.collections.LongArrayQueue[partitions];
        for (int p = 0; p < partitions; p++) {
            recentOrder[p] = new org.agrona.collections.LongArrayQueue(Long.MIN_VALUE);
        }
    }

    /** Registers interest in the verdict on the command at {@code id}. */
    public CompletableFuture<Verdict> register(OrderId id) {
        return waiting.computeIfAbsent(id.packed(), k -> new CompletableFuture<>());
    }

    /** Drops a registration the caller no longer waits for. */
    public void forget(OrderId id) {
        waiting.remove(id.packed());
    }

    /** The next offset of {@code partition} the engine will apply. */
    public long appliedUpTo(int partition) {
        return appliedUpTo.get(partition);
    }

    /** The verdict on an applied command nobody waited for, if it is still kept. */
    public Verdict takeRecent(OrderId id) {
        return recent.remove(id.packed());
    }

    /** True when the command at {@code id} has been applied. */
    public boolean isApplied(OrderId id) {
        return appliedUpTo.get(id.partition()) > id.offset();
    }

    /** The worker applied the command at {@code (partition, offset)} with {@code verdict} as outcome. */
    void applied(int partition, long offset, Verdict verdict) {
        long key = new OrderId(partition, offset).packed();
        CompletableFuture<Verdict> waiter = waiting.remove(key);
        if (waiter != null) {
            appliedUpTo.set(partition, offset + 1);
            waiter.complete(verdict);
            return;
        }
        recent.put(key, verdict);
        org.agrona.collections.LongArrayQueue order = recentOrder[partition];
        order.offerLong(key);
        if (order.size() > RECENT) {
            recent.remove(order.pollLong());
        }
        // Published after the verdict is kept, so a caller that sees it applied finds the verdict.
        appliedUpTo.set(partition, offset + 1);
        waiter = waiting.remove(key);
        if (waiter != null) {
            recent.remove(key);
            waiter.complete(verdict);
        }
    }

    /** The worker skipped the record at {@code (partition, offset)}: there will be no verdict. */
    void failed(int partition, long offset, RuntimeException cause) {
        appliedUpTo.set(partition, offset + 1);
        CompletableFuture<Verdict> waiter = waiting.remove(new OrderId(partition, offset).packed());
        if (waiter != null) {
            waiter.completeExceptionally(cause);
        }
    }

    /** The record at {@code (partition, offset)} was applied but its batch did not stick: no verdict now. */
    void abandoned(int partition, long offset, RuntimeException cause) {
        CompletableFuture<Verdict> waiter = waiting.remove(new OrderId(partition, offset).packed());
        if (waiter != null) {
            waiter.completeExceptionally(cause);
        }
    }

    /** The partition is applied elsewhere from now on (its leadership moved): nobody here gets a verdict on it. */
    void abandonAll(int partition, RuntimeException cause) {
        waiting.entrySet().removeIf(waiter -> {
            if (OrderId.unpack(waiter.getKey()).partition() != partition) {
                return false;
            }
            waiter.getValue().completeExceptionally(cause);
            return true;
        });
    }

    /** Publishes where a worker resumes after start, before it applies anything. */
    void resumeAt(int partition, long nextOffset) {
        appliedUpTo.set(partition, nextOffset);
    }
}
