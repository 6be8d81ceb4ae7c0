package dev.oms.engine.worker;

import dev.oms.engine.order.Order;

/**
 * The engine's answer to one command: the order as the command left it, and, when the command
 * was refused, why (a stable code: a risk reason, TOO_LATE_TO_CANCEL, UNKNOWN_ORDER…).
 *
 * @param order  the order; null when the command named an order that does not exist
 * @param reason null when the command took effect
 */
public record Verdict(Order order, String reason) {
    public boolean accepted() {
        return reason == null;
    }
}
