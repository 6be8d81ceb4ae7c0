package dev.oms.engine.book;

/**
 * Whether the book took a command, and if not, why. A refused command changed nothing and reported no
 * event. Immutable. The engine turns a refusal into a {@code Rejected} or {@code CancelRejected} event.
 */
public enum BookResult {
    /** Taken; what happened is reported through the {@link BookListener}. */
    OK,
    /** No resting order has this key: never placed, or already filled, canceled or expired (FIX CxlRejReason 1). */
    UNKNOWN_ORDER,
    /** An order with this key is already resting. */
    DUPLICATE_ORDER_KEY,
    /** The quantity is zero or negative. */
    INVALID_QUANTITY,
    /** A LIMIT price, or a replace price, that is zero or negative. */
    INVALID_PRICE,
    /** A replace asked for a total quantity that does not exceed what has already filled. */
    QUANTITY_AT_OR_BELOW_FILLED
}
