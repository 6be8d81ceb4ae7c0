package dev.oms.engine.command;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * The command to place an order (FIX NewOrderSingle). Already validated field by field by whoever
 * built it; the engine still judges it against the book and the account.
 *
 * @param priceTicks the limit price in ticks; 0 for MARKET orders
 */
public record NewOrder(String account, String clientOrderId, String symbol, Side side, OrderType type,
                       TimeInForce timeInForce, long priceTicks, long quantity) implements OrderCommand {
}
