package dev.oms.engine.worker;

import java.util.Optional;

import dev.oms.engine.command.NewOrder;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.state.OrderStore;

/**
 * Applies commands to the state, one partition at a time and in offset order. Deterministic: the
 * outcome depends only on the store and the record (its offset and timestamp), never on a clock.
 * Idempotent: applying a record again, as replay after a crash does, changes nothing.
 *
 * <p>Threads: called only by the worker that owns the partition.
 */
final class OrderProcessor {
    private final OrderStore store;

    OrderProcessor(OrderStore store) {
        this.store = store;
    }

    /** Applies a NewOrder read at {@code id}; returns the order it placed, or the original of a repeat. */
    Order apply(OrderId id, long timestamp, NewOrder command) {
        Optional<OrderId> existing = store.byClientOrderId(command.account(), command.clientOrderId());
        if (existing.isPresent()) {
            // A repeated submit (or the replay of this very record) returns the original order.
            Optional<Order> original = store.order(existing.get());
            if (original.isPresent()) {
                return original.get();
            }
        }
        Order order = new Order(id, command.account(), command.clientOrderId(), command.symbol(), command.side(),
                command.type(), command.timeInForce(), command.priceTicks(), command.quantity(), 0,
                OrdStatus.NEW, timestamp);
        // Order first, index second: a crash between the two replays into the same state.
        store.put(order);
        store.indexClientOrderId(command.account(), command.clientOrderId(), id);
        return order;
    }
}
