package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code GET /orders} answers from an index of the store's orders by partition, account and symbol
 * once it is built: its pages are those a scan of the whole store gives, through new orders,
 * changed ones and removed ones.
 */
class OrderIndexTest {
    private static final String[] ACCOUNTS = {"a-1", "a-2", "a-3", "ä-4"};
    private static final String[] SYMBOLS = {"S0", "S1", "S2", "S3", "S4"};
    private static final int PARTITIONS = 3;

    @TempDir
    Path dir;

    @Test
    void pagesFromTheIndexAreThoseAScanOfTheStoreGivesThroughNewChangedAndRemovedOrders() throws Exception {
        Random random = new Random(42);
        long[] nextOffset = new long[PARTITIONS];
        try (OrderStore store = OrderStore.open(dir, 10_000)) {
            List<Order> live = new ArrayList<>();
            batches(store, random, nextOffset, live, 20);
            assertThat(store.orders("a-1", null, null, null, 10, p -> true)).as("a scan, and the build starts").isNotEmpty();
            await().until(store::indexReady);
            for (int round = 0; round < 5; round++) {
                batches(store, random, nextOffset, live, 10);
                for (String account : withNull(ACCOUNTS)) {
                    for (String symbol : withNull(SYMBOLS)) {
                        for (OrdStatus status : new OrdStatus[] {null, OrdStatus.NEW, OrdStatus.FILLED}) {
                            if (account == null && symbol == null && status != null) {
                                continue; // by status alone the store scans
                            }
                            assertSamePages(store, account, symbol, status);
                        }
                    }
                }
            }
        }
    }

    @Test
    void ordersAddedAndRemovedWhileTheIndexIsBuiltAreCountedOnceItIs() throws Exception {
        OrderIndex index = new OrderIndex();
        CountDownLatch scanning = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        long scannedThenRemoved = new OrderId(0, 1).packed();
        long scannedAndAddedAgain = new OrderId(0, 2).packed();
        index.buildIfAbsent(() -> {
            scanning.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
            return List.of(new OrderIndex.Entry(scannedThenRemoved, "a", "S"), new OrderIndex.Entry(scannedAndAddedAgain, "a", "S"));
        });
        scanning.await();
        long addedMeanwhile = new OrderId(1, 7).packed();
        long addedAndRemovedMeanwhile = new OrderId(0, 9).packed();
        index.add(List.of(new OrderIndex.Entry(addedMeanwhile, "a", "T"), new OrderIndex.Entry(scannedAndAddedAgain, "a", "S"),
                new OrderIndex.Entry(addedAndRemovedMeanwhile, "a", "S")));
        index.remove(List.of(new OrderIndex.Entry(scannedThenRemoved, "a", "S"),
                new OrderIndex.Entry(addedAndRemovedMeanwhile, "a", "S")));
        assertThat(index.ready()).isFalse();
        release.countDown();
        await().until(index::ready);

        assertThat(ids(index, "a", null)).containsExactly(scannedAndAddedAgain, addedMeanwhile);
        assertThat(ids(index, null, "S")).containsExactly(scannedAndAddedAgain);
        assertThat(ids(index, null, null)).containsExactly(scannedAndAddedAgain, addedMeanwhile);
    }

    @Test
    void aPartitionRebuiltFromItsLogDropsTheIndexAndTheNextQueryBuildsItAnew() throws Exception {
        try (OrderStore store = OrderStore.open(dir, 1_000)) {
            Order order = order(0, 0, "a-1", "S0", OrdStatus.NEW);
            store.commit(0, 0, 1, List.of(order), Map.of(OrderStore.submissionKey("a-1", "S0", "c-0"), order.id().packed()),
                    Map.of(), Map.of());
            store.orders("a-1", null, null, null, 10, p -> true);
            await().until(store::indexReady);

            store.wipe(0, symbol -> 0);
            assertThat(store.indexReady()).isFalse();
            assertThat(store.orders("a-1", null, null, null, 10, p -> true)).isEmpty();
            store.commit(0, 0, 1, List.of(order), Map.of(OrderStore.submissionKey("a-1", "S0", "c-0"), order.id().packed()),
                    Map.of(), Map.of());
            await().until(store::indexReady);
            assertThat(store.orders("a-1", null, null, null, 10, p -> true)).containsExactly(order);
        }
    }

    /** Pages of 3 through the whole result, from the index and from a scan, and of the odd partitions only. */
    private static void assertSamePages(OrderStore store, String account, String symbol, OrdStatus status) {
        for (java.util.function.IntPredicate partitions : List.<java.util.function.IntPredicate>of(p -> true, p -> p % 2 == 1)) {
            OrderId after = null;
            while (true) {
                List<Order> scanned = store.scan(account, symbol, status, after, 3, partitions);
                assertThat(store.orders(account, symbol, status, after, 3, partitions))
                        .as("account %s, symbol %s, status %s, after %s", account, symbol, status, after).isEqualTo(scanned);
                if (scanned.size() < 3) {
                    break;
                }
                after = scanned.getLast().id();
            }
        }
    }

    /** Batches placing orders on every partition, filling and canceling some, and removing some done ones. */
    private static void batches(OrderStore store, Random random, long[] nextOffset, List<Order> live, int count) throws Exception {
        for (int b = 0; b < count; b++) {
            int partition = random.nextInt(PARTITIONS);
            List<Order> changed = new ArrayList<>();
            Map<String, Long> placed = new HashMap<>();
            for (int i = 0; i < 1 + random.nextInt(6); i++) {
                Order order = order(partition, nextOffset[partition]++, ACCOUNTS[random.nextInt(ACCOUNTS.length)],
                        SYMBOLS[random.nextInt(SYMBOLS.length)], OrdStatus.NEW);
                changed.add(order);
                placed.put(OrderStore.submissionKey(order.account(), order.symbol(), order.clientOrderId()), order.id().packed());
            }
            List<Long> removed = new ArrayList<>();
            for (Order order : List.copyOf(live)) {
                if (order.id().partition() != partition) {
                    continue;
                }
                int dice = random.nextInt(10);
                if (dice == 0 && order.isOpen()) {
                    Order filled = order.withFill(order.quantity());
                    changed.add(filled);
                    live.set(live.indexOf(order), filled);
                } else if (dice == 1 && order.isDone()) {
                    removed.add(order.id().packed());
                    live.remove(order);
                }
            }
            live.addAll(changed.stream().filter(o -> placed.containsValue(o.id().packed())).toList());
            long from = nextOffset[partition];
            store.commit(partition, from, from + 1, changed, placed, Map.of(), Map.of(),
                    removed.stream().mapToLong(Long::longValue).toArray(), OrderStore.NO_DAY);
        }
    }

    private static Order order(int partition, long offset, String account, String symbol, OrdStatus status) {
        return new Order(new OrderId(partition, offset), account, "c-" + offset, symbol, Side.BUY, OrderType.LIMIT,
                TimeInForce.GTC, 10_000, 10, 0, status, 0, offset, null);
    }

    private static String[] withNull(String[] values) {
        String[] all = java.util.Arrays.copyOf(values, values.length + 1);
        return all; // the last is null: any
    }

    private static List<Long> ids(OrderIndex index, String account, String symbol) {
        List<Long> ids = new ArrayList<>();
        index.forEach(account, symbol, Long.MIN_VALUE, id -> ids.add(id));
        return ids;
    }
}
