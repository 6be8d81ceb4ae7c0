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
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;

import dev.oms.engine.book.BookEvent.Canceled;
import dev.oms.engine.book.BookEvent.Rested;
import dev.oms.engine.book.BookEvent.Trade;
import dev.oms.engine.book.Depth.Level;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;

class OrderBookMatchingTest {
    private final RecordingListener events = new RecordingListener();
    private final OrderBook book = new OrderBook("ACME", SelfTradePrevention.NONE, events);

    @Test
    void limitOrderThatDoesNotCrossRestsAtItsPrice() {
        submit(1, "alice", BUY, LIMIT, GTC, 100, 5);
        submit(2, "bob", SELL, LIMIT, GTC, 101, 7);

        assertThat(events.drain()).containsExactly(new Rested(1, BUY, 100, 5), new Rested(2, SELL, 101, 7));
        assertThat(book.bestBid()).isEqualTo(100);
        assertThat(book.bestAsk()).isEqualTo(101);
        assertThat(book.leavesQuantity(1)).isEqualTo(5);
        assertThat(book.restingOrderCount()).isEqualTo(2);
    }

    @Test
    void emptyBookHasNoBestPrices() {
        assertThat(book.bestBid()).isEqualTo(OrderBook.NO_PRICE);
        assertThat(book.bestAsk()).isEqualTo(OrderBook.NO_PRICE);
        assertThat(Depth.of(book)).isEqualTo(new Depth(List.of(), List.of()));
    }

    @Test
    void incomingOrderTradesAtTheRestingPriceNotAtItsOwnLimit() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 5);
        events.drain();

        submit(2, "bob", BUY, LIMIT, GTC, 105, 5);

        assertThat(events.drain()).containsExactly(new Trade(2, 1, BUY, 100, 5, 0, 0));
        assertThat(book.restingOrderCount()).isZero();
    }

    @Test
    void sweepsLevelsBestPriceFirstAndRestsTheRemainderAtItsLimit() {
        submit(1, "alice", SELL, LIMIT, GTC, 102, 3);
        submit(2, "alice", SELL, LIMIT, GTC, 100, 2);
        submit(3, "alice", SELL, LIMIT, GTC, 101, 4);
        submit(4, "alice", SELL, LIMIT, GTC, 103, 9);
        events.drain();

        submit(5, "bob", BUY, LIMIT, GTC, 102, 12);

        assertThat(events.drain()).containsExactly(
                new Trade(5, 2, BUY, 100, 2, 10, 0),
                new Trade(5, 3, BUY, 101, 4, 6, 0),
                new Trade(5, 1, BUY, 102, 3, 3, 0),
                new Rested(5, BUY, 102, 3));
        assertThat(book.bestBid()).isEqualTo(102);
        assertThat(book.bestAsk()).isEqualTo(103);
    }

    @Test
    void earlierOrderAtTheSamePriceFillsFirst() {
        submit(7, "alice", BUY, LIMIT, GTC, 100, 4);
        submit(3, "carol", BUY, LIMIT, GTC, 100, 4);
        events.drain();

        submit(9, "bob", SELL, LIMIT, GTC, 100, 6);

        // Key 3 is smaller but came later: time, not key, decides.
        assertThat(events.drain()).containsExactly(new Trade(9, 7, SELL, 100, 4, 2, 0), new Trade(9, 3, SELL, 100, 2, 0, 2));
    }

    @Test
    void partiallyFilledRestingOrderKeepsItsPlaceAtTheFront() {
        submit(1, "alice", BUY, LIMIT, GTC, 100, 10);
        submit(2, "carol", BUY, LIMIT, GTC, 100, 10);
        submit(3, "bob", SELL, LIMIT, IOC, 100, 4);
        events.drain();

        submit(4, "bob", SELL, LIMIT, IOC, 100, 7);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, SELL, 100, 6, 1, 0), new Trade(4, 2, SELL, 100, 1, 0, 9));
    }

    @Test
    void iocTradesWhatItCanAndCancelsTheRemainder() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 3);
        submit(2, "alice", SELL, LIMIT, GTC, 102, 3);
        events.drain();

        submit(3, "bob", BUY, LIMIT, IOC, 101, 5);

        assertThat(events.drain()).containsExactly(new Trade(3, 1, BUY, 100, 3, 2, 0),
                new Canceled(3, 2, CancelReason.IMMEDIATE_OR_CANCEL));
        assertThat(book.isResting(3)).isFalse();
        assertThat(book.bestBid()).isEqualTo(OrderBook.NO_PRICE);
    }

    @Test
    void iocThatCannotTradeIsCanceledWhole() {
        submit(1, "bob", BUY, LIMIT, IOC, 100, 5);

        assertThat(events.drain()).containsExactly(new Canceled(1, 5, CancelReason.IMMEDIATE_OR_CANCEL));
        assertThat(book.restingOrderCount()).isZero();
    }

    @Test
    void fokThatCanFillWholeTradesAcrossLevels() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 3);
        submit(2, "carol", SELL, LIMIT, GTC, 101, 3);
        events.drain();

        submit(3, "bob", BUY, LIMIT, FOK, 101, 5);

        assertThat(events.drain()).containsExactly(new Trade(3, 1, BUY, 100, 3, 2, 0), new Trade(3, 2, BUY, 101, 2, 0, 1));
    }

    @Test
    void fokThatCannotFillWholeIsKilledAndChangesNothing() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 3);
        submit(2, "carol", SELL, LIMIT, GTC, 101, 3);
        submit(3, "carol", SELL, LIMIT, GTC, 102, 10);
        events.drain();
        Depth before = Depth.of(book);

        // 6 available at or below 101; the 10 at 102 are beyond the limit and must not count.
        submit(4, "bob", BUY, LIMIT, FOK, 101, 7);

        assertThat(events.drain()).containsExactly(new Canceled(4, 7, CancelReason.FILL_OR_KILL));
        assertThat(Depth.of(book)).isEqualTo(before);
    }

    @Test
    void marketOrderTakesAnyPriceAndCancelsWhatTheBookCannotFill() {
        submit(1, "alice", BUY, LIMIT, GTC, 100, 2);
        submit(2, "alice", BUY, LIMIT, GTC, 1, 2);
        events.drain();

        submit(3, "bob", SELL, MARKET, GTC, 0, 6);

        assertThat(events.drain()).containsExactly(new Trade(3, 1, SELL, 100, 2, 4, 0), new Trade(3, 2, SELL, 1, 2, 2, 0),
                new Canceled(3, 2, CancelReason.IMMEDIATE_OR_CANCEL));
        assertThat(book.restingOrderCount()).isZero();
    }

    @Test
    void marketOrderWithNothingToMatchIsCanceled() {
        submit(1, "bob", BUY, MARKET, DAY, 0, 6);

        assertThat(events.drain()).containsExactly(new Canceled(1, 6, CancelReason.IMMEDIATE_OR_CANCEL));
        assertThat(book.isResting(1)).isFalse();
    }

    @Test
    void marketFokIsKilledWhenTheWholeBookIsTooThin() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 2);
        events.drain();

        submit(2, "bob", BUY, MARKET, FOK, 0, 3);

        assertThat(events.drain()).containsExactly(new Canceled(2, 3, CancelReason.FILL_OR_KILL));
        assertThat(book.leavesQuantity(1)).isEqualTo(2);
    }

    @Test
    void dayOrderRestsLikeGtc() {
        submit(1, "alice", SELL, LIMIT, DAY, 100, 2);

        assertThat(events.drain()).containsExactly(new Rested(1, SELL, 100, 2));
    }

    @Test
    void cancelTakesTheOrderOutAndReportsItsOpenQuantity() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 5);
        submit(2, "bob", BUY, LIMIT, GTC, 100, 2);
        events.drain();

        assertThat(book.cancel(1)).isEqualTo(BookResult.OK);

        assertThat(events.drain()).containsExactly(new Canceled(1, 3, CancelReason.CANCEL_REQUESTED));
        assertThat(book.isResting(1)).isFalse();
        assertThat(book.leavesQuantity(1)).isZero();
        assertThat(book.bestAsk()).isEqualTo(OrderBook.NO_PRICE);
    }

    @Test
    void cancelOfAnOrderThatIsNotRestingIsRefused() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 5);
        submit(2, "bob", BUY, LIMIT, GTC, 100, 5);
        events.drain();

        assertThat(book.cancel(1)).isEqualTo(BookResult.UNKNOWN_ORDER);
        assertThat(book.cancel(42)).isEqualTo(BookResult.UNKNOWN_ORDER);
        assertThat(events.drain()).isEmpty();
    }

    @Test
    void invalidOrdersAreRefusedWithoutEventsOrChange() {
        submit(1, "alice", SELL, LIMIT, GTC, 100, 5);
        events.drain();
        Depth before = Depth.of(book);

        assertThat(book.submit(2, "bob", BUY, LIMIT, GTC, 100, 0, 0)).isEqualTo(BookResult.INVALID_QUANTITY);
        assertThat(book.submit(2, "bob", BUY, MARKET, IOC, 0, -1, 0)).isEqualTo(BookResult.INVALID_QUANTITY);
        assertThat(book.submit(2, "bob", BUY, LIMIT, GTC, 0, 5, 0)).isEqualTo(BookResult.INVALID_PRICE);
        assertThat(book.submit(2, "bob", BUY, LIMIT, IOC, -100, 5, 0)).isEqualTo(BookResult.INVALID_PRICE);
        assertThat(book.submit(1, "bob", BUY, LIMIT, GTC, 100, 5, 0)).isEqualTo(BookResult.DUPLICATE_ORDER_KEY);

        assertThat(events.drain()).isEmpty();
        assertThat(Depth.of(book)).isEqualTo(before);
    }

    @Test
    void depthShowsTheTopLevelsOfEachSideBestFirst() {
        submit(1, "a", BUY, LIMIT, GTC, 99, 1);
        submit(2, "a", BUY, LIMIT, GTC, 100, 2);
        submit(3, "b", BUY, LIMIT, GTC, 100, 3);
        submit(4, "a", BUY, LIMIT, GTC, 98, 4);
        submit(5, "a", SELL, LIMIT, GTC, 103, 5);
        submit(6, "a", SELL, LIMIT, GTC, 101, 6);
        DepthSnapshot snapshot = new DepthSnapshot(2);

        book.depth(snapshot);

        assertThat(snapshot.levels(BUY)).isEqualTo(2);
        assertThat(List.of(level(snapshot, BUY, 0), level(snapshot, BUY, 1)))
                .containsExactly(new Level(100, 5, 2), new Level(99, 1, 1));
        assertThat(List.of(level(snapshot, SELL, 0), level(snapshot, SELL, 1)))
                .containsExactly(new Level(101, 6, 1), new Level(103, 5, 1));
        assertThatThrownBy(() -> snapshot.priceTicks(BUY, 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void levelsEmptiedByTradesAndCancelsLeaveTheDepth() {
        submit(1, "a", BUY, LIMIT, GTC, 100, 2);
        submit(2, "a", BUY, LIMIT, GTC, 99, 2);
        submit(3, "a", BUY, LIMIT, GTC, 98, 2);
        book.cancel(2);
        submit(4, "b", SELL, LIMIT, IOC, 100, 2);

        assertThat(Depth.of(book)).isEqualTo(new Depth(List.of(new Level(98, 2, 1)), List.of()));
        assertThat(book.bestBid()).isEqualTo(98);
    }

    @Test
    void worksWithPackedOrderIdsAsKeys() {
        long first = new OrderId(3, 17).packed();
        long second = new OrderId(3, 18).packed();
        submit(first, "alice", SELL, LIMIT, GTC, 100, 1);
        submit(second, "bob", BUY, LIMIT, GTC, 100, 1);

        assertThat(events.drain()).containsExactly(new Rested(first, SELL, 100, 1), new Trade(second, first, BUY, 100, 1, 0, 0));
    }

    @Test
    void manyLevelsStaySortedAsTheyGrowAndShrink() {
        for (int i = 0; i < 200; i++) {
            long price = 1_000 + (i * 37L) % 200; // every price 1000..1199 once, in scrambled order
            submit(i + 1, "a", SELL, LIMIT, GTC, price, 1);
        }
        events.drain();

        submit(1_000, "b", BUY, MARKET, IOC, 0, 200);

        List<Long> prices = events.drain().stream().map(e -> ((Trade) e).priceTicks()).toList();
        assertThat(prices).hasSize(200).isSorted().startsWith(1_000L).endsWith(1_199L);
    }

    private static Level level(DepthSnapshot snapshot, Side side, int depth) {
        return new Level(snapshot.priceTicks(side, depth), snapshot.quantity(side, depth), snapshot.orderCount(side, depth));
    }

    private void submit(long key, String account, Side side, OrderType type, TimeInForce tif, long price, long qty) {
        assertThat(book.submit(key, account, side, type, tif, price, qty, key)).isEqualTo(BookResult.OK);
    }
}
