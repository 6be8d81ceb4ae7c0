package dev.oms.engine.command;

import dev.oms.engine.order.OrderId;

/** Cancel the open quantity of an order (FIX OrderCancelRequest). Only the order's account may. */
public record CancelOrder(OrderId orderId, String account, String symbol) implements OrderCommand {
}
