package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.command.ReplaceOrder;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.engine.worker.Verdict;
import dev.oms.streaming.EmbeddedBroker;
import org.junit.jupiter.api.Test;

/** The engine with its books: matching, fills on both sides, positions, risk, cancel, replace, output records. */
class MatchingEngineTest extends EngineTestBase {
    private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00Z
    private static final RiskLimits LIMITS = new RiskLimits(10_000, Long.MAX_VALUE, 5_000, 50, 1_000_000);
    private static final ObjectMapper JSON = new ObjectMapper();


    @Test
    void crossingOrdersTradeAtTheRestingPriceAndUpdateBothOrdersAndPositions() throws Exception {
        start();
        Order buy = place(limit("alice", "b1", Side.BUY, "10.00", 100)).order();
        Order sell = place(limit("bob", "s1", Side.SELL, "9.50", 60)).order();

        assertThat(sell.status()).isEqualTo(OrdStatus.FILLED);
        Order restingBuy = engine.order(buy.id()).orElseThrow();
        assertThat(restingBuy.status()).isEqualTo(OrdStatus.PARTIALLY_FILLED);
        assertThat(restingBuy.filledQuantity()).isEqualTo(60);
        assertThat(restingBuy.leavesQuantity()).isEqualTo(40);
        assertThat(engine.positions("alice").get("alice")).containsEntry("AAPL", 60L);
        assertThat(engine.positions("bob").get("bob")).containsEntry("AAPL", -60L);

        List<JsonNode> trades = records(Topics.TRADES, 1);
        assertThat(trades.getFirst().get("price").asText()).isEqualTo("10");
        assertThat(trades.getFirst().get("quantity").asLong()).isEqualTo(60);
        assertThat(trades.getFirst().get("buyOrderId").asText()).isEqualTo(buy.id().toString());
        assertThat(trades.getFirst().get("aggressorSide").asText()).isEqualTo("SELL");
        List<String> reports = records(Topics.ORDER_EVENTS, 4).stream()
                .map(r -> r.get("type").asText() + ":" + r.get("orderId").asText() + ":" + r.get("status").asText()).toList();
        assertThat(reports).containsExactly("Accepted:" + buy.id() + ":NEW", "Accepted:" + sell.id() + ":NEW",
                "Trade:" + sell.id() + ":FILLED", "Trade:" + buy.id() + ":PARTIALLY_FILLED");
    }

    @Test
    void orderOverARiskLimitIsRejectedWithItsReasonAndNeverReachesTheBook() throws Exception {
        start();
        Verdict verdict = place(limit("alice", "big", Side.BUY, "10", 20_000));
        assertThat(verdict.accepted()).isFalse();
        assertThat(verdict.reason()).isEqualTo("QUANTITY_LIMIT");
        assertThat(verdict.order().status()).isEqualTo(OrdStatus.REJECTED);
        assertThat(place(limit("bob", "s", Side.SELL, "10", 5)).order().status()).as("nothing to trade with").isEqualTo(OrdStatus.NEW);
        Order farAway = place(limit("carol", "far", Side.BUY, "20", 1)).order();
        assertThat(farAway.reason()).as("more than 50% above the best ask").isEqualTo("PRICE_BAND");
    }

    @Test
    void cancelEndsAnOpenOrderOnlyForItsAccountAndOnlyOnce() throws Exception {
        start();
        Order order = place(limit("alice", "c1", Side.BUY, "10", 10)).order();
        assertThat(command(new CancelOrder(order.id(), "mallory", "AAPL")).reason()).isEqualTo("UNKNOWN_ORDER");

        Verdict canceled = command(new CancelOrder(order.id(), "alice", "AAPL"));
        assertThat(canceled.accepted()).isTrue();
        assertThat(canceled.order().status()).isEqualTo(OrdStatus.CANCELED);
        assertThat(command(new CancelOrder(order.id(), "alice", "AAPL")).reason()).isEqualTo("TOO_LATE_TO_CANCEL");
        assertThat(place(limit("bob", "s1", Side.SELL, "10", 10)).order().status()).as("the canceled bid is gone").isEqualTo(OrdStatus.NEW);
    }

    @Test
    void replaceDownKeepsPriorityAndAPriceChangeLosesIt() throws Exception {
        start();
        Order first = place(limit("alice", "r1", Side.BUY, "10", 10)).order();
        Order second = place(limit("bob", "r2", Side.BUY, "10", 10)).order();

        Verdict down = command(new ReplaceOrder(first.id(), "alice", "AAPL", ticks("10"), 8));
        assertThat(down.order().quantity()).isEqualTo(8);
        place(limit("carol", "s1", Side.SELL, "10", 8));
        assertThat(engine.order(first.id()).orElseThrow().status()).as("kept its place at the front").isEqualTo(OrdStatus.FILLED);

        Order third = place(limit("dave", "r3", Side.BUY, "10", 10)).order();
        command(new ReplaceOrder(second.id(), "bob", "AAPL", ticks("10.01"), 10));
        command(new ReplaceOrder(second.id(), "bob", "AAPL", ticks("10"), 10));
        place(limit("carol", "s2", Side.SELL, "10", 10));
        assertThat(engine.order(third.id()).orElseThrow().status()).as("now ahead of the re-priced order").isEqualTo(OrdStatus.FILLED);
        assertThat(engine.order(second.id()).orElseThrow().status()).isEqualTo(OrdStatus.NEW);
    }

    @Test
    void booksComeBackAfterARestartWithTheirQueuesInOrder() throws Exception {
        start();
        Order first = place(limit("alice", "q1", Side.SELL, "10", 5)).order();
        Order second = place(limit("bob", "q2", Side.SELL, "10", 5)).order();
        restart();
        place(limit("carol", "q3", Side.BUY, "10", 5));
        assertThat(engine.order(first.id()).orElseThrow().status()).isEqualTo(OrdStatus.FILLED);
        assertThat(engine.order(second.id()).orElseThrow().status()).isEqualTo(OrdStatus.NEW);
    }

    @Test
    void theOpenOrderLimitCountsTheOrdersARestartPutsBackInTheBooks() throws Exception {
        EngineConfig config = new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4),
                new RiskLimits(10_000, Long.MAX_VALUE, 5_000, 3, 1_000_000), SelfTradePrevention.CANCEL_NEWEST);
        start(2, config);
        for (int i = 0; i < 3; i++) {
            place(limit("alice", "o" + i, Side.BUY, "10", 5));
            place(limit("bob", "p" + i, Side.BUY, "10", 5));
        }
        assertThat(place(limit("alice", "o3", Side.BUY, "10", 5)).reason()).isEqualTo("OPEN_ORDER_LIMIT");
        stop();
        start(2, config);

        assertThat(place(limit("alice", "o4", Side.BUY, "10", 5)).reason()).as("three still open").isEqualTo("OPEN_ORDER_LIMIT");
        place(limit("carol", "s1", Side.SELL, "10", 5)); // fills alice's first
        assertThat(place(limit("alice", "o5", Side.BUY, "10", 5)).reason()).as("two open").isNull();
        assertThat(place(limit("alice", "o6", Side.BUY, "10", 5)).reason()).isEqualTo("OPEN_ORDER_LIMIT");
    }

    /**
     * The position limit counts an account's resting orders on the order's side as filled: they
     * fill later without another check, so two resting buys of 6 under a limit of 10 made a
     * position of 12. A restart puts that back with the books; a fill moves quantity from open to
     * the position, a cancel takes it off.
     */
    @Test
    void thePositionLimitCountsRestingOrdersOnTheOrdersSideAsFilled() throws Exception {
        EngineConfig config = new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4),
                new RiskLimits(10_000, Long.MAX_VALUE, 5_000, 100, 10), SelfTradePrevention.CANCEL_NEWEST);
        start(2, config);
        Order first = place(limit("alice", "b1", Side.BUY, "10", 6)).order();
        assertThat(place(limit("alice", "b2", Side.BUY, "10", 6)).reason()).isEqualTo("POSITION_LIMIT");
        assertThat(place(limit("alice", "s1", Side.SELL, "11", 10)).reason()).as("the other side: -10 at worst").isNull();
        stop();
        start(2, config);

        assertThat(place(limit("alice", "b3", Side.BUY, "10", 5)).reason()).as("6 still rest").isEqualTo("POSITION_LIMIT");
        assertThat(command(new ReplaceOrder(first.id(), "alice", "AAPL", ticks("10"), 11)).reason()).isEqualTo("POSITION_LIMIT");
        assertThat(command(new ReplaceOrder(first.id(), "alice", "AAPL", ticks("10"), 10)).reason()).as("6 replaced by 10").isNull();
        place(limit("bob", "x1", Side.SELL, "10", 4)); // fills 4 of alice's 10: a position of 4, 6 still open
        assertThat(place(limit("alice", "b4", Side.BUY, "9", 1)).reason()).isEqualTo("POSITION_LIMIT");
        command(new CancelOrder(first.id(), "alice", "AAPL"));
        assertThat(place(limit("alice", "b5", Side.BUY, "9", 6)).reason()).as("4 held, 6 open: 10").isNull();
        org.awaitility.Awaitility.await().until(() -> engine.positions("alice").getOrDefault("alice", java.util.Map.of()),
                held -> Long.valueOf(4).equals(held.get("AAPL")));
    }

    /**
     * A cancel or replace names its order's symbol: one that names another symbol (its partition's
     * worker does not own the order's book; a client with its own partitioner can send it) finds
     * no order, and the order is left as it was.
     */
    @Test
    void aCancelOrReplaceNamingAnotherSymbolFindsNoOrder() throws Exception {
        start();
        Order resting = place(limit("alice", "c1", Side.BUY, "10", 5)).order();
        assertThat(command(new CancelOrder(resting.id(), "alice", "MSFT")).reason()).isEqualTo("UNKNOWN_ORDER");
        assertThat(command(new ReplaceOrder(resting.id(), "alice", "MSFT", ticks("11"), 5)).reason()).isEqualTo("UNKNOWN_ORDER");
        assertThat(engine.order(resting.id()).orElseThrow()).isEqualTo(resting);
    }

    @Test
    void aFullReplayOfTheLogGivesTheSameOrdersPositionsAndOutputRecords() throws Exception {
        start();
        List<OrderId> ids = new ArrayList<>();
        String[] accounts = {"alice", "bob", "carol"};
        for (int i = 0; i < 60; i++) {
            Side side = i % 3 == 0 ? Side.SELL : Side.BUY;
            String price = Integer.toString(9 + (i * 7) % 3);
            TimeInForce tif = i % 5 == 0 ? TimeInForce.IOC : TimeInForce.GTC;
            NewOrder order = new NewOrder(accounts[i % 3], "d" + i, "AAPL", side, OrderType.LIMIT, tif, ticks(price), 1 + i % 7);
            ids.add(place(order).order().id());
            if (i % 11 == 10) {
                command(new CancelOrder(ids.get(i - 3), accounts[(i - 3) % 3], "AAPL"));
            }
        }
        List<Order> before = ids.stream().map(id -> engine.order(id).orElseThrow()).toList();
        var positionsBefore = engine.positions(null);
        List<String> eventsBefore = settledRecords(Topics.ORDER_EVENTS);

        stop();
        deleteState();
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(ids.stream().map(id -> engine.order(id).orElseThrow()).toList()).isEqualTo(before);
        assertThat(engine.positions(null)).isEqualTo(positionsBefore);
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("records already on the log are not published twice")
                .isEqualTo(eventsBefore);

        stop();
        deleteState();
        deleteTopic(Topics.ORDER_EVENTS);
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(ids.stream().map(id -> engine.order(id).orElseThrow()).toList()).isEqualTo(before);
        org.awaitility.Awaitility.await().until(() -> rawRecords(Topics.ORDER_EVENTS).size() >= eventsBefore.size());
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("the replay publishes byte for byte what the first run did")
                .isEqualTo(eventsBefore);
    }

    /**
     * A clientOrderId names a submission of one symbol: reused for a symbol of another partition it
     * places a second order, whichever partition is applied first, so a replay decides the same.
     */
    @Test
    void theSameClientOrderIdOnTwoSymbolsPlacesTwoOrdersInEveryReplay() throws Exception {
        start();
        NewOrder apple = limit("alice", "x-1", Side.BUY, "10", 5);
        NewOrder microsoft = new NewOrder("alice", "x-1", "MSFT", Side.BUY, OrderType.LIMIT, TimeInForce.GTC, ticks("20"), 3);
        Verdict first = place(apple);
        Verdict second = place(microsoft);
        assertThat(engine.partitionOf("AAPL")).isNotEqualTo(engine.partitionOf("MSFT"));
        assertThat(second.accepted()).isTrue();
        assertThat(second.order().id()).isNotEqualTo(first.order().id());
        assertThat(place(apple).order()).as("a repeated submit").isEqualTo(first.order());
        Verdict reused = place(limit("alice", "x-1", Side.BUY, "11", 5));
        assertThat(reused.reason()).as("the same symbol, other terms").isEqualTo("DUPLICATE_CLIENT_ORDER_ID");

        stop();
        deleteState();
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.order(first.order().id())).contains(first.order());
        assertThat(engine.order(second.order().id())).contains(second.order());
    }

    /**
     * Commands applied one at a time (each its own batch, its state written by the worker), then
     * replayed from the log alone in batches of a thousand or so, each batch's state written by
     * the writer thread while the worker applies the next: cancels, replaces, trades and repeated
     * clientOrderIds that reach back into the batch still being written decide as they did.
     */
    @Test
    void batchesWrittenBehindWhileTheNextIsAppliedDecideAsCommandsAppliedOneByOne() throws Exception {
        // One partition: each batch reaches back into the one before it, which may still be being written.
        EngineConfig config = new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4), LIMITS,
                SelfTradePrevention.CANCEL_NEWEST);
        start(1, config);
        String[] accounts = new String[20];
        for (int a = 0; a < accounts.length; a++) {
            accounts[a] = "acct" + a;
        }
        List<OrderId> placed = new ArrayList<>();
        List<NewOrder> placements = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            String symbol = i % 2 == 0 ? "AAPL" : "MSFT";
            int kind = i % 10;
            if (kind <= 6 || placed.size() < 400) {
                Side side = (i / 2) % 3 == 0 ? Side.SELL : Side.BUY;
                NewOrder order = new NewOrder(accounts[i % 20], "w" + i, symbol, side, OrderType.LIMIT, TimeInForce.GTC,
                        ticks(Integer.toString(9 + i % 3)), 1 + i % 9);
                placed.add(place(order).order().id());
                placements.add(order);
            } else {
                int back = kind == 7 ? 300 : kind == 8 ? 150 : 350;
                NewOrder target = placements.get(placements.size() - back);
                OrderId id = placed.get(placed.size() - back);
                command(switch (kind) {
                    case 7 -> new CancelOrder(id, target.account(), target.symbol());
                    case 8 -> new ReplaceOrder(id, target.account(), target.symbol(), target.priceTicks(), target.quantity() + 1);
                    default -> target; // sent again: the original order comes back
                });
            }
        }
        assertThat(engine.stats().stateBatches(true)).as("one command a batch: written in place").isZero();
        List<Order> before = placed.stream().map(id -> engine.order(id).orElseThrow()).toList();
        var positionsBefore = engine.positions(null);
        List<String> eventsBefore = settledRecords(Topics.ORDER_EVENTS);
        List<String> tradesBefore = settledRecords(Topics.TRADES);
        assertThat(tradesBefore).hasSizeGreaterThan(100);

        stop();
        deleteState();
        deleteTopic(Topics.ORDER_EVENTS);
        deleteTopic(Topics.TRADES);
        start(1, config);
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.stats().stateBatches(true)).as("the replay's batches, written behind").isGreaterThanOrEqualTo(3);
        assertThat(placed.stream().map(id -> engine.order(id).orElseThrow()).toList()).isEqualTo(before);
        assertThat(engine.positions(null)).isEqualTo(positionsBefore);
        org.awaitility.Awaitility.await().until(() -> rawRecords(Topics.ORDER_EVENTS).size() >= eventsBefore.size());
        assertThat(settledRecords(Topics.ORDER_EVENTS)).isEqualTo(eventsBefore);
        assertThat(settledRecords(Topics.TRADES)).isEqualTo(tradesBefore);
    }

    /**
     * Two orders that trade; then, as if the process died after applying them but before the
     * store noted their output durable, the store is set back. Returns the filled buy.
     */
    private Order tradeThenCrashBeforeTheOutputIsNoted() throws Exception {
        start();
        Order buy = place(limit("alice", "o1", Side.BUY, "10", 10)).order();
        place(limit("bob", "o2", Side.SELL, "10", 10));
        Order filled = engine.order(buy.id()).orElseThrow();
        engine.close();
        engine = null;
        try (var store = dev.oms.engine.state.OrderStore.open(dir.resolve("state"), 10_000)) {
            store.publishedUpTo(buy.id().partition(), buy.id().offset());
        }
        return filled;
    }

    /** Removes an output topic and its records from the log (the engine creates it again, empty). */
    private void deleteTopic(String topic) throws IOException {
        try (EmbeddedBroker log = EmbeddedBroker.open(dir.resolve("log"), 1, 1024)) {
            log.deleteTopic(topic);
        }
    }

    @Test
    void aCleanStopLeavesEveryOutputNotedDurableSoTheNextStartRebuildsNothing() throws Exception {
        start();
        Order buy = null;
        for (int i = 0; i < 200; i++) {
            buy = place(limit("alice", "d" + i, Side.BUY, "10", 10)).order();
            place(limit("bob", "s" + i, Side.SELL, "10", 10));
        }
        stop();
        try (var store = dev.oms.engine.state.OrderStore.open(dir.resolve("state"), 10_000)) {
            int partition = buy.id().partition();
            assertThat(store.interrupted(partition)).isFalse();
            assertThat(store.publishedUpTo(partition)).as("outputs noted durable up to the checkpoint")
                    .isEqualTo(store.checkpoint(partition));
        }
    }

    @Test
    void outputRecordsNotYetDurableAtACrashArePublishedAgainWithTheSameIds() throws Exception {
        Order filled = tradeThenCrashBeforeTheOutputIsNoted();
        List<String> before = settledRecords(Topics.ORDER_EVENTS);
        stop();
        deleteTopic(Topics.ORDER_EVENTS); // and before the output reached the log
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.order(filled.id())).contains(filled);
        org.awaitility.Awaitility.await().until(() -> rawRecords(Topics.ORDER_EVENTS).size() >= before.size());
        // Everything from the first command whose output might be missing is published again, byte for byte.
        assertThat(settledRecords(Topics.ORDER_EVENTS)).isEqualTo(before);
    }

    @Test
    void outputRecordsAlreadyOnTheLogAtACrashAreNotPublishedTwice() throws Exception {
        Order filled = tradeThenCrashBeforeTheOutputIsNoted();
        List<String> events = settledRecords(Topics.ORDER_EVENTS);
        List<String> trades = settledRecords(Topics.TRADES);
        stop();
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.order(filled.id())).contains(filled);
        assertThat(settledRecords(Topics.ORDER_EVENTS)).isEqualTo(events);
        assertThat(settledRecords(Topics.TRADES)).isEqualTo(trades);
        place(limit("carol", "o3", Side.BUY, "10", 5));
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("what comes after is published").hasSize(events.size() + 1);
    }

    @Test
    void aStateFlushCutShortByACrashIsRedoneFromAPartitionRebuiltFromItsLog() throws Exception {
        start();
        Order buy = place(limit("alice", "i1", Side.BUY, "10", 100)).order();
        Order sell = place(limit("bob", "i2", Side.SELL, "10", 30)).order();
        Order expected = engine.order(buy.id()).orElseThrow();
        var positions = engine.positions(null);
        stop();
        // As if the process died while writing the sell's batch to the store: the fill written, the checkpoint not.
        try (var store = dev.oms.engine.state.OrderStore.open(dir.resolve("state"), 10_000)) {
            store.beginApply(sell.id().partition(), sell.id().offset());
            store.put(expected.withFill(50));
            store.addPosition("alice", "AAPL", 999);
        }
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.order(buy.id())).contains(expected);
        assertThat(engine.positions(null)).isEqualTo(positions);
    }

    @Test
    void afterAMachineRestartUncleanStateIsDiscardedAndRebuiltFromTheLog() throws Exception {
        start();
        Order buy = place(limit("alice", "m1", Side.BUY, "10", 100)).order();
        place(limit("bob", "m2", Side.SELL, "10", 30));
        Order expected = engine.order(buy.id()).orElseThrow();
        stop();
        try (var store = dev.oms.engine.state.OrderStore.open(dir.resolve("state"), 10_000)) {
            store.put(expected.withFill(70)); // pages the power loss left half written
        }
        // As after a power loss: no clean shutdown, and the kernel has booted since.
        Files.delete(dir.resolve("state").resolve("clean-shutdown"));
        Files.writeString(dir.resolve("state").resolve("boot-id"), "a-boot-before-the-power-loss");
        start();
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(engine.order(buy.id())).contains(expected);
    }

    private Verdict place(NewOrder order) throws Exception {
        return command(order);
    }

    private Verdict command(OrderCommand command) throws Exception {
        OrderId id = engine.submit(command, T0 + 1000).join();
        return engine.verdict(id, command).get();
    }

    private static NewOrder limit(String account, String clientOrderId, Side side, String price, long quantity) {
        return new NewOrder(account, clientOrderId, "AAPL", side, OrderType.LIMIT, TimeInForce.GTC, ticks(price), quantity);
    }

    private static long ticks(String price) {
        return new PriceScale(4).toTicks(new java.math.BigDecimal(price));
    }

    private List<JsonNode> records(String topic, int atLeast) throws Exception {
        List<JsonNode> nodes = new ArrayList<>();
        org.awaitility.Awaitility.await().until(() -> {
            nodes.clear();
            for (String raw : rawRecords(topic)) {
                nodes.add(JSON.readTree(raw));
            }
            return nodes.size() >= atLeast;
        });
        return nodes;
    }

    private void start() throws IOException {
        start(2, new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4), LIMITS,
                SelfTradePrevention.CANCEL_NEWEST));
    }

    private void restart() throws IOException {
        stop();
        start();
    }
}
