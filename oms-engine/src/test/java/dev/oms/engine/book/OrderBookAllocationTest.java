package dev.oms.engine.book;

import static dev.oms.engine.order.OrderType.LIMIT;
import static dev.oms.engine.order.OrderType.MARKET;
import static dev.oms.engine.order.Side.BUY;
import static dev.oms.engine.order.Side.SELL;
import static dev.oms.engine.order.TimeInForce.DAY;
import static dev.oms.engine.order.TimeInForce.FOK;
import static dev.oms.engine.order.TimeInForce.GTC;
import static dev.oms.engine.order.TimeInForce.IOC;
import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;

import dev.oms.engine.order.Side;
import org.junit.jupiter.api.Test;

/** Measures, rather than assumes, that a warmed-up book allocates nothing per order. */
class OrderBookAllocationTest {
    private final CountingListener listener = new CountingListener();
    private final OrderBook book = new OrderBook("ACME", SelfTradePrevention.CANCEL_OLDEST, listener);
    private final DepthSnapshot depth = new DepthSnapshot(5);
    private long nextKey = 1;

    @Test
    void warmedUpBookAllocatesNothingWhileMatchingReplacingCancelingAndExpiring() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (int i = 0; i < 20_000; i++) {
            oneRound(i);
        }
        long before = threads.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 20_000; i++) {
            oneRound(i);
        }
        long allocated = threads.getCurrentThreadAllocatedBytes() - before;

        assertThat(listener.events).isGreaterThan(100_000);
        assertThat(allocated).as("bytes allocated by 20 000 warmed-up rounds").isZero();
    }

    /** Rests a ladder, trades through it with every kind of order, replaces, cancels and expires the rest. */
    private void oneRound(int round) {
        long base = 1_000 + round % 50;
        long firstKey = nextKey;
        for (int level = 0; level < 5; level++) {
            book.submit(nextKey++, "maker", SELL, LIMIT, GTC, base + 1 + level, 10, round);
            book.submit(nextKey++, "other", SELL, LIMIT, DAY, base + 1 + level, 10, round);
            book.submit(nextKey++, "maker", BUY, LIMIT, DAY, base - level, 10, round);
        }
        book.replace(firstKey, base + 1, 5);
        book.replace(firstKey + 1, base + 2, 12);
        book.submit(nextKey++, "taker", BUY, LIMIT, IOC, base + 2, 15, round);
        book.submit(nextKey++, "taker", BUY, LIMIT, FOK, base + 3, 12, round);
        book.submit(nextKey++, "taker", SELL, MARKET, GTC, 0, 25, round);
        book.submit(nextKey++, "maker", SELL, LIMIT, GTC, base - 1, 8, round);
        book.submit(nextKey++, "taker", BUY, LIMIT, FOK, base, 1_000, round);
        book.depth(depth);
        listener.touch(book.bestBid() + book.bestAsk() + depth.levels(Side.BUY));
        for (long key = firstKey; key < nextKey; key++) {
            book.cancel(key);
            if (key % 3 == 0) {
                book.expireDayOrders(round + 1);
            }
        }
    }

    private static final class CountingListener implements BookListener {
        long events;
        long checksum;

        void touch(long value) {
            checksum += value;
        }

        @Override
        public void onTrade(long aggressorKey, long restingKey, Side aggressorSide, long priceTicks, long quantity,
                            long aggressorLeaves, long restingLeaves) {
            events++;
            checksum += priceTicks * quantity;
        }

        @Override
        public void onRested(long orderKey, Side side, long priceTicks, long leavesQuantity) {
            events++;
        }

        @Override
        public void onReplaced(long orderKey, long priceTicks, long quantity, long leavesQuantity, boolean keptPriority) {
            events++;
        }

        @Override
        public void onCanceled(long orderKey, long canceledQuantity, CancelReason reason) {
            events++;
        }

        @Override
        public void onExpired(long orderKey, long expiredQuantity) {
            events++;
        }
    }
}
