package dev.oms.engine.log;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.time.Duration;

import dev.oms.engine.Engine;
import dev.oms.engine.EngineConfig;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.junit.jupiter.api.Test;

/** The kafka-clients adapter passes the same contract over TCP, and runs the engine. */
class KafkaOrderLogTest extends OrderLogContract {
    @Override
    OrderLog open(BrokerUnderTest broker) throws Exception {
        return new KafkaOrderLog(broker.bootstrap(), Topics.ORDERS, 3);
    }

    @Test
    void theEngineMatchesOrdersThroughAKafkaCluster() throws Exception {
        PriceScale scale = new PriceScale(4);
        try (Engine engine = Engine.start(new EngineConfig(dir.resolve("state"), 1, false, 1000, scale), log)) {
            NewOrder buy = new NewOrder("alice", "k1", "AAPL", Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                    scale.toTicks(new BigDecimal("10")), 5);
            NewOrder sell = new NewOrder("bob", "k2", "AAPL", Side.SELL, OrderType.LIMIT, TimeInForce.GTC,
                    scale.toTicks(new BigDecimal("10")), 5);
            OrderId buyId = engine.submit(buy, 1000).get();
            engine.verdict(buyId, buy).get();
            OrderId sellId = engine.submit(sell, 1001).get();
            assertThat(engine.verdict(sellId, sell).get().order().status()).isEqualTo(OrdStatus.FILLED);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
                    .until(() -> engine.order(buyId).orElseThrow().status() == OrdStatus.FILLED);
        }
    }
}
