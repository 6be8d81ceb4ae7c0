package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A worker applies its next batch while the batch before is written to the store: until that
 * batch is settled, the worker's reads see it, as if it were in the store already.
 */
class WriteBehindStateTest {
    @TempDir
    Path dir;
    private OrderStore store;
    private WorkingState state;

    @BeforeEach
    void open() throws Exception {
        store = OrderStore.open(dir, 1000);
        state = new WorkingState(store, 1);
        state.restore(new int[] {0});
    }

    @AfterEach
    void close() throws Exception {
        store.close();
    }

    @Test
    void aSealedBatchNotYetWrittenIsWhatTheNextBatchReads() {
        Order placed = order(0, "c-0");
        state.put(placed);
        state.indexClientOrderId("acct", "S", "c-0", placed.id());
        state.addPosition("acct", "S", 7);
        state.markDeadLettered(new OrderId(0, 1), 99);
        WorkingState.Batch first = state.seal(0, 0, 2);

        assertThat(store.order(placed.id())).as("not written yet").isEmpty();
        assertThat(state.order(placed.id())).contains(placed);
        assertThat(state.byClientOrderId("acct", "S", "c-0")).contains(placed.id());
        assertThat(state.position("acct", "S")).isEqualTo(7);
        assertThat(state.isDeadLettered(new OrderId(0, 1))).isTrue();

        // The next batch builds on it: a fill and a trade's position change.
        Order filled = placed.withFill(3);
        state.put(filled);
        state.addPosition("acct", "S", 3);
        assertThat(state.position("acct", "S")).isEqualTo(10);

        state.commit(first); // the writer thread's part
        state.settle(first, true);
        assertThat(store.order(placed.id())).contains(placed);
        assertThat(state.order(placed.id())).as("the later change, not the written one").contains(filled);

        WorkingState.Batch second = state.seal(0, 2, 3);
        state.commit(second);
        state.settle(second, true);
        assertThat(store.order(placed.id())).contains(filled);
        assertThat(store.position("acct", "S")).isEqualTo(10);
        assertThat(store.byClientOrderId("acct", "S", "c-0")).contains(placed.id());
        assertThat(store.isDeadLettered(new OrderId(0, 1))).isTrue();
        assertThat(store.checkpoint(0)).isEqualTo(3);
    }

    @Test
    void aBatchThatWasNotWrittenIsForgottenAndReadsGoBackToTheStore() {
        Order kept = order(0, "c-0");
        state.put(kept);
        state.indexClientOrderId("acct", "S", "c-0", kept.id());
        WorkingState.Batch placed = state.seal(0, 0, 1);
        state.commit(placed);
        state.settle(placed, true);

        Order canceled = kept.withStatus(OrdStatus.CANCELED, "CANCELED");
        state.put(canceled);
        Order lost = order(1, "c-1");
        state.put(lost);
        state.indexClientOrderId("acct", "S", "c-1", lost.id());
        state.addPosition("acct", "S", 4);
        WorkingState.Batch failed = state.seal(0, 1, 2);
        state.put(order(2, "c-2")); // applied over it meanwhile
        assertThatThrownBy(() -> state.seal(0, 2, 3)).as("one batch behind at most").isInstanceOf(IllegalStateException.class);

        state.settle(failed, false); // its write failed
        state.discard(); // and so the batch applied over it goes too

        assertThat(state.order(kept.id())).contains(kept);
        assertThat(state.order(lost.id())).isEmpty();
        assertThat(state.order(new OrderId(0, 2))).isEmpty();
        assertThat(state.byClientOrderId("acct", "S", "c-1")).isEmpty();
        assertThat(state.position("acct", "S")).isZero();
        assertThat(store.checkpoint(0)).isEqualTo(1);
    }

    @Test
    void aNewDayRemovesTheDoneOrdersOfTheBatchBeingWrittenAndOfItsOwnFromWhatEitherBatchReads() {
        long day = 20_000 * dev.oms.engine.order.TradingDay.MILLIS;
        state.beginTradingDay(0, day);
        Order doneBefore = order(0, "c-0").withStatus(OrdStatus.CANCELED, "CANCEL_REQUESTED");
        state.put(doneBefore);
        state.indexClientOrderId("acct", "S", "c-0", doneBefore.id());
        WorkingState.Batch first = state.seal(0, 0, 1); // written behind, not settled yet

        Order doneNow = order(1, "c-1").withStatus(OrdStatus.REJECTED, "MAX_QUANTITY");
        state.put(doneNow); // placed and done in the batch that begins the next day
        state.indexClientOrderId("acct", "S", "c-1", doneNow.id());
        state.beginTradingDay(0, day + dev.oms.engine.order.TradingDay.MILLIS);
        Order again = order(2, "c-0");
        state.put(again);
        state.indexClientOrderId("acct", "S", "c-0", again.id());

        assertThat(state.order(doneBefore.id())).isEmpty();
        assertThat(state.order(doneNow.id())).isEmpty();
        assertThat(state.byClientOrderId("acct", "S", "c-1")).isEmpty();
        assertThat(state.byClientOrderId("acct", "S", "c-0")).contains(again.id());

        state.commit(first);
        state.settle(first, true);
        WorkingState.Batch second = state.seal(0, 1, 3);
        state.commit(second);
        state.settle(second, true);
        assertThat(store.order(doneBefore.id())).isEmpty();
        assertThat(store.order(doneNow.id())).as("never written").isEmpty();
        assertThat(store.byClientOrderId("acct", "S", "c-1")).as("nor its index entry").isEmpty();
        assertThat(store.byClientOrderId("acct", "S", "c-0")).contains(again.id());
        assertThat(store.tradingDay(0)).isEqualTo(20_001);
        assertThat(store.openOrders(new int[] {0}).orderCounts()).containsEntry(0, 1L);
    }

    @Test
    void whatABatchBeingWrittenRemovedAtANewDayIsGoneForTheNextBatchThoughStillInTheStore() throws Exception {
        long day = 20_000 * dev.oms.engine.order.TradingDay.MILLIS;
        state.beginTradingDay(0, day);
        Order done = order(0, "c-0").withStatus(OrdStatus.CANCELED, "CANCEL_REQUESTED");
        state.put(done);
        state.indexClientOrderId("acct", "S", "c-0", done.id());
        state.markDeadLettered(new OrderId(0, 1), 99);
        WorkingState.Batch first = state.seal(0, 0, 2);
        state.commit(first);
        state.settle(first, true);

        state.beginTradingDay(0, day + dev.oms.engine.order.TradingDay.MILLIS);
        WorkingState.Batch second = state.seal(0, 2, 3); // the new day's batch, written behind
        assertThat(store.order(done.id())).as("not written yet").isPresent();

        assertThat(state.order(done.id())).isEmpty();
        assertThat(state.byClientOrderId("acct", "S", "c-0")).isEmpty();
        assertThat(state.isDeadLettered(new OrderId(0, 1))).as("its marks went with it").isFalse();
        state.markDeadLettered(new OrderId(0, 4), 100);
        assertThat(state.isDeadLettered(new OrderId(0, 4))).isTrue();

        state.commit(second);
        state.settle(second, true);
        assertThat(store.order(done.id())).isEmpty();
        assertThat(store.isDeadLettered(new OrderId(0, 1))).isFalse();
    }

    private static Order order(long offset, String clientOrderId) {
        return new Order(new OrderId(0, offset), "acct", clientOrderId, "S", Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                10_000, 10, 0, OrdStatus.NEW, 0, offset, null);
    }
}
