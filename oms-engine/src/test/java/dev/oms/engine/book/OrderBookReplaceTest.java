package dev.oms.engine.book;

import static dev.oms.engine.order.OrderType.LIMIT;
import static dev.oms.engine.order.Side.BUY;
import static dev.oms.engine.order.Side.SELL;
import static dev.oms.engine.order.TimeInForce.GTC;
import static dev.oms.engine.order.TimeInForce.IOC;
import static org.assertj.core.api.Assertions.assertThat;

import dev.oms.engine.book.BookEvent.Replaced;
import dev.oms.engine.book.BookEvent.Rested;
import dev.oms.engine.book.BookEvent.Trade;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OrderBookReplaceTest {
    private final RecordingListener events = new RecordingListener();
    private final OrderBook book = new OrderBook("ACME", SelfTradePrevention.NONE, events);

    @BeforeEach
    void twoBidsAtTheSamePrice() {
        submit(1, "alice", BUY, GTC, 100, 10);
        submit(2, "carol", BUY, GTC, 100, 10);
        events.drain();
    }

    @Test
    void quantityDownAtTheSamePriceKeepsTimePriority() {
        assertThat(book.replace(1, 100, 6)).isEqualTo(BookResult.OK);
        assertThat(events.drain()).containsExactly(new Replaced(1, 100, 6, 6, true));

        sellIoc(3, 100, 7);

        assertThat(events.drain()).containsExactly(new Trade(3, 1, SELL, 100, 6, 1, 0), new Trade(3, 2, SELL, 100, 1, 0, 9));
    }

    @Test
    void unchangedPriceAndQuantityKeepsTimePriority() {
        assertThat(book.replace(1, 100, 10)).isEqualTo(BookResult.OK);
        assertThat(events.drain()).containsExactly(new Replaced(1, 100, 10, 10, true));

        sellIoc(3, 100, 1);

        assertThat(events.drain()).containsExactly(new Trade(3, 1, SELL, 100, 1, 0, 9));
    }

    @Test
    void quantityUpLosesTimePriority() {
        assertThat(book.replace(1, 100, 11)).isEqualTo(BookResult.OK);
        assertThat(events.drain()).containsExactly(new Replaced(1, 100, 11, 11, false), new Rested(1, BUY, 100, 11));

        sellIoc(3, 100, 1);

        assertThat(events.drain()).containsExactly(new Trade(3, 2, SELL, 100, 1, 0, 9));
    }

    @Test
    void priceChangeLosesTimePriorityEvenWhenThePriceComesBack() {
        book.replace(1, 99, 10);
        book.replace(1, 100, 10);
        assertThat(events.drain()).containsExactly(new Replaced(1, 99, 10, 10, false), new Rested(1, BUY, 99, 10),
                new Replaced(1, 100, 10, 10, false), new Rested(1, BUY, 100, 10));

        sellIoc(3, 100, 1);

        assertThat(events.drain()).containsExactly(new Trade(3, 2, SELL, 100, 1, 0, 9));
    }

    @Test
    void priceChangeGoesToTheBackOfTheNewLevel() {
        submit(3, "dave", BUY, GTC, 101, 5);
        events.drain();

        book.replace(1, 101, 10);
        sellIoc(4, 101, 6);

        assertThat(events.drain()).containsSubsequence(new Trade(4, 3, SELL, 101, 5, 1, 0), new Trade(4, 1, SELL, 101, 1, 0, 9));
        assertThat(book.leavesQuantity(1)).isEqualTo(9);
    }

    @Test
    void replaceThatCrossesTradesLikeANewAggressiveOrderAndRestsTheRemainder() {
        submit(3, "bob", SELL, GTC, 102, 4);
        submit(4, "bob", SELL, GTC, 103, 4);
        events.drain();

        assertThat(book.replace(2, 102, 12)).isEqualTo(BookResult.OK);

        assertThat(events.drain()).containsExactly(new Replaced(2, 102, 12, 12, false),
                new Trade(2, 3, BUY, 102, 4, 8, 0), new Rested(2, BUY, 102, 8));
        assertThat(book.bestBid()).isEqualTo(102);
        assertThat(book.bestAsk()).isEqualTo(103);
    }

    @Test
    void replaceThatCrossesCanFillTheOrderCompletely() {
        submit(3, "bob", SELL, GTC, 102, 40);
        events.drain();

        book.replace(1, 102, 10);

        assertThat(events.drain()).containsExactly(new Replaced(1, 102, 10, 10, false), new Trade(1, 3, BUY, 102, 10, 0, 30));
        assertThat(book.isResting(1)).isFalse();
        assertThat(book.leavesQuantity(3)).isEqualTo(30);
    }

    @Test
    void newQuantityCountsWhatAlreadyFilled() {
        sellIoc(3, 100, 4);
        events.drain();

        assertThat(book.replace(1, 100, 5)).isEqualTo(BookResult.OK);

        assertThat(events.drain()).containsExactly(new Replaced(1, 100, 5, 1, true));
        assertThat(book.leavesQuantity(1)).isEqualTo(1);
        assertThat(Depth.of(book).bids()).containsExactly(new Depth.Level(100, 11, 2));
    }

    @Test
    void quantityAtOrBelowTheFilledQuantityIsRefusedAndChangesNothing() {
        sellIoc(3, 100, 4);
        events.drain();
        Depth before = Depth.of(book);

        assertThat(book.replace(1, 100, 4)).isEqualTo(BookResult.QUANTITY_AT_OR_BELOW_FILLED);
        assertThat(book.replace(1, 101, 3)).isEqualTo(BookResult.QUANTITY_AT_OR_BELOW_FILLED);

        assertThat(events.drain()).isEmpty();
        assertThat(Depth.of(book)).isEqualTo(before);
        assertThat(book.leavesQuantity(1)).isEqualTo(6);
    }

    @Test
    void invalidOrUnknownReplacesAreRefused() {
        assertThat(book.replace(99, 100, 5)).isEqualTo(BookResult.UNKNOWN_ORDER);
        assertThat(book.replace(1, 0, 5)).isEqualTo(BookResult.INVALID_PRICE);
        assertThat(book.replace(1, 100, 0)).isEqualTo(BookResult.INVALID_QUANTITY);
        assertThat(book.replace(1, 100, -3)).isEqualTo(BookResult.INVALID_QUANTITY);

        assertThat(events.drain()).isEmpty();
        assertThat(book.leavesQuantity(1)).isEqualTo(10);
    }

    private void sellIoc(long key, long price, long qty) {
        submit(key, "bob", SELL, IOC, price, qty);
    }

    private void submit(long key, String account, Side side, TimeInForce tif, long price, long qty) {
        assertThat(book.submit(key, account, side, LIMIT, tif, price, qty, key)).isEqualTo(BookResult.OK);
    }
}
