package dev.oms.engine.order;

/**
 * An order as the engine holds it. Immutable; the engine replaces it on every change.
 *
 * @param priceTicks limit price in ticks (see {@link PriceScale}); 0 for MARKET
 * @param createdAt  the timestamp of the NewOrder record, epoch milliseconds
 * @param queuedAt   the offset of the command that put the order at the back of its price level
 *                   (its NewOrder, or a replace that lost priority): the book's time priority
 * @param reason     why the order was rejected, canceled or expired (a stable code), else null
 * @param placedPriceTicks the price its NewOrder gave, which a replace does not change: a NewOrder
 *                   sent again is the same submit when its terms are these
 * @param placedQuantity the quantity its NewOrder gave
 */
public record Order(OrderId id, String account, String clientOrderId, String symbol, Side side, OrderType type,
                    TimeInForce timeInForce, long priceTicks, long quantity, long filledQuantity,
                    OrdStatus status, long createdAt, long queuedAt, String reason, long placedPriceTicks,
                    long placedQuantity) {

    /** An order as placed: its terms are those of its NewOrder. */
    public Order(OrderId id, String account, String clientOrderId, String symbol, Side side, OrderType type,
                 TimeInForce timeInForce, long priceTicks, long quantity, long filledQuantity, OrdStatus status,
                 long createdAt, long queuedAt, String reason) {
        this(id, account, clientOrderId, symbol, side, type, timeInForce, priceTicks, quantity, filledQuantity, status,
                createdAt, queuedAt, reason, priceTicks, quantity);
    }

    public long leavesQuantity() {
        return isOpen() || status == OrdStatus.PENDING_NEW ? quantity - filledQuantity : 0;
    }

    /** NEW or PARTIALLY_FILLED: resting in the book. */
    public boolean isOpen() {
        return isOpen(status);
    }

    /** NEW or PARTIALLY_FILLED. */
    public static boolean isOpen(OrdStatus status) {
        return status == OrdStatus.NEW || status == OrdStatus.PARTIALLY_FILLED;
    }

    /** FILLED, CANCELED, REJECTED or EXPIRED: nothing changes the order any more. */
    public boolean isDone() {
        return isDone(status);
    }

    public static boolean isDone(OrdStatus status) {
        return status != OrdStatus.PENDING_NEW && !isOpen(status);
    }

    public Order withFill(long quantityFilled) {
        long filled = filledQuantity + quantityFilled;
        return new Order(id, account, clientOrderId, symbol, side, type, timeInForce, priceTicks, quantity, filled,
                filled == quantity ? OrdStatus.FILLED : OrdStatus.PARTIALLY_FILLED, createdAt, queuedAt, reason,
                placedPriceTicks, placedQuantity);
    }

    public Order withStatus(OrdStatus newStatus, String why) {
        return new Order(id, account, clientOrderId, symbol, side, type, timeInForce, priceTicks, quantity, filledQuantity,
                newStatus, createdAt, queuedAt, why, placedPriceTicks, placedQuantity);
    }

    public Order replaced(long newPriceTicks, long newQuantity, long newQueuedAt) {
        return new Order(id, account, clientOrderId, symbol, side, type, timeInForce, newPriceTicks, newQuantity,
                filledQuantity, filledQuantity == 0 ? OrdStatus.NEW : OrdStatus.PARTIALLY_FILLED, createdAt, newQueuedAt, null,
                placedPriceTicks, placedQuantity);
    }
}
