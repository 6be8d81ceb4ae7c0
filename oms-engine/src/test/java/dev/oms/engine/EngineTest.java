package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.state.OrderStore;
import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;

class EngineTest extends EngineTestBase {
    private static final int PARTITIONS = 4;
    private static final long T0 = 1_767_225_600_000L;


    @Test
    void placedOrderIsAppliedAsNewAndQueryable() throws Exception {
        start();
        NewOrder command = limit("acct-1", "c-1", "AAPL", Side.BUY, 101_2500, 100);
        OrderId id = engine.submit(command, T0).join();

        Order order = engine.verdict(id, command).get().order();

        assertThat(order.id()).isEqualTo(id);
        assertThat(order.status()).isEqualTo(OrdStatus.NEW);
        assertThat(order.priceTicks()).isEqualTo(101_2500);
        assertThat(order.createdAt()).as("time comes from the record").isEqualTo(T0);
        assertThat(order.leavesQuantity()).isEqualTo(100);
        assertThat(engine.order(id)).contains(order);
    }

    @Test
    void repeatedClientOrderIdReturnsTheOriginalOrder() throws Exception {
        start();
        NewOrder command = limit("acct-1", "c-1", "AAPL", Side.BUY, 100_0000, 10);
        OrderId first = engine.submit(command, T0).join();
        Order original = engine.verdict(first, command).get().order();

        OrderId second = engine.submit(command, T0 + 5).join();
        Order repeat = engine.verdict(second, command).get().order();

        assertThat(second).isNotEqualTo(first);
        assertThat(repeat).isEqualTo(original);
        assertThat(engine.order(second)).isEmpty();
    }

    @Test
    void verdictReachedBeforeTheCallerAsksIsStillDelivered() throws Exception {
        start();
        NewOrder command = limit("acct-1", "c-9", "MSFT", Side.SELL, 400_0000, 1);
        OrderId id = engine.submit(command, T0).join();
        await().until(() -> engine.order(id).isPresent());

        assertThat(engine.verdict(id, command).get().order().id()).isEqualTo(id);
    }

    @Test
    void restartKeepsEveryOrder() throws Exception {
        start();
        List<Order> placed = placeMany(40);
        restart();
        for (Order order : placed) {
            assertThat(engine.order(order.id())).contains(order);
        }
    }

    @Test
    void stateRebuiltFromTheLogAloneEqualsTheStateBeforeIt() throws Exception {
        start();
        List<Order> placed = placeMany(40);
        stop();
        deleteState();
        start();
        for (Order order : placed) {
            await().until(() -> engine.order(order.id()).isPresent());
            assertThat(engine.order(order.id())).contains(order);
        }
    }

    @Test
    void replayingPastTheCheckpointAppliesNothingTwice() throws Exception {
        start();
        List<OrderId> ids = new ArrayList<>();
        trade(0, 36, ids);
        List<Order> before = orders(ids);
        var positionsBefore = engine.positions(null);
        List<String> tradesBefore = settledRecords(Topics.TRADES);
        List<String> eventsBefore = settledRecords(Topics.ORDER_EVENTS);
        assertThat(tradesBefore).as("the orders traded").hasSizeGreaterThanOrEqualTo(10);
        assertThat(before).extracting(Order::status).as("every state an order ends a command in")
                .contains(OrdStatus.NEW, OrdStatus.PARTIALLY_FILLED, OrdStatus.FILLED, OrdStatus.CANCELED);
        stop();
        // The checkpoint set back behind state that holds every command already: each is applied a second time.
        try (OrderStore store = OrderStore.open(dir.resolve("state"), 10_000)) {
            for (int p = 0; p < PARTITIONS; p++) {
                store.checkpoint(p, 0);
            }
        }
        start();
        await().until(engine::caughtUp);

        assertThat(orders(ids)).as("statuses and filled quantities").isEqualTo(before);
        assertThat(engine.positions(null)).as("positions per account and symbol").isEqualTo(positionsBefore);
        assertThat(settledRecords(Topics.TRADES)).as("no trade published twice").isEqualTo(tradesBefore);
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("no execution report published twice").isEqualTo(eventsBefore);
    }

    @Test
    void commandsAppliedAgainFromAnEarlierCheckpointTradeAsBeforeAndPublishNothingTwice() throws Exception {
        start();
        List<OrderId> ids = new ArrayList<>();
        trade(0, 18, ids);
        int tradesOfTheFirstHalf = settledRecords(Topics.TRADES).size();
        stop();
        Path checkpointed = copyOf(dir.resolve("state"));
        start();
        trade(18, 36, ids);
        List<Order> before = orders(ids);
        var positionsBefore = engine.positions(null);
        List<String> tradesBefore = settledRecords(Topics.TRADES);
        List<String> eventsBefore = settledRecords(Topics.ORDER_EVENTS);
        assertThat(tradesBefore).as("the second half traded").hasSizeGreaterThanOrEqualTo(tradesOfTheFirstHalf + 5);
        stop();
        // As after a crash once the second half's output records were durable but before its state was
        // written (see EngineWorker#doWork): the store is at the first half's checkpoint.
        replaceState(checkpointed);
        start();
        await().until(engine::caughtUp);

        assertThat(orders(ids)).as("statuses and filled quantities").isEqualTo(before);
        assertThat(engine.positions(null)).as("positions per account and symbol").isEqualTo(positionsBefore);
        assertThat(settledRecords(Topics.TRADES)).as("the trades made again are not published twice").isEqualTo(tradesBefore);
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("no execution report published twice").isEqualTo(eventsBefore);
    }

    @Test
    void undecodableRecordIsSkippedAndThePartitionKeepsFlowing() throws Exception {
        start();
        NewOrder good = limit("acct-1", "c-after-poison", "AAPL", Side.BUY, 100_0000, 5);
        byte[] key = "AAPL".getBytes(StandardCharsets.UTF_8);
        int partition = new EmbeddedOrderLog(broker, Topics.ORDERS).partitionFor(key);
        broker.append(new TopicPartition(Topics.ORDERS, partition), MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(T0, key, "{not json".getBytes(StandardCharsets.UTF_8)))).join();

        OrderId id = engine.submit(good, T0).join();

        assertThat(engine.verdict(id, good).get().order().status()).isEqualTo(OrdStatus.NEW);
    }

    /**
     * Commands {@code from} (inclusive) to {@code to} of a run of buys and sells that cross in three
     * symbols among four accounts, leaving orders new, partially filled, filled and canceled: after
     * every fifth order a cancel of the order three before it. Adds the orders' ids to {@code ids}.
     */
    private void trade(int from, int to, List<OrderId> ids) throws Exception {
        String[] symbols = {"AAPL", "MSFT", "GOOG"};
        for (int i = from; i < to; i++) {
            Side side = i / 3 % 2 == 0 ? Side.BUY : Side.SELL;
            long ticks = side == Side.BUY ? 100_0000 + i % 4 * 1_0000 : 100_0000 - i % 5 * 1_0000;
            long quantity = side == Side.BUY ? 5 + i * 7 % 10 : 1 + i % 6;
            NewOrder command = limit("acct-" + i % 4, "x-" + i, symbols[i % 3], side, ticks, quantity);
            OrderId id = engine.submit(command, T0 + i).join();
            ids.add(engine.verdict(id, command).get().order().id());
            if (i % 5 == 4) {
                Order earlier = engine.order(ids.get(i - 3)).orElseThrow();
                CancelOrder cancel = new CancelOrder(earlier.id(), earlier.account(), earlier.symbol());
                engine.verdict(engine.submit(cancel, T0 + i).join(), cancel).get();
            }
        }
    }

    /** A copy of a stopped engine's state directory, beside it. */
    private Path copyOf(Path state) throws IOException {
        Path copy = dir.resolve("state-copy");
        try (Stream<Path> walk = Files.walk(state)) {
            for (Path p : walk.toList()) {
                Files.copy(p, copy.resolve(state.relativize(p).toString()));
            }
        }
        return copy;
    }

    /** Puts {@code copy} in place of the state directory (the engine stopped). */
    private void replaceState(Path copy) throws IOException {
        deleteState();
        try (Stream<Path> walk = Files.walk(copy)) {
            for (Path p : walk.toList()) {
                Files.copy(p, dir.resolve("state").resolve(copy.relativize(p).toString()));
            }
        }
    }

    /**
     * A full append queue turns clients away (503 over HTTP); the engine's own output records wait
     * for room instead. A worker whose output the queue refused stopped its partition until a
     * restart, the commands behind that output durable already.
     */
    @Test
    void aFullAppendQueueDelaysTheEnginesOutputAndStopsNoPartition() throws Exception {
        broker = EmbeddedBroker.open(dir.resolve("log"), 1, 2);
        broker.createTopic(Topics.ORDERS, PARTITIONS);
        broker.createTopic("noise", 1);
        engine = Engine.start(new EngineConfig(dir.resolve("state"), 2, false, 10_000, new PriceScale(4)),
                new EmbeddedOrderLog(broker, Topics.ORDERS));
        java.util.concurrent.atomic.AtomicBoolean flooding = new java.util.concurrent.atomic.AtomicBoolean(true);
        List<Thread> flooders = new ArrayList<>();
        for (int t = 0; t < 2; t++) { // keep the one shard's queue of two full
            Thread flooder = new Thread(() -> {
                while (flooding.get()) {
                    broker.append(new TopicPartition("noise", 0),
                            MemoryRecords.withRecords(Compression.NONE, new SimpleRecord("x".getBytes(StandardCharsets.UTF_8))));
                }
            });
            flooder.start();
            flooders.add(flooder);
        }
        String[] symbols = {"AAPL", "MSFT", "GOOG", "AMZN"};
        List<Order> placed = new ArrayList<>();
        int refused = 0;
        try {
            for (int i = 0; i < 200; i++) { // buys and sells at one price: every other order trades
                NewOrder command = limit("acct-" + (i % 2), "c-" + i, symbols[(i / 2) % symbols.length],
                        i % 2 == 0 ? Side.BUY : Side.SELL, 100_0000, 10);
                OrderId id = null;
                while (id == null) {
                    try {
                        id = engine.submit(command, T0 + i).join();
                    } catch (java.util.concurrent.CompletionException busy) {
                        assertThat(busy.getCause()).isInstanceOf(dev.oms.streaming.shard.ShardBusyException.class);
                        refused++;
                    }
                }
                placed.add(engine.verdict(id, command).get(30, java.util.concurrent.TimeUnit.SECONDS).order());
            }
        } finally {
            flooding.set(false);
            for (Thread flooder : flooders) {
                flooder.join();
            }
        }
        assertThat(refused).as("commands the full queue turned away").isPositive();
        assertThat(engine.stoppedPartitions()).isEmpty();
        assertThat(placed).extracting(Order::status).containsOnly(OrdStatus.NEW, OrdStatus.FILLED);
        assertThat(settledRecords(Topics.TRADES)).hasSize(100);
        assertThat(settledRecords(Topics.ORDER_EVENTS)).hasSize(400); // 200 accepted, each trade reported to both sides
    }

    private List<Order> orders(List<OrderId> ids) {
        return ids.stream().map(id -> engine.order(id).orElseThrow()).toList();
    }

    private List<Order> placeMany(int count) throws Exception {
        String[] symbols = {"AAPL", "MSFT", "GOOG", "AMZN", "TSLA", "NVDA"};
        List<Order> placed = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            NewOrder command = limit("acct-" + (i % 3), "c-" + i, symbols[i % symbols.length],
                    i % 2 == 0 ? Side.BUY : Side.SELL, 100_0000 + i, 1 + i);
            OrderId id = engine.submit(command, T0 + i).join();
            placed.add(engine.verdict(id, command).get().order());
        }
        placed.sort(Comparator.comparing(o -> o.id().packed()));
        return placed;
    }

    private static NewOrder limit(String account, String clientOrderId, String symbol, Side side, long ticks, long qty) {
        return new NewOrder(account, clientOrderId, symbol, side, OrderType.LIMIT, TimeInForce.GTC, ticks, qty);
    }

    @Test
    void aStartWithAnotherPriceScaleOrCapacityThanTheStateWasWrittenWithIsRefusedNamingBoth() throws Exception {
        start();
        NewOrder command = limit("acct-1", "c-1", "AAPL", Side.BUY, 101_2500, 100);
        engine.verdict(engine.submit(command, T0).join(), command).get();
        stop();

        EmbeddedOrderLog log = new EmbeddedOrderLog(broker = EmbeddedBroker.open(dir.resolve("log"), 1, 1024), Topics.ORDERS);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.start(
                        new EngineConfig(dir.resolve("state"), 2, false, 10_000, new PriceScale(2)), log))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("written with engine.price-decimals 4, and it is 2 now");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Engine.start(
                        new EngineConfig(dir.resolve("state"), 2, false, 20_000, new PriceScale(4)), log))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("written with engine.max-orders 10000, and it is 20000 now");
        broker.close();
        broker = null;

        start(); // the store was closed: the same scale opens it again
        assertThat(engine.order(new OrderId(engine.partitionOf("AAPL"), 0)).orElseThrow().priceTicks()).isEqualTo(101_2500);
    }

    private void start() throws IOException {
        broker = EmbeddedBroker.open(dir.resolve("log"), 1, 1024);
        broker.createTopic(Topics.ORDERS, PARTITIONS);
        engine = Engine.start(new EngineConfig(dir.resolve("state"), 2, false, 10_000, new PriceScale(4)),
                new EmbeddedOrderLog(broker, Topics.ORDERS));
    }

    private void stopAll() throws IOException {
        stop();
    }

    private void restart() throws IOException {
        stop();
        start();
    }

}
