package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.ForwardingOrderLog;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.streaming.EmbeddedBroker;
import org.junit.jupiter.api.Test;

/**
 * A batch whose state is written behind, while the worker applies the next, and whose output
 * records do not all become durable (as when the disk fills): its partition stops, the batch
 * applied over it goes too, and the restart applies both again and publishes every record once.
 */
class WriteBehindFailureTest extends EngineTestBase {
    private static final int COMMANDS = 3_000;
    private static final int OUTPUTS_THAT_SUCCEED = 200;

    @Test
    void aFailedBatchWrittenBehindStopsItsPartitionAndTheRestartPublishesEveryRecordOnce() throws Exception {
        PriceScale scale = new PriceScale(4);
        EngineConfig config = new EngineConfig(dir.resolve("state"), 1, false, 10_000, scale, RiskLimits.UNLIMITED,
                SelfTradePrevention.NONE);
        broker = EmbeddedBroker.open(dir.resolve("log"), 1, 1024);
        broker.createTopic(Topics.ORDERS, 1);
        // The commands are on the log before the engine starts: its first batches are large, written behind.
        CommandCodec codec = new CommandCodec(scale);
        OrderLog log = new EmbeddedOrderLog(broker, Topics.ORDERS);
        List<OrderId> ids = new ArrayList<>();
        List<CompletableFuture<Long>> appended = new ArrayList<>();
        for (int i = 0; i < COMMANDS; i++) {
            NewOrder order = new NewOrder("acct-" + i % 7, "f-" + i, "AAPL", Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                    100_000, 1 + i % 5);
            appended.add(log.append(0, "AAPL".getBytes(), codec.encode(order), 1_767_225_600_000L, Map.of()));
            if (appended.size() == 500 || i == COMMANDS - 1) { // the log takes so many appends in flight at once
                appended.forEach(offset -> ids.add(new OrderId(0, offset.join())));
                appended.clear();
            }
        }

        engine = Engine.start(config, new OutputsFailingAfter(log, OUTPUTS_THAT_SUCCEED));
        org.awaitility.Awaitility.await().until(() -> engine.stopped(0));
        assertThat(engine.stats().stateBatches(true)).as("the first batch was written behind").isPositive();
        assertThat(ids).as("nothing of the failed batch, nor of the one applied over it, is in the store")
                .allSatisfy(id -> assertThat(engine.order(id)).isEmpty());
        engine.close();

        engine = Engine.start(config, new EmbeddedOrderLog(broker, Topics.ORDERS));
        org.awaitility.Awaitility.await().until(engine::caughtUp);
        assertThat(ids).allSatisfy(id -> assertThat(engine.order(id).orElseThrow().status()).isEqualTo(OrdStatus.NEW));
        ObjectMapper json = new ObjectMapper();
        List<String> events = settledRecords(Topics.ORDER_EVENTS);
        HashSet<String> eventIds = new HashSet<>();
        for (String event : events) {
            eventIds.add(json.readTree(event).get("eventId").asText());
        }
        assertThat(events).as("one execution report per order, none missing after the ones that were durable")
                .hasSize(COMMANDS);
        assertThat(eventIds).hasSize(COMMANDS);
    }

    /** The log, but every output record after the first {@code succeeding} is refused. */
    private static final class OutputsFailingAfter extends ForwardingOrderLog {
        private final int succeeding;
        private final AtomicInteger published = new AtomicInteger();

        OutputsFailingAfter(OrderLog log, int succeeding) {
            super(log);
            this.succeeding = succeeding;
        }

        @Override
        public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                               Map<String, byte[]> headers) {
            if (published.incrementAndGet() > succeeding) {
                return CompletableFuture.failedFuture(new java.io.UncheckedIOException(
                        new java.io.IOException("No space left on device")));
            }
            return super.publish(topic, partition, key, value, timestamp, headers);
        }
    }
}
