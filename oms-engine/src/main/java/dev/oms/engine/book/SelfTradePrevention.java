package dev.oms.engine.book;

/**
 * What a book does when an incoming order would trade with a resting order of the same account
 * (FIX SelfMatchPreventionInstruction, tag 2964). Configuration of one {@link OrderBook}; immutable.
 */
public enum SelfTradePrevention {
    /** Same-account orders trade with each other like any others. */
    NONE,
    /** Cancel the incoming order's remainder; the resting order keeps its place. */
    CANCEL_NEWEST,
    /** Cancel the resting order and keep matching the incoming order. */
    CANCEL_OLDEST,
    /** Cancel both the resting order and the incoming order's remainder. */
    CANCEL_BOTH
}
