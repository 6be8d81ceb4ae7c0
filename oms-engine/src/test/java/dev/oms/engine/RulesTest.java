package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.NewOrder;
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
import org.junit.jupiter.api.Test;

/**
 * The rules (risk limits, self-trade prevention) are records of the log: a command is decided by
 * those in effect at its offset, whatever the node applying or replaying it is configured with.
 */
class RulesTest extends EngineTestBase {
    private static final long T0 = 1_767_225_600_000L;
    private static final int PARTITIONS = 2;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final RiskLimits WIDE = new RiskLimits(10_000, Long.MAX_VALUE, Long.MAX_VALUE, 100, Long.MAX_VALUE);
    private static final RiskLimits NARROW = new RiskLimits(1_000, Long.MAX_VALUE, Long.MAX_VALUE, 100, Long.MAX_VALUE);
    private static final RiskLimits OTHER = new RiskLimits(50_000, Long.MAX_VALUE, Long.MAX_VALUE, 7, Long.MAX_VALUE);

    @Test
    void aChangedConfigurationDecidesFromItsRecordOnAndAReplayElsewhereDecidesAsTheFirstRunDid() throws Exception {
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        awaitRules(1);
        Order before = place("alice", "big-1", Side.BUY, "10", 5_000).order();
        assertThat(before.status()).as("within the limits configured at first").isEqualTo(OrdStatus.NEW);

        stop();
        start(NARROW, SelfTradePrevention.CANCEL_NEWEST);
        awaitRules(2);
        Verdict after = place("alice", "big-2", Side.BUY, "10", 5_000);
        assertThat(after.reason()).as("past the record of the narrower limits").isEqualTo("QUANTITY_LIMIT");
        List<String> events = settledRecords(Topics.ORDER_EVENTS);

        // Another node, or this one later, with another configuration and no state: it replays the log.
        stop();
        deleteState();
        start(OTHER, SelfTradePrevention.CANCEL_NEWEST);
        await().until(engine::caughtUp);
        assertThat(engine.order(before.id()).orElseThrow().status()).isEqualTo(OrdStatus.NEW);
        assertThat(engine.order(after.order().id()).orElseThrow().reason()).isEqualTo("QUANTITY_LIMIT");
        assertThat(settledRecords(Topics.ORDER_EVENTS)).as("decided as before, nothing published again").isEqualTo(events);
        awaitRules(3);
        assertThat(place("alice", "big-3", Side.BUY, "10", 20_000).accepted())
                .as("and what comes after its own record is decided by its rules").isTrue();
        assertThat(place("alice", "big-4", Side.BUY, "10", 60_000).reason()).isEqualTo("QUANTITY_LIMIT");
    }

    @Test
    void aRestartWithTheSameConfigurationResumesItsRulesFromTheStateAndAppendsNone() throws Exception {
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        awaitRules(1);
        place("alice", "a-1", Side.BUY, "10", 10);

        stop();
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        await().until(engine::caughtUp);
        place("alice", "a-2", Side.BUY, "10", 10);
        // Rules the state had lost would be appended again at the catch-up.
        await().during(java.time.Duration.ofMillis(500)).atMost(java.time.Duration.ofSeconds(5))
                .until(() -> rulesRecords().size() == PARTITIONS);
    }

    @Test
    void selfTradePreventionSetByARecordAppliesToTheBooksOfItsPartitionFromThereOn() throws Exception {
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        awaitRules(1);
        Order resting = place("alice", "s-1", Side.SELL, "10", 100).order();
        Order canceled = place("alice", "b-1", Side.BUY, "10", 40).order();
        assertThat(canceled.status()).as("an account's crossing order canceled").isEqualTo(OrdStatus.CANCELED);

        stop();
        start(WIDE, SelfTradePrevention.NONE);
        awaitRules(2);
        Order traded = place("alice", "b-2", Side.BUY, "10", 40).order();
        assertThat(traded.status()).as("the book restored at the start follows the record").isEqualTo(OrdStatus.FILLED);
        assertThat(engine.order(resting.id()).orElseThrow().filledQuantity()).isEqualTo(40);

        stop();
        deleteState();
        start(WIDE, SelfTradePrevention.CANCEL_BOTH);
        await().until(engine::caughtUp);
        assertThat(engine.order(canceled.id()).orElseThrow().status()).isEqualTo(OrdStatus.CANCELED);
        assertThat(engine.order(traded.id()).orElseThrow().status()).isEqualTo(OrdStatus.FILLED);
    }

    @Test
    void aRulesRecordWhoseNoteCannotBeWrittenStopsItsPartitionAndIsNotDeadLettered() throws Exception {
        // The history's temporary file cannot be made where a directory stands.
        java.nio.file.Files.createDirectories(dir.resolve("state").resolve("rules-0.next"));
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        await().until(() -> engine.stopped(0));
        assertThat(engine.caughtUp()).as("not ready").isFalse();
        assertThat(rawRecords(Topics.ORDERS_DLT)).as("a replay would apply it: it is no poison").isEmpty();

        stop();
        java.nio.file.Files.delete(dir.resolve("state").resolve("rules-0.next"));
        start(WIDE, SelfTradePrevention.CANCEL_NEWEST);
        await().until(engine::caughtUp);
        assertThat(engine.stopped(0)).isFalse();
        assertThat(rulesRecords()).as("the record was applied after all: none appended again").hasSize(PARTITIONS);
    }

    /** Waits until each partition holds {@code count} rules records (one more for a change of configuration). */
    private void awaitRules(int count) {
        await().until(() -> rulesRecords().size() == count * PARTITIONS);
        await().until(engine::caughtUp);
    }

    private List<JsonNode> rulesRecords() throws IOException {
        List<JsonNode> rules = new java.util.ArrayList<>();
        for (String raw : rawRecords(Topics.ORDERS)) {
            JsonNode record = JSON.readTree(raw);
            if (record.get("type").asText().equals("SetRules")) {
                rules.add(record);
            }
        }
        return rules;
    }

    private Verdict place(String account, String clientOrderId, Side side, String price, long quantity) throws Exception {
        NewOrder order = new NewOrder(account, clientOrderId, "AAPL", side, OrderType.LIMIT, TimeInForce.GTC,
                new PriceScale(4).parse(price), quantity);
        OrderId id = engine.submit(order, T0).join();
        return engine.verdict(id, order).get();
    }

    private void start(RiskLimits limits, SelfTradePrevention stp) throws IOException {
        start(PARTITIONS, new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4), limits, stp));
    }
}
