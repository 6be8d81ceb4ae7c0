package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

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
        List<Order> placed = placeMany(20);
        stop();
        // As after a crash between applying records and saving the checkpoint.
        try (OrderStore store = OrderStore.open(dir.resolve("state"), 10_000)) {
            for (int p = 0; p < PARTITIONS; p++) {
                store.checkpoint(p, 0);
            }
        }
        start();
        NewOrder probe = limit("acct-probe", "probe", "AAPL", Side.BUY, 1, 1);
        OrderId probeId = engine.submit(probe, T0).join();
        engine.verdict(probeId, probe).get().order();
        for (Order order : placed) {
            assertThat(engine.order(order.id())).contains(order);
        }
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
