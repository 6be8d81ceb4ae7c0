package dev.oms.engine.order;

/**
 * An order as the engine holds it. Immutable; the engine replaces it on every change.
 *
 * @param priceTicks limit price in ticks (see {@link PriceScale}); 0 for MARKET
 * @param createdAt  the timestamp of the NewOrder record, epoch milliseconds
 */
public record Order(OrderId id, String account, String clientOrderId, String symbol, Side side, OrderType type,
                    TimeInForce timeInForce, long priceTicks, long quantity, long filledQuantity,
                    OrdStatus status, long createdAt) {

    public long leavesQuantity() {
        return status == OrdStatus.NEW || status == OrdStatus.PARTIALLY_FILLED || status == OrdStatus.PENDING_NEW
                ? quantity - filledQuantity : 0;
    }
}
