package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.oms.engine.order.OrderId;
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
        assertThat(sorted(queuedAt)).containsExactlyElementsOf(expected(queuedAt));
    }

    /** Repeated positions do not come from the engine, but the order is defined for them too. */
    @Property
    void ordersQueuedAtTheSamePositionGoInTheOrderOfTheirIds(@ForAll @Size(max = 300) List<@LongRange(min = 0, max = 5) Long> queuedAt) {
        assertThat(sorted(queuedAt)).containsExactlyElementsOf(expected(queuedAt));
    }

    /** Ids (as packed keys) of orders {@code 0..n-1} of partition 3, added in reverse and read back in queue order. */
    private static List<Long> sorted(List<Long> queuedAt) {
        OpenOrders open = new OpenOrders();
        for (int i = queuedAt.size() - 1; i >= 0; i--) {
            open.add(new OrderId(3, i).packed(), 0, 1, Side.BUY, TimeInForce.GTC, 1, 1, 0, 0, queuedAt.get(i));
        }
        open.sortByQueue();
        List<Long> keys = new ArrayList<>();
        for (int i = 0; i < open.size(); i++) {
            assertThat(open.queuedAt(i)).isEqualTo(queuedAt.get((int) OrderId.unpack(open.key(i)).offset()));
            keys.add(open.key(i));
        }
        return keys;
    }

    private static List<Long> expected(List<Long> queuedAt) {
        List<Integer> orders = new ArrayList<>();
        for (int i = 0; i < queuedAt.size(); i++) {
            orders.add(i);
        }
        orders.sort(Comparator.<Integer>comparingLong(queuedAt::get).thenComparingInt(i -> i));
        return orders.stream().map(i -> new OrderId(3, i).packed()).toList();
    }
}
