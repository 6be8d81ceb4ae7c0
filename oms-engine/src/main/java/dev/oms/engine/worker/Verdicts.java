package dev.oms.engine.worker;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;

/**
 * Where callers wait for the engine's verdict on a command they appended. Workers publish, per
 * partition, the next offset they have applied, then complete any waiter; a caller registers, then
 * checks that offset, so a verdict reached before the registration is never missed.
 *
 * <p>Threads: {@link #applied} from the worker owning the partition; the rest from any thread.
 */
public final class Verdicts {
    private final ConcurrentHashMap<Long, CompletableFuture<Order>> waiting = new ConcurrentHashMap<>();
    private final AtomicLongArray appliedUpTo;

    public Verdicts(int partitions) {
        this.appliedUpTo = new AtomicLongArray(partitions);
    }

    /** Registers interest in the verdict on the command at {@code id}. */
    public CompletableFuture<Order> register(OrderId id) {
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

    /** True when the command at {@code id} has been applied. */
    public boolean isApplied(OrderId id) {
        return appliedUpTo.get(id.partition()) > id.offset();
    }

    /** The worker applied the command at {@code (partition, offset)} with {@code verdict} as outcome. */
    void applied(int partition, long offset, Order verdict) {
        appliedUpTo.set(partition, offset + 1);
        if (!waiting.isEmpty()) {
            CompletableFuture<Order> waiter = waiting.remove(new OrderId(partition, offset).packed());
            if (waiter != null) {
                waiter.complete(verdict);
            }
        }
    }

    /** The worker skipped the record at {@code (partition, offset)}: there will be no verdict. */
    void failed(int partition, long offset, RuntimeException cause) {
        appliedUpTo.set(partition, offset + 1);
        CompletableFuture<Order> waiter = waiting.remove(new OrderId(partition, offset).packed());
        if (waiter != null) {
            waiter.completeExceptionally(cause);
        }
    }

    /** Publishes where a worker resumes after start, before it applies anything. */
    void resumeAt(int partition, long nextOffset) {
        appliedUpTo.set(partition, nextOffset);
    }
}
