package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;

/** Restored open orders go back into their books in queue order: by queue position, then by id. */
class QueueOrderProperties {
    @Property
    void sortingByPackedKeysGivesQueueOrder(@ForAll @Size(max = 300) List<@LongRange(min = 0, max = (1L << 40) - 1) Long> queuedAt) {
        List<Order> orders = new ArrayList<>();
        for (int i = 0; i < queuedAt.size(); i++) {
            orders.add(new Order(new OrderId(0, i), "a", "c" + i, "S", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, 1, 1, 0,
                    OrdStatus.NEW, 0, queuedAt.get(i), null));
        }
        List<Order> expected = new ArrayList<>(orders);
        expected.sort(Comparator.comparingLong(Order::queuedAt).thenComparingLong(o -> o.id().offset()));
        OrderStore.sortByQueue(orders);
        assertThat(orders).containsExactlyElementsOf(expected);
    }
}
