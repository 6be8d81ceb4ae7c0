package dev.oms.engine.command;

import dev.oms.engine.order.OrderId;

/**
 * Change an open LIMIT order's price and total quantity (FIX OrderCancelReplaceRequest; the
 * quantity includes what already filled).
 */
public record ReplaceOrder(OrderId orderId, String account, String symbol, long priceTicks, long quantity)
        implements OrderCommand {
}
