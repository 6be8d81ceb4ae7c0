package dev.oms.engine.book;

import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * An order as the book holds it: a node of its price level's FIFO queue, or the incoming order while
 * it matches. Pooled by the book and reused, so every field is mutable. Engine worker only.
 */
final class RestingOrder {
    long key;
    String account;
    Side side;
    TimeInForce timeInForce;
    long priceTicks;
    /** FIX OrderQty: the total ordered; only a replace changes it. */
    long quantity;
    /** FIX CumQty: how much of {@link #quantity} has traded. */
    long filled;
    /** Record time of the NewOrder; a replace keeps it, since the order's trading day does not change. */
    long timestamp;
    PriceLevel level;
    RestingOrder previous;
    /** The next order in the level's queue, or the next free node while pooled. */
    RestingOrder next;

    long leaves() {
        return quantity - filled;
    }
}
