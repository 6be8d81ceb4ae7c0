package dev.oms.engine.order;

/** FIX OrdStatus (tag 39), the states an order moves through. */
public enum OrdStatus {
    /** Durable in the log, not yet applied by the engine. */
    PENDING_NEW,
    NEW,
    PARTIALLY_FILLED,
    FILLED,
    CANCELED,
    REJECTED,
    EXPIRED
}
