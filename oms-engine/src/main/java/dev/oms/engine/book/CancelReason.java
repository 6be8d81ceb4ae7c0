package dev.oms.engine.book;

/** Why the book canceled (part of) an order. Immutable; reported through {@link BookListener#onCanceled}. */
public enum CancelReason {
    /** The owner asked: an OrderCancelRequest. */
    CANCEL_REQUESTED,
    /** The remainder of an IOC or MARKET order that found nothing more to trade against. */
    IMMEDIATE_OR_CANCEL,
    /** A FOK order that could not fill whole at once; nothing traded. */
    FILL_OR_KILL,
    /** The order would have traded with its own account (see {@link SelfTradePrevention}). */
    SELF_TRADE_PREVENTION
}
