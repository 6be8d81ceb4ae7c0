package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
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
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.engine.worker.Verdict;
import dev.oms.streaming.client.PartitionSubscription;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The execution reports on {@code order-events} and the trades on {@code trades}, field by field as
 * docs/events.md documents them: every event type the engine writes, driven through the engine.
 */
class OrderEventRecordsTest extends EngineTestBase {
    private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00Z
    private static final long DAY_MS = 24L * 3600 * 1000;
    private static final RiskLimits LIMITS = new RiskLimits(10_000, Long.MAX_VALUE, 5_000, 50, 1_000_000);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A record on an output topic: where it is, its key, its value. */
    private record Output(int partition, long offset, String key, JsonNode value) {
    }

    /** A command as the log holds it: its coordinates (for a NewOrder, the order's id) and the engine's verdict. */
    private record Applied(OrderId at, Verdict verdict) {
        String eventId(int sequence) {
            return at.partition() + "-" + at.offset() + "-" + sequence;
        }
    }

    @Test
    void everyEventTypeIsARecordOnOrderEventsInTheDocumentedSchema() throws Exception {
        start();
        Applied big = command(limit("alice", "big", Side.BUY, TimeInForce.GTC, "10", 20_000), T0 + 1_000);
        Applied c1 = command(limit("alice", "c1", Side.BUY, TimeInForce.GTC, "10", 10), T0 + 2_000);
        Applied cancel = command(new CancelOrder(c1.at(), "alice", "AAPL"), T0 + 3_000);
        Applied cancelAgain = command(new CancelOrder(c1.at(), "alice", "AAPL"), T0 + 4_000);
        Applied r1 = command(limit("alice", "r1", Side.BUY, TimeInForce.GTC, "9", 10), T0 + 5_000);
        Applied replace = command(new ReplaceOrder(r1.at(), "alice", "AAPL", ticks("9.5"), 12), T0 + 6_000);
        Applied replaceTooBig = command(new ReplaceOrder(r1.at(), "alice", "AAPL", ticks("9.5"), 20_000), T0 + 7_000);
        Applied d1 = command(limit("alice", "d1", Side.BUY, TimeInForce.DAY, "9.75", 10), T0 + 8_000);
        Applied s1 = command(limit("bob", "s1", Side.SELL, TimeInForce.GTC, "9.75", 4), T0 + 9_000);
        command(limit("bob", "s2", Side.SELL, TimeInForce.GTC, "10", 1), T0 + DAY_MS - 1);
        assertThat(engine.order(d1.at()).orElseThrow().status()).as("open until its day ends by record time, whatever"
                + " the clock says").isEqualTo(OrdStatus.PARTIALLY_FILLED);
        Applied nextDay = command(limit("bob", "s3", Side.SELL, TimeInForce.GTC, "10", 1), T0 + DAY_MS + 123);

        assertThat(big.verdict().reason()).isEqualTo("QUANTITY_LIMIT");
        assertThat(cancelAgain.verdict().reason()).isEqualTo("TOO_LATE_TO_CANCEL");
        assertThat(replaceTooBig.verdict().reason()).isEqualTo("QUANTITY_LIMIT");
        assertThat(engine.order(d1.at()).orElseThrow().status()).isEqualTo(OrdStatus.EXPIRED);
        assertThat(engine.order(r1.at()).orElseThrow().status()).as("GTC does not expire").isEqualTo(OrdStatus.NEW);

        int partition = engine.partitionOf("AAPL");
        List<Output> events = records(Topics.ORDER_EVENTS, 14);
        assertThat(events).extracting(e -> e.value().get("type").asText() + ":" + e.value().get("clientOrderId").asText()
                + ":" + e.value().get("status").asText()).containsExactly(
                "Rejected:big:REJECTED",
                "Accepted:c1:NEW", "Canceled:c1:CANCELED", "CancelRejected:c1:CANCELED",
                "Accepted:r1:NEW", "Replaced:r1:NEW", "CancelRejected:r1:NEW",
                "Accepted:d1:NEW", "Accepted:s1:NEW", "Trade:s1:FILLED", "Trade:d1:PARTIALLY_FILLED",
                "Accepted:s2:NEW",
                "Expired:d1:EXPIRED", "Accepted:s3:NEW");
        for (Output event : events) {
            assertThat(event.partition()).as("the partition of the command that caused it").isEqualTo(partition);
            assertThat(event.key()).as("keyed by order id").isEqualTo(event.value().get("orderId").asText());
        }

        assertThat(event(events, big.eventId(0))).isEqualTo(json("""
                {"schema":1,"type":"Rejected","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"big",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"REJECTED","price":"10","quantity":20000,
                 "filledQuantity":0,"leavesQuantity":0,"reason":"QUANTITY_LIMIT","time":"2026-01-01T00:00:01Z"}""",
                big.eventId(0), big.at()));
        assertThat(event(events, cancel.eventId(0))).isEqualTo(json("""
                {"schema":1,"type":"Canceled","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"c1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"CANCELED","price":"10","quantity":10,
                 "filledQuantity":0,"leavesQuantity":0,"reason":"CANCEL_REQUESTED","time":"2026-01-01T00:00:03Z"}""",
                cancel.eventId(0), c1.at()));
        assertThat(event(events, cancelAgain.eventId(0))).isEqualTo(json("""
                {"schema":1,"type":"CancelRejected","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"c1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"CANCELED","price":"10","quantity":10,
                 "filledQuantity":0,"leavesQuantity":0,"reason":"TOO_LATE_TO_CANCEL","time":"2026-01-01T00:00:04Z"}""",
                cancelAgain.eventId(0), c1.at()));
        assertThat(event(events, replace.eventId(0))).isEqualTo(json("""
                {"schema":1,"type":"Replaced","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"r1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"NEW","price":"9.5","quantity":12,
                 "filledQuantity":0,"leavesQuantity":12,"time":"2026-01-01T00:00:06Z"}""",
                replace.eventId(0), r1.at()));
        assertThat(event(events, replaceTooBig.eventId(0))).as("a replace refused by risk").isEqualTo(json("""
                {"schema":1,"type":"CancelRejected","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"r1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"NEW","price":"9.5","quantity":12,
                 "filledQuantity":0,"leavesQuantity":12,"reason":"QUANTITY_LIMIT","time":"2026-01-01T00:00:07Z"}""",
                replaceTooBig.eventId(0), r1.at()));
        assertThat(event(events, s1.eventId(3))).as("the resting side of a fill").isEqualTo(json("""
                {"schema":1,"type":"Trade","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"d1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"PARTIALLY_FILLED","price":"9.75","quantity":10,
                 "filledQuantity":4,"leavesQuantity":6,"lastQuantity":4,"lastPrice":"9.75","time":"2026-01-01T00:00:09Z"}""",
                s1.eventId(3), d1.at()));
        assertThat(event(events, nextDay.eventId(0))).as("expired by the next day's first command, at its record time")
                .isEqualTo(json("""
                {"schema":1,"type":"Expired","eventId":"%s","orderId":"%s","account":"alice","clientOrderId":"d1",
                 "symbol":"AAPL","side":"BUY","orderType":"LIMIT","status":"EXPIRED","price":"9.75","quantity":10,
                 "filledQuantity":4,"leavesQuantity":0,"reason":"DAY_ENDED","time":"2026-01-02T00:00:00.123Z"}""",
                nextDay.eventId(0), d1.at()));

        List<Output> trades = records(Topics.TRADES, 1);
        assertThat(trades).hasSize(1);
        assertThat(trades.getFirst().partition()).isEqualTo(partition);
        assertThat(trades.getFirst().key()).as("keyed by symbol").isEqualTo("AAPL");
        assertThat(trades.getFirst().value()).isEqualTo(json("""
                {"schema":1,"tradeId":"%s","symbol":"AAPL","price":"9.75","quantity":4,"buyOrderId":"%s",
                 "sellOrderId":"%s","aggressorSide":"SELL","time":"2026-01-01T00:00:09Z"}""",
                s1.eventId(1), d1.at(), s1.at()));
    }

    private Applied command(OrderCommand command, long timestamp) throws Exception {
        OrderId at = engine.submit(command, timestamp).join();
        return new Applied(at, engine.verdict(at, command).get());
    }

    private static NewOrder limit(String account, String clientOrderId, Side side, TimeInForce timeInForce,
                                  String price, long quantity) {
        return new NewOrder(account, clientOrderId, "AAPL", side, OrderType.LIMIT, timeInForce, ticks(price), quantity);
    }

    private static long ticks(String price) {
        return new PriceScale(4).toTicks(new java.math.BigDecimal(price));
    }

    private static JsonNode json(String template, Object... args) throws IOException {
        return JSON.readTree(template.formatted(args));
    }

    private static JsonNode event(List<Output> events, String eventId) {
        return events.stream().filter(e -> e.value().get("eventId").asText().equals(eventId)).findFirst()
                .orElseThrow(() -> new AssertionError("no record on order-events has eventId " + eventId)).value();
    }

    /** The topic's records once it holds at least {@code atLeast} and no more arrive. */
    private List<Output> records(String topic, int atLeast) throws Exception {
        org.awaitility.Awaitility.await().until(() -> rawRecords(topic).size() >= atLeast);
        settledRecords(topic);
        List<Output> records = new ArrayList<>();
        for (int p = 0; p < broker.partitionCount(topic); p++) {
            int partition = p;
            PartitionSubscription.of(broker, new TopicPartition(topic, p), 0).poll(Integer.MAX_VALUE,
                    (offset, timestamp, key, value) -> records.add(new Output(partition, offset,
                            StandardCharsets.UTF_8.decode(key).toString(), readTree(value))));
        }
        return records;
    }

    private static JsonNode readTree(java.nio.ByteBuffer value) {
        try {
            return JSON.readTree(StandardCharsets.UTF_8.decode(value).toString());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private void start() throws IOException {
        start(2, new EngineConfig(dir.resolve("state"), 1, false, 10_000, new PriceScale(4), LIMITS,
                SelfTradePrevention.CANCEL_NEWEST));
    }
}
