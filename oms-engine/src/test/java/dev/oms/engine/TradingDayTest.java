package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.ExecutionException;

import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.order.TradingDay;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.engine.worker.Verdict;
import org.junit.jupiter.api.Test;

/**
 * Done orders leave the store when their partition's next trading day begins (a UTC day of record
 * time), so that a data directory's store holds the open orders and one day's done ones, not every
 * order ever placed; and a restart or a full replay removes the same orders at the same record.
 */
class TradingDayTest extends EngineTestBase {
    private static final int PARTITIONS = 2;
    /** 2026-01-01T00:00:00Z. */
    private static final long DAY_1 = 1_767_225_600_000L;
    private static final long DAY_2 = DAY_1 + TradingDay.MILLIS;
    private static final long DAY_3 = DAY_2 + TradingDay.MILLIS;

    @Test
    void doneOrdersStayThroughTheirDayAndLeaveWithTheirClientOrderIdsWhenTheNextDayBegins() throws Exception {
        start(1_000);
        Order bought = place(limit("c-buy", Side.BUY, 100_0000, 10), DAY_1 + 1_000);
        Order sold = place(limit("c-sell", Side.SELL, 100_0000, 10), DAY_1 + 2_000);
        Order resting = place(limit("c-rest", Side.BUY, 90_0000, 5), DAY_1 + 3_000);
        Order canceled = place(limit("c-cancel", Side.BUY, 80_0000, 5), DAY_1 + 4_000);
        apply(new CancelOrder(canceled.id(), "acct-1", "AAPL"), DAY_1 + 5_000);
        assertThat(engine.order(sold.id()).orElseThrow().status()).isEqualTo(OrdStatus.FILLED);
        assertThat(engine.order(canceled.id()).orElseThrow().status()).isEqualTo(OrdStatus.CANCELED);

        place(limit("c-late", Side.BUY, 70_0000, 1), DAY_2 - 1); // the same day's last millisecond
        assertThat(engine.order(bought.id())).as("done, but on this trading day").isPresent();
        assertThat(engine.order(canceled.id())).isPresent();

        Order first = place(limit("c-next", Side.BUY, 60_0000, 1), DAY_2);

        for (Order done : List.of(bought, sold, canceled)) {
            assertThat(engine.order(done.id())).as(done.clientOrderId()).isEmpty();
            assertThat(engine.byClientOrderId(done.account(), "AAPL", done.clientOrderId())).isEmpty();
        }
        assertThat(engine.order(resting.id())).as("open orders stay").contains(resting);
        assertThat(engine.byClientOrderId("acct-1", "AAPL", "c-rest")).contains(resting);
        assertThat(engine.order(first.id())).isPresent();
        assertThat(engine.orders(null, "AAPL", null, null, 100)).extracting(Order::clientOrderId)
                .containsExactly("c-rest", "c-late", "c-next");

        Order again = place(limit("c-buy", Side.BUY, 50_0000, 3), DAY_2 + 1_000);
        assertThat(again.id()).as("a clientOrderId is unique within a trading day: a new order").isNotEqualTo(bought.id());
        assertThat(again.status()).isEqualTo(OrdStatus.NEW);
        Verdict cancelGone = apply(new CancelOrder(canceled.id(), "acct-1", "AAPL"), DAY_2 + 2_000);
        assertThat(cancelGone.reason()).isEqualTo("UNKNOWN_ORDER");
        assertThat(engine.byClientOrderId("acct-1", "AAPL", "c-rest")).as("an open order's id is still taken").contains(resting);
    }

    @Test
    void aPartitionWhoseShareOfTheStoreIsFullTakesOrdersAgainOnceItsDoneOrdersHaveLeft() throws Exception {
        start(2 * PARTITIONS); // two orders per partition
        place(ioc("c-1"), DAY_1 + 1);
        place(ioc("c-2"), DAY_1 + 2);
        OrderId full = engine.submit(ioc("c-3"), DAY_1 + 3).join();
        assertThatThrownBy(() -> engine.verdict(full, ioc("c-3")).get()).isInstanceOf(ExecutionException.class)
                .hasMessageContaining("the order store is full");

        Order nextDay = place(ioc("c-4"), DAY_2 + 1);

        assertThat(nextDay.status()).as("an IOC with nothing to meet is canceled at once").isEqualTo(OrdStatus.CANCELED);
        assertThat(engine.orders(null, "AAPL", null, null, 100)).containsExactly(nextDay);
    }

    @Test
    void aRestartAndAFullReplayRemoveTheSameOrdersAtTheSameRecordsAsTheRunBeforeThem() throws Exception {
        start(1_000);
        long t = DAY_1;
        List<OrderId> doneOnDay1 = List.of();
        List<OrderId> doneBeforeDay3 = List.of();
        for (int i = 0; i < 30; i++) { // a few trades, rests and cancels a day, the days crossed mid-run
            long day = i < 10 ? DAY_1 : i < 20 ? DAY_2 : DAY_3;
            t = Math.max(t, day) + 1_000;
            Order o = place(limit("c-" + i, i % 2 == 0 ? Side.BUY : Side.SELL, (95 + i % 7) * 1_0000L, 1 + i % 3), t);
            if (i % 4 == 1 && o.isOpen()) {
                apply(new CancelOrder(o.id(), o.account(), "AAPL"), t + 1);
            }
            if (i == 9) { // the first day's last command: a restart, then the second day begins
                doneOnDay1 = doneOrders();
                stop();
                start(1_000);
            }
            if (i == 10) {
                assertThat(engine.orders(null, null, null, null, 1_000)).extracting(Order::id)
                        .as("the trading day outlives the restart").doesNotContainAnyElementsOf(doneOnDay1);
            }
            if (i == 14) {
                stop(); // and one within the second day
                start(1_000);
            }
            if (i == 19) {
                doneBeforeDay3 = doneOrders();
            }
        }
        List<Order> before = engine.orders(null, null, null, null, 1_000);
        assertThat(doneOnDay1).hasSizeGreaterThan(3);
        assertThat(doneBeforeDay3).as("the second day's done orders, from both days").hasSizeGreaterThan(3);
        assertThat(before).extracting(Order::id).as("gone on the third day").doesNotContainAnyElementsOf(doneBeforeDay3);
        assertThat(before).extracting(Order::status).contains(OrdStatus.FILLED, OrdStatus.NEW);

        stop();
        deleteState();
        start(1_000);
        await().until(engine::caughtUp);

        assertThat(engine.orders(null, null, null, null, 1_000)).isEqualTo(before);
    }

    @Test
    void aDayBeginningInsideABatchWrittenBehindRemovesWhatAFullReplayRemoves() throws Exception {
        start(10_000);
        // One record batch of 600 commands, so that the engine takes them in large batches (written
        // behind) and the day begins inside one.
        dev.oms.engine.command.CommandCodec codec = new dev.oms.engine.command.CommandCodec(new PriceScale(4));
        byte[] key = "AAPL".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        org.apache.kafka.common.record.internal.SimpleRecord[] records = new org.apache.kafka.common.record.internal.SimpleRecord[600];
        for (int i = 0; i < records.length; i++) {
            boolean buy = i % 2 == 0;
            long t = i < 300 ? DAY_1 + i : DAY_2 + i;
            long ticks = i < 300 ? 100_0000 : buy ? 90_0000 : 110_0000; // the first day's pairs trade, the second's rest
            if (i == 350) {
                t = DAY_1 + 5; // a record time that goes back: it begins no day
            }
            records[i] = new org.apache.kafka.common.record.internal.SimpleRecord(t, key,
                    codec.encode(limit("b-" + i, buy ? Side.BUY : Side.SELL, ticks, 1)));
        }
        int partition = engine.partitionOf("AAPL");
        long base = broker.append(new org.apache.kafka.common.TopicPartition(dev.oms.engine.log.Topics.ORDERS, partition),
                org.apache.kafka.common.record.internal.MemoryRecords.withRecords(
                        org.apache.kafka.common.compress.Compression.NONE, records)).join();
        OrderId last = new OrderId(partition, base + records.length - 1);
        await().until(() -> engine.order(last).isPresent());
        List<Order> live = engine.orders(null, null, null, null, 1_000);
        assertThat(live).extracting(Order::clientOrderId).as("the first day's orders, all filled, left")
                .containsExactlyElementsOf(java.util.stream.IntStream.range(300, 600).mapToObj(i -> "b-" + i).toList());
        assertThat(live).extracting(Order::status).containsOnly(OrdStatus.NEW);

        stop();
        deleteState();
        start(10_000);
        await().until(engine::caughtUp);
        assertThat(engine.orders(null, null, null, null, 1_000)).isEqualTo(live);
    }

    @Test
    void aPlacementDeadLetteredOnOneDayNoLongerHoldsBackCommandsNamingItOnTheNext() throws Exception {
        start(PARTITIONS, new EngineConfig(dir.resolve("state"), 1, false, 1_000, new PriceScale(4), RiskLimits.UNLIMITED,
                dev.oms.engine.book.SelfTradePrevention.CANCEL_NEWEST, new dev.oms.deadletter.RetryPolicy(1, 1, 1, 1),
                new FailureInjection(java.util.Set.of("FAIL"), java.util.Set.of(), 0)));
        NewOrder failing = new NewOrder("acct-1", "f-1", "FAIL", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, 100_0000, 1);
        OrderId placement = engine.submit(failing, DAY_1 + 1).join();
        assertThatThrownBy(() -> engine.verdict(placement, failing).get()).isInstanceOf(ExecutionException.class);
        CancelOrder sameDay = new CancelOrder(placement, "acct-1", "FAIL");
        OrderId held = engine.submit(sameDay, DAY_1 + 2).join();
        assertThatThrownBy(() -> engine.verdict(held, sameDay).get()).as("follows its placement to the dead-letter topic")
                .isInstanceOf(ExecutionException.class);
        await().until(() -> engine.stats().deadLettered(dev.oms.deadletter.FailureReason.DEPENDS_ON_DEAD_LETTERED) == 1);

        CancelOrder nextDay = new CancelOrder(placement, "acct-1", "FAIL");
        OrderId answered = engine.submit(nextDay, DAY_2 + 1).join();

        assertThat(engine.verdict(answered, nextDay).get().reason()).isEqualTo("UNKNOWN_ORDER");
    }

    @Test
    void aStoreWrittenByABuildWithoutTradingDaysIsRebuiltFromTheLogAtItsFirstStart() throws Exception {
        start(1_000);
        Order bought = place(limit("c-buy", Side.BUY, 100_0000, 10), DAY_1 + 1_000);
        place(limit("c-sell", Side.SELL, 100_0000, 10), DAY_1 + 2_000);
        stop();
        // What such a build left: no layout 3, no trading days in the checkpoint map.
        try (var checkpoints = net.openhft.chronicle.map.ChronicleMap.of(Integer.class, Long.class).name("checkpoints")
                .entries(4096).createPersistedTo(dir.resolve("state/checkpoints.dat").toFile())) {
            checkpoints.put(Integer.MIN_VALUE, 2L);
            for (int p = 0; p < PARTITIONS; p++) {
                checkpoints.remove(Integer.MIN_VALUE + 16 + p);
            }
        }

        start(1_000);
        await().until(engine::caughtUp);
        place(limit("c-next", Side.BUY, 90_0000, 1), DAY_2);

        assertThat(engine.order(bought.id())).as("removed at the second day's first record, as a replay does").isEmpty();
    }

    private List<OrderId> doneOrders() {
        return engine.orders(null, null, null, null, 1_000).stream().filter(Order::isDone).map(Order::id).toList();
    }

    private void start(long maxOrders) throws IOException {
        start(PARTITIONS, new EngineConfig(dir.resolve("state"), 1, false, maxOrders, new PriceScale(4)));
    }

    private Order place(NewOrder command, long timestamp) throws Exception {
        return apply(command, timestamp).order();
    }

    private Verdict apply(OrderCommand command, long timestamp) throws Exception {
        OrderId id = engine.submit(command, timestamp).join();
        return engine.verdict(id, command).get();
    }

    private static NewOrder limit(String clientOrderId, Side side, long ticks, long quantity) {
        // The sellers another account: self-trade prevention would cancel an account's own crossing order.
        return new NewOrder(side == Side.BUY ? "acct-1" : "acct-2", clientOrderId, "AAPL", side, OrderType.LIMIT,
                TimeInForce.GTC, ticks, quantity);
    }

    private static NewOrder ioc(String clientOrderId) {
        return new NewOrder("acct-1", clientOrderId, "AAPL", Side.BUY, OrderType.LIMIT, TimeInForce.IOC, 100_0000, 1);
    }
}
