package dev.oms.engine.book;

import static dev.oms.engine.order.OrderType.LIMIT;
import static dev.oms.engine.order.Side.BUY;
import static dev.oms.engine.order.Side.SELL;
import static dev.oms.engine.order.TimeInForce.DAY;
import static dev.oms.engine.order.TimeInForce.GTC;
import static dev.oms.engine.order.TimeInForce.IOC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oms.engine.book.BookEvent.Expired;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;

class DayOrderExpiryTest {
    private final RecordingListener events = new RecordingListener();
    private final OrderBook book = new OrderBook("ACME", SelfTradePrevention.NONE, events);

    @Test
    void expiresOnlyDayOrdersPlacedBeforeTheCutoff() {
        submit(1, BUY, DAY, 100, 1_000);
        submit(2, BUY, GTC, 100, 1_000);
        submit(3, SELL, DAY, 105, 1_999);
        submit(4, SELL, DAY, 105, 2_000);
        events.drain();

        assertThat(book.expireDayOrders(2_000)).isEqualTo(2);

        assertThat(events.drain()).containsExactly(new Expired(1, 5), new Expired(3, 5));
        assertThat(book.isResting(2)).isTrue();
        assertThat(book.isResting(4)).isTrue();
        assertThat(book.restingOrderCount()).isEqualTo(2);
    }

    @Test
    void expiresInOrderKeyOrderWhateverTheBookLayout() {
        submit(30, SELL, DAY, 103, 1);
        submit(10, BUY, DAY, 99, 2);
        submit(50, SELL, DAY, 101, 3);
        submit(20, BUY, DAY, 100, 4);
        submit(40, BUY, DAY, 100, 5);
        events.drain();

        book.expireDayOrders(10);

        assertThat(events.drain()).extracting(BookEvent::orderKey).containsExactly(10L, 20L, 30L, 40L, 50L);
        assertThat(book.restingOrderCount()).isZero();
        assertThat(book.bestBid()).isEqualTo(OrderBook.NO_PRICE);
        assertThat(book.bestAsk()).isEqualTo(OrderBook.NO_PRICE);
    }

    @Test
    void partiallyFilledDayOrderExpiresOnlyItsOpenQuantity() {
        submit(1, BUY, DAY, 100, 1);
        assertThat(book.submit(2, "bob", SELL, LIMIT, IOC, 100, 2, 2)).isEqualTo(BookResult.OK);
        events.drain();

        book.expireDayOrders(10);

        assertThat(events.drain()).containsExactly(new Expired(1, 3));
    }

    @Test
    void replacedDayOrderKeepsTheTradingDayItWasPlacedOn() {
        submit(1, BUY, DAY, 100, 1_000);
        book.replace(1, 101, 9);
        events.drain();

        book.expireDayOrders(1_001);

        assertThat(events.drain()).containsExactly(new Expired(1, 9));
    }

    @Test
    void expiryWithNothingToExpireReportsNothing() {
        submit(1, BUY, GTC, 100, 1);

        assertThat(book.expireDayOrders(Long.MAX_VALUE)).isZero();
        events.drain();
        assertThat(book.expireDayOrders(Long.MAX_VALUE)).isZero();
        assertThat(events.drain()).isEmpty();
    }

    @Test
    void expiresMoreOrdersThanItsScratchSpaceFirstHolds() {
        for (int key = 1; key <= 500; key++) {
            submit(key, key % 2 == 0 ? BUY : SELL, DAY, key % 2 == 0 ? 100 - key % 7 : 200 + key % 7, key);
        }
        events.drain();

        assertThat(book.expireDayOrders(1_000)).isEqualTo(500);

        assertThat(events.drain()).extracting(BookEvent::orderKey).hasSize(500).isSorted();
        assertThat(book.restingOrderCount()).isZero();
    }

    private void submit(long key, Side side, TimeInForce tif, long price, long timestamp) {
        assertThat(book.submit(key, "alice", side, LIMIT, tif, price, 5, timestamp)).isEqualTo(BookResult.OK);
    }
}
