package dev.oms.engine.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A batch's state reaches the Chronicle Maps all or nothing: a process that dies half way through
 * writing them leaves a redo file, and the next start finishes the write from it instead of
 * rebuilding the partition from its log.
 */
class StateCommitTest {
    @TempDir
    Path dir;

    @Test
    void aCommitCutShortIsFinishedFromItsRedoFileAtTheNextStart() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        Order second = order(1, "c-1", OrdStatus.NEW);
        Order filled = first.withFill(5);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(OrderStore.submissionKey("acct", "S", "c-0"), first.id().packed()),
                    Map.of(), Map.of());
            assertThat(Files.readAllBytes(dir.resolve("redo-3"))).as("holds no batch once the commit is done")
                    .startsWith(0, 0, 0, 0);

            // The next batch: its redo file written, the maps marked, one change made, then the process dies.
            store.writeRedo(3, 1, 2, List.of(filled, second), Map.of(OrderStore.submissionKey("acct", "S", "c-1"), second.id().packed()),
                    Map.of(OrderStore.positionKey("acct", "S"), 5L), Map.of());
            store.beginApply(3, 1);
            store.put(filled);
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.interrupted(3)).isTrue();
            assertThat(store.recover(3)).isTrue();
            assertThat(store.interrupted(3)).isFalse();
            assertThat(store.checkpoint(3)).isEqualTo(2);
            assertThat(store.order(first.id())).contains(filled);
            assertThat(store.order(second.id())).contains(second);
            assertThat(store.byClientOrderId("acct", "S", "c-1")).contains(second.id());
            assertThat(store.position("acct", "S")).isEqualTo(5);
            assertThat(Files.exists(dir.resolve("redo-3"))).isFalse();
        }
    }

    @Test
    void aCommitThatBeginsATradingDayAndWasCutShortRemovesItsDoneOrdersFromTheRedoFile() throws Exception {
        Order done = order(0, "c-0", OrdStatus.FILLED);
        Order open = order(1, "c-1", OrdStatus.NEW);
        String doneKey = OrderStore.submissionKey("acct", "S", "c-0");
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 2, List.of(done, open), Map.of(doneKey, done.id().packed(),
                    OrderStore.submissionKey("acct", "S", "c-1"), open.id().packed()), Map.of(), Map.of());
            // The next batch begins day 20,000: the done order leaves, and a NewOrder of the new day
            // takes its clientOrderId. The process dies after the redo file and the mark.
            Order again = order(2, "c-0", OrdStatus.NEW);
            store.writeRedo(3, 2, 3, List.of(again), Map.of(doneKey, again.id().packed()), Map.of(), Map.of(),
                    new long[] {done.id().packed()}, 20_000);
            store.beginApply(3, 2);
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.tradingDay(3)).isEqualTo(OrderStore.NO_DAY);
            assertThat(store.recover(3)).isTrue();
            assertThat(store.order(done.id())).isEmpty();
            assertThat(store.order(open.id())).contains(open);
            assertThat(store.byClientOrderId("acct", "S", "c-0")).as("the new day's order keeps the id")
                    .contains(new OrderId(3, 2));
            assertThat(store.tradingDay(3)).isEqualTo(20_000);
            assertThat(store.checkpoint(3)).isEqualTo(3);
            assertThat(store.openOrders(new int[] {3}).orderCounts()).containsEntry(3, 2L);
        }
    }

    @Test
    void aRedoFileWhoseCommitNeverStartedOrIsTornChangesNothing() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(), Map.of(), Map.of());
            // Died after writing the redo file, before marking the maps: the batch is simply applied again.
            store.writeRedo(3, 1, 2, List.of(first.withFill(5)), Map.of(), Map.of(), Map.of());
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.recover(3)).isFalse();
            assertThat(store.checkpoint(3)).isEqualTo(1);
            assertThat(store.order(first.id())).contains(first);
            // A torn redo file (the process died while writing it) is dropped too.
            store.writeRedo(3, 1, 2, List.of(first.withFill(5)), Map.of(), Map.of(), Map.of());
            store.beginApply(3, 1);
            byte[] whole = Files.readAllBytes(dir.resolve("redo-3"));
            Files.write(dir.resolve("redo-3"), java.util.Arrays.copyOf(whole, whole.length / 2));
            assertThat(store.recover(3)).isFalse();
            assertThat(store.interrupted(3)).as("left to the rebuild from the log").isTrue();
        }
    }

    /** A file made and deleted per batch cost a sixth of a worker's time under HTTP load, and journal writes each fsync waited for. */
    @Test
    void everyBatchOfAPartitionIsWrittenOverTheSameRedoFileAndACleanCloseRemovesIt() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(), Map.of(), Map.of());
            Object file = Files.getAttribute(dir.resolve("redo-3"), "unix:ino");
            for (int fill = 1; fill <= 3; fill++) {
                store.commit(3, fill, fill + 1, List.of(first.withFill(fill)), Map.of(), Map.of(), Map.of());
            }
            assertThat(Files.getAttribute(dir.resolve("redo-3"), "unix:ino")).isEqualTo(file);
            assertThat(store.checkpoint(3)).isEqualTo(4);
        }
        assertThat(Files.exists(dir.resolve("redo-3"))).isFalse();
    }

    /** In a cluster a worker is made again when its node leads a partition again; its start checks the redo file again. */
    @Test
    void aPartitionRecoveredAgainMidLifeStillLeavesARedoFileForTheNextStart() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(), Map.of(), Map.of());
            assertThat(store.recover(3)).isFalse();
            store.commit(3, 1, 2, List.of(first.withFill(1)), Map.of(), Map.of(), Map.of());
            store.writeRedo(3, 2, 3, List.of(first.withFill(2)), Map.of(), Map.of(), Map.of());
            store.beginApply(3, 2);
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.recover(3)).as("the batch is in the file the next start reads").isTrue();
            assertThat(store.order(first.id())).contains(first.withFill(2));
        }
    }

    /** A batch shorter than the one before it is written over the start of the file: what lies past its end is not read. */
    @Test
    void aShortBatchWrittenOverALongerOneIsFinishedAlone() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        Order second = order(1, "c-1", OrdStatus.NEW);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 2, List.of(first, second), Map.of(OrderStore.submissionKey("acct", "S", "c-1"), second.id().packed()),
                    Map.of(OrderStore.positionKey("acct", "S"), 7L), Map.of());
            store.writeRedo(3, 2, 3, List.of(first.withFill(2)), Map.of(), Map.of(), Map.of());
            store.beginApply(3, 2);
        }
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.recover(3)).isTrue();
            assertThat(store.checkpoint(3)).isEqualTo(3);
            assertThat(store.order(first.id())).contains(first.withFill(2));
            assertThat(store.order(second.id())).contains(second);
            assertThat(store.position("acct", "S")).isEqualTo(7);
        }
    }

    /** A redo file an earlier build left (no length, the whole file one batch) is still finished. */
    @Test
    void aRedoFileOfAnEarlierBuildIsFinished() throws Exception {
        Order first = order(0, "c-0", OrdStatus.NEW);
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            store.commit(3, 0, 1, List.of(first), Map.of(), Map.of(), Map.of());
            store.writeRedo(3, 1, 2, List.of(first.withFill(5)), Map.of(), Map.of(), Map.of());
            store.beginApply(3, 1);
        }
        // As the earlier build wrote it: "omsR", the body, then the CRC-32C of both.
        byte[] current = Files.readAllBytes(dir.resolve("redo-3"));
        int length = java.nio.ByteBuffer.wrap(current).getInt(4);
        java.nio.ByteBuffer earlier = java.nio.ByteBuffer.allocate(4 + length + 4).putInt(0x6f6d7352).put(current, 8, length);
        java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
        crc.update(earlier.array(), 0, 4 + length);
        Files.write(dir.resolve("redo-3"), earlier.putInt((int) crc.getValue()).array());
        try (OrderStore store = OrderStore.open(dir, 1000)) {
            assertThat(store.recover(3)).isTrue();
            assertThat(store.order(first.id())).contains(first.withFill(5));
            assertThat(store.checkpoint(3)).isEqualTo(2);
        }
    }

    private static Order order(long offset, String clientOrderId, OrdStatus status) {
        return new Order(new OrderId(3, offset), "acct", clientOrderId, "S", Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                100_000, 10, 0, status, 1_000, offset, null);
    }
}
