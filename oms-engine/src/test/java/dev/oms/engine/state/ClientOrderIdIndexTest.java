package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.openhft.chronicle.map.ChronicleMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The clientOrderId index is keyed by account, symbol and clientOrderId. A store an earlier build
 * wrote (keys without the symbol, in the index and in a redo file) is rewritten at open.
 */
class ClientOrderIdIndexTest {
    private static final String EARLIER_KEY = "acct\u0000c-0";

    @TempDir
    Path dir;

    @Test
    void anIndexOfAnEarlierBuildIsRewrittenWithEachOrdersSymbolAtOpen() throws Exception {
        Order first = order(0, "c-0");
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(EARLIER_KEY, first.id().packed()), Map.of(), Map.of());
        }
        forgetLayout();
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.byClientOrderId("acct", "S", "c-0")).contains(first.id());
            assertThat(store.byClientOrderId("acct", "T", "c-0")).as("another symbol's submission").isEmpty();
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.byClientOrderId("acct", "S", "c-0")).as("rewritten once, kept").contains(first.id());
        }
    }

    @Test
    void anOrderWhoseEntryAnEarlierBuildOverwroteGetsItsOwnBack() throws Exception {
        // An earlier build could place the same clientOrderId on two symbols (two partitions' workers
        // racing) and keep one index entry for both.
        Order onS = order(0, "c-0");
        Order onT = new Order(new OrderId(4, 0), "acct", "c-0", "T", Side.SELL, OrderType.LIMIT, TimeInForce.GTC,
                100_000, 10, 0, OrdStatus.NEW, 1_000, 0, null);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(onS), Map.of(EARLIER_KEY, onS.id().packed()), Map.of(), Map.of());
            store.commit(4, 0, 1, List.of(onT), Map.of(EARLIER_KEY, onT.id().packed()), Map.of(), Map.of());
        }
        forgetLayout();
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.byClientOrderId("acct", "S", "c-0")).contains(onS.id());
            assertThat(store.byClientOrderId("acct", "T", "c-0")).contains(onT.id());
        }
        try (ChronicleMap<String, Long> index = ChronicleMap.of(String.class, Long.class).name("client-order-ids")
                .entries(1000).averageKeySize(40).createPersistedTo(dir.resolve("client-order-ids.dat").toFile())) {
            assertThat(index.keySet()).as("no key of the earlier shape left")
                    .containsExactlyInAnyOrder("acct\u0000S\u0000c-0", "acct\u0000T\u0000c-0");
        }
    }

    @Test
    void aRedoFileOfAnEarlierBuildIsFinishedWithTheSymbolInItsKeys() throws Exception {
        Order first = order(0, "c-0");
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.writeRedo(3, 0, 1, List.of(first), Map.of(EARLIER_KEY, first.id().packed()), Map.of(), Map.of());
            store.beginApply(3, 0);
        }
        forgetLayout();
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.recover(3)).isTrue();
            assertThat(store.byClientOrderId("acct", "S", "c-0")).contains(first.id());
        }
    }

    @Test
    void anOrderRecordTheRewriteCannotReadLeavesItsPartitionToBeRebuiltFromTheLog() throws Exception {
        Order first = order(0, "c-0");
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(EARLIER_KEY, first.id().packed()), Map.of(), Map.of());
        }
        try (ChronicleMap<Long, byte[]> orders = ChronicleMap.of(Long.class, byte[].class).name("orders").entries(1000)
                .averageValueSize(96).createPersistedTo(dir.resolve("orders.dat").toFile())) {
            orders.put(first.id().packed(), new byte[] {2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}); // cut short
        }
        forgetLayout();
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.interrupted(3)).as("marked: its worker wipes and replays it").isTrue();
            assertThat(store.interruptedAt(3)).isEqualTo(1);
        }
    }

    /** As a store of an earlier build: no layout noted in the checkpoint map. */
    private void forgetLayout() throws Exception {
        try (ChronicleMap<Integer, Long> checkpoints = ChronicleMap.of(Integer.class, Long.class).name("checkpoints")
                .entries(4096).createPersistedTo(dir.resolve("checkpoints.dat").toFile())) {
            assertThat(checkpoints.remove(Integer.MIN_VALUE)).isEqualTo(3L);
        }
    }

    private static Order order(long offset, String clientOrderId) {
        return new Order(new OrderId(3, offset), "acct", clientOrderId, "S", Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                100_000, 10, 0, OrdStatus.NEW, 1_000, offset, null);
    }
}
