package dev.oms.engine.book;

import dev.oms.engine.order.Side;

/**
 * Receives what an {@link OrderBook} did, in the order it did it, from inside the book's operations.
 * The event sequence is the book's output: the same commands always yield the same sequence.
 *
 * <p>Threads: called on the partition's engine worker, the only thread that touches the book. An
 * implementation must not call back into the book's mutating methods; queries are fine, and see the
 * state after the event.
 */
public interface BookListener {

    /**
     * A fill between the incoming (aggressor) order and a resting order, at the resting order's price.
     *
     * @param aggressorLeaves what the aggressor still has open after this fill
     * @param restingLeaves   what the resting order still has open; 0 means it left the book
     */
    void onTrade(long aggressorKey, long restingKey, Side aggressorSide, long priceTicks, long quantity,
                 long aggressorLeaves, long restingLeaves);

    /** The order now rests in the book at the back of its price level, with {@code leavesQuantity} open. */
    void onRested(long orderKey, Side side, long priceTicks, long leavesQuantity);

    /**
     * A resting order took a new price and total quantity. With {@code keptPriority} it stays where it
     * was in its level; otherwise it left the book and is matched again like a new order, which
     * {@link #onTrade}, {@link #onRested} or {@link #onCanceled} events that follow report.
     */
    void onReplaced(long orderKey, long priceTicks, long quantity, long leavesQuantity, boolean keptPriority);

    /** The order's open quantity was canceled; the order is done. */
    void onCanceled(long orderKey, long canceledQuantity, CancelReason reason);

    /** A DAY order's open quantity expired at the end of its trading day; the order is done. */
    void onExpired(long orderKey, long expiredQuantity);
}
