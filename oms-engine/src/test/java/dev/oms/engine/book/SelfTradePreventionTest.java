package dev.oms.engine.book;

import static dev.oms.engine.book.CancelReason.SELF_TRADE_PREVENTION;
import static dev.oms.engine.order.OrderType.LIMIT;
import static dev.oms.engine.order.OrderType.MARKET;
import static dev.oms.engine.order.Side.BUY;
import static dev.oms.engine.order.Side.SELL;
import static dev.oms.engine.order.TimeInForce.FOK;
import static dev.oms.engine.order.TimeInForce.GTC;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import dev.oms.engine.book.BookEvent.Canceled;
import dev.oms.engine.book.BookEvent.Replaced;
import dev.oms.engine.book.BookEvent.Rested;
import dev.oms.engine.book.BookEvent.Trade;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;

class SelfTradePreventionTest {
    private final RecordingListener events = new RecordingListener();

    /** Asks, best first: bob 3 @100, alice 4 @100, carol 5 @101. */
    private OrderBook bookWithAliceBehindBob(SelfTradePrevention mode) {
        OrderBook book = new OrderBook("ACME", mode, events);
        submit(book, 1, "bob", SELL, LIMIT, GTC, 100, 3);
        submit(book, 2, "alice", SELL, LIMIT, GTC, 100, 4);
        submit(book, 3, "carol", SELL, LIMIT, GTC, 101, 5);
        events.drain();
        return book;
    }

    @Test
    void withNoPreventionAnAccountTradesWithItself() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.NONE);

        submit(book, 4, "alice", BUY, LIMIT, GTC, 100, 5);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, BUY, 100, 3, 2, 0), new Trade(4, 2, BUY, 100, 2, 0, 2));
    }

    @Test
    void cancelNewestKeepsEarlierFillsThenCancelsTheIncomingRemainderAndLeavesTheRestingOrder() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_NEWEST);

        submit(book, 4, "alice", BUY, LIMIT, GTC, 101, 10);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, BUY, 100, 3, 7, 0),
                new Canceled(4, 7, SELF_TRADE_PREVENTION));
        assertThat(book.leavesQuantity(2)).isEqualTo(4);
        assertThat(book.leavesQuantity(3)).isEqualTo(5);
        assertThat(book.isResting(4)).isFalse();
    }

    @Test
    void cancelOldestCancelsTheRestingOrderAndKeepsMatching() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_OLDEST);

        submit(book, 4, "alice", BUY, LIMIT, GTC, 101, 10);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, BUY, 100, 3, 7, 0),
                new Canceled(2, 4, SELF_TRADE_PREVENTION), new Trade(4, 3, BUY, 101, 5, 2, 0),
                new Rested(4, BUY, 101, 2));
        assertThat(book.isResting(2)).isFalse();
    }

    @Test
    void cancelBothCancelsTheRestingOrderAndTheIncomingRemainder() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_BOTH);

        submit(book, 4, "alice", BUY, LIMIT, GTC, 101, 10);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, BUY, 100, 3, 7, 0),
                new Canceled(2, 4, SELF_TRADE_PREVENTION), new Canceled(4, 7, SELF_TRADE_PREVENTION));
        assertThat(Depth.of(book).asks()).containsExactly(new Depth.Level(101, 5, 1));
    }

    @Test
    void ownOrderBeyondTheLimitPriceIsNotAConflict() {
        OrderBook book = new OrderBook("ACME", SelfTradePrevention.CANCEL_BOTH, events);
        submit(book, 1, "alice", SELL, LIMIT, GTC, 105, 4);
        events.drain();

        submit(book, 2, "alice", BUY, LIMIT, GTC, 100, 4);

        assertThat(events.drain()).containsExactly(new Rested(2, BUY, 100, 4));
        assertThat(book.isResting(1)).isTrue();
    }

    @Test
    void marketOrderIsSubjectToPreventionToo() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_OLDEST);

        submit(book, 4, "alice", BUY, MARKET, GTC, 0, 20);

        assertThat(events.drain()).containsExactly(new Trade(4, 1, BUY, 100, 3, 17, 0),
                new Canceled(2, 4, SELF_TRADE_PREVENTION), new Trade(4, 3, BUY, 101, 5, 12, 0),
                new Canceled(4, 12, CancelReason.IMMEDIATE_OR_CANCEL));
    }

    @Test
    void fokIsKilledWhenItsOwnOrderWouldStopItUnderCancelNewest() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_NEWEST);
        Depth before = Depth.of(book);

        // 12 rest at or below 101, but matching would stop at alice's own order after 3.
        submit(book, 4, "alice", BUY, LIMIT, FOK, 101, 8);

        assertThat(events.drain()).containsExactly(new Canceled(4, 8, CancelReason.FILL_OR_KILL));
        assertThat(Depth.of(book)).isEqualTo(before);
    }

    @Test
    void fokIsKilledWithoutTouchingItsOwnOrderUnderCancelBoth() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_BOTH);
        Depth before = Depth.of(book);

        submit(book, 4, "alice", BUY, LIMIT, FOK, 101, 3 + 1);

        assertThat(events.drain()).containsExactly(new Canceled(4, 4, CancelReason.FILL_OR_KILL));
        assertThat(Depth.of(book)).isEqualTo(before);
    }

    @Test
    void fokUnderCancelOldestCountsOnlyOtherAccountsLiquidity() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_OLDEST);
        Depth before = Depth.of(book);

        submit(book, 4, "alice", BUY, LIMIT, FOK, 101, 9);
        assertThat(events.drain()).containsExactly(new Canceled(4, 9, CancelReason.FILL_OR_KILL));
        assertThat(Depth.of(book)).isEqualTo(before);

        submit(book, 5, "alice", BUY, LIMIT, FOK, 101, 8);
        assertThat(events.drain()).containsExactly(new Trade(5, 1, BUY, 100, 3, 5, 0),
                new Canceled(2, 4, SELF_TRADE_PREVENTION), new Trade(5, 3, BUY, 101, 5, 0, 0));
    }

    @Test
    void replaceThatCrossesIsSubjectToPrevention() {
        OrderBook book = bookWithAliceBehindBob(SelfTradePrevention.CANCEL_NEWEST);
        submit(book, 4, "alice", BUY, LIMIT, GTC, 99, 5);
        events.drain();

        book.replace(4, 100, 5);

        assertThat(events.drain()).containsExactly(new Replaced(4, 100, 5, 5, false), new Trade(4, 1, BUY, 100, 3, 2, 0),
                new Canceled(4, 2, SELF_TRADE_PREVENTION));
        assertThat(book.isResting(4)).isFalse();
        assertThat(book.leavesQuantity(2)).isEqualTo(4);
    }

    @Test
    void noModeOtherThanNoneEverTradesAnAccountWithItself() {
        for (SelfTradePrevention mode : List.of(SelfTradePrevention.CANCEL_NEWEST, SelfTradePrevention.CANCEL_OLDEST,
                SelfTradePrevention.CANCEL_BOTH)) {
            OrderBook book = bookWithAliceBehindBob(mode);
            submit(book, 4, "alice", BUY, MARKET, GTC, 0, 20);
            assertThat(events.drain()).as(mode.name())
                    .noneMatch(e -> e instanceof Trade trade && trade.restingKey() == 2);
        }
    }

    private void submit(OrderBook book, long key, String account, Side side, OrderType type, TimeInForce tif,
                        long price, long qty) {
        assertThat(book.submit(key, account, side, type, tif, price, qty, key)).isEqualTo(BookResult.OK);
    }
}
