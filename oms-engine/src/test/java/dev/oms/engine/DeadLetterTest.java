package dev.oms.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import dev.oms.deadletter.DeadLetterHeaders;
import dev.oms.deadletter.FailureReason;
import dev.oms.deadletter.RetryPolicy;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;

/** Failures of the engine: poison at once, transient retried, persistent dead-lettered, dependents follow. */
class DeadLetterTest extends EngineTestBase {
    private static final PriceScale SCALE = new PriceScale(4);


    @Test
    void poisonRecordIsDeadLetteredAtOnceWithItsProvenanceAndThePartitionKeepsFlowing() throws Exception {
        start(FailureInjection.NONE);
        byte[] key = "AAPL".getBytes(StandardCharsets.UTF_8);
        int partition = new EmbeddedOrderLog(broker, Topics.ORDERS).partitionFor(key);
        long poisonOffset = broker.append(new TopicPartition(Topics.ORDERS, partition), MemoryRecords.withRecords(
                Compression.NONE, new SimpleRecord(1234L, key, "{\"schema\":99}".getBytes(StandardCharsets.UTF_8)))).join();

        NewOrder good = order("alice", "after-poison", "AAPL", 5);
        OrderId id = engine.submit(good, 2000).join();
        assertThat(engine.verdict(id, good).get().order().status()).isEqualTo(OrdStatus.NEW);

        Map<String, String> headers = deadLetters(partition).getFirst();
        assertThat(headers).containsEntry(DeadLetterHeaders.ORIGINAL_TOPIC, "orders")
                .containsEntry(DeadLetterHeaders.ORIGINAL_PARTITION, Integer.toString(partition))
                .containsEntry(DeadLetterHeaders.ORIGINAL_OFFSET, Long.toString(poisonOffset))
                .containsEntry(DeadLetterHeaders.ORIGINAL_KEY, "AAPL")
                .containsEntry(DeadLetterHeaders.REASON, "POISON")
                .containsEntry(DeadLetterHeaders.ATTEMPTS, "1")
                .containsEntry(DeadLetterHeaders.STAGE, "engine.apply")
                .containsKeys(DeadLetterHeaders.ORIGINAL_TIMESTAMP, DeadLetterHeaders.ERROR_CLASS, DeadLetterHeaders.ERROR_MESSAGE,
                        DeadLetterHeaders.ERROR_STACKTRACE, DeadLetterHeaders.FAILED_AT);
        assertThat(headers.get(DeadLetterHeaders.ERROR_MESSAGE)).contains("unknown schema version");
        assertThat(headers.get("value")).isEqualTo("{\"schema\":99}");
    }

    /**
     * A command on a partition its symbol does not hash to (murmur2, Kafka's default partitioner)
     * is poison: a client with another partitioner (librdkafka's CRC32) put it there, and applied
     * it would open a second book of the symbol, which the first never meets. A record with no
     * value is poison too, and says so.
     */
    @Test
    void aCommandOnAnotherPartitionThanItsSymbolsAndATombstoneAreDeadLetteredAsPoison() throws Exception {
        start(FailureInjection.NONE);
        EmbeddedOrderLog log = new EmbeddedOrderLog(broker, Topics.ORDERS);
        byte[] key = "AAPL".getBytes(StandardCharsets.UTF_8);
        int home = log.partitionFor(key);
        int elsewhere = (home + 1) % log.partitionCount();
        NewOrder misplaced = order("alice", "misplaced", "AAPL", 5);
        broker.append(new TopicPartition(Topics.ORDERS, elsewhere), MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(1000L, key, new dev.oms.engine.command.CommandCodec(SCALE).encode(misplaced)))).join();
        broker.append(new TopicPartition(Topics.ORDERS, elsewhere), MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(1001L, key, null))).join();

        NewOrder good = order("alice", "placed", "AAPL", 5);
        OrderId id = engine.submit(good, 2000).join();
        assertThat(engine.verdict(id, good).get().order().status()).isEqualTo(OrdStatus.NEW);
        Awaitility.await().until(() -> deadLetters(elsewhere).size() == 2);
        List<Map<String, String>> letters = deadLetters(elsewhere);
        assertThat(letters).allSatisfy(letter -> assertThat(letter).containsEntry(DeadLetterHeaders.REASON, "POISON"));
        assertThat(letters.get(0).get(DeadLetterHeaders.ERROR_MESSAGE)).contains("belongs on orders-" + home, "murmur2");
        assertThat(letters.get(1).get(DeadLetterHeaders.ERROR_MESSAGE)).contains("no value");
        assertThat(engine.orders("alice", "AAPL", null, null, 10)).extracting(o -> o.clientOrderId()).containsExactly("placed");
    }

    /** A redriven command that fails again names, in its new dead letter, the dead letter it came from. */
    @Test
    void aRedrivenCommandThatFailsAgainNamesTheDeadLetterItCameFrom() throws Exception {
        start(new FailureInjection(Set.of("BRKN"), Set.of(), 0));
        byte[] key = "BRKN".getBytes(StandardCharsets.UTF_8);
        int partition = new EmbeddedOrderLog(broker, Topics.ORDERS).partitionFor(key);
        broker.append(new TopicPartition(Topics.ORDERS, partition), MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(1000L, key, new dev.oms.engine.command.CommandCodec(SCALE).encode(order("alice", "again", "BRKN", 5)),
                        new org.apache.kafka.common.header.Header[] {new org.apache.kafka.common.header.internals.RecordHeader(
                                DeadLetterHeaders.REDRIVEN_FROM, "orders.DLT-1@7".getBytes(StandardCharsets.UTF_8))}))).join();

        Awaitility.await().until(() -> engine.stats().deadLettered(FailureReason.RETRIES_EXHAUSTED) == 1);
        assertThat(deadLetters(partition).getFirst()).containsEntry(DeadLetterHeaders.REDRIVEN_FROM, "orders.DLT-1@7");
    }

    @Test
    void transientFailureThatClearsWithinTheBudgetIsAppliedOnceAndNotDeadLettered() throws Exception {
        start(new FailureInjection(Set.of(), Set.of("FLKY"), 2));
        NewOrder order = order("alice", "flaky-1", "FLKY", 5);
        OrderId id = engine.submit(order, 1000).join();

        assertThat(engine.verdict(id, order).get().order().status()).isEqualTo(OrdStatus.NEW);
        assertThat(engine.stats().retries()).isEqualTo(2);
        assertThat(engine.orders("alice", "FLKY", null, null, 10)).hasSize(1);
        assertThat(deadLetters(id.partition())).isEmpty();
    }

    @Test
    void persistentFailureIsDeadLetteredAfterTheBudgetAndACancelOfThatOrderFollowsIt() throws Exception {
        start(new FailureInjection(Set.of("BRKN"), Set.of(), 0));
        NewOrder order = order("alice", "broken-1", "BRKN", 5);
        OrderId id = engine.submit(order, 1000).join();
        Awaitility.await().until(() -> engine.stats().deadLettered(FailureReason.RETRIES_EXHAUSTED) == 1);

        CancelOrder cancel = new CancelOrder(id, "alice", "BRKN");
        engine.submit(cancel, 1001).join();
        Awaitility.await().until(() -> engine.stats().deadLettered(FailureReason.DEPENDS_ON_DEAD_LETTERED) == 1);

        List<Map<String, String>> letters = deadLetters(id.partition());
        assertThat(letters).extracting(h -> h.get(DeadLetterHeaders.REASON))
                .containsExactly("RETRIES_EXHAUSTED", "DEPENDS_ON_DEAD_LETTERED");
        assertThat(letters.getFirst().get(DeadLetterHeaders.ATTEMPTS)).isEqualTo("3");
        assertThat(engine.order(id)).isEmpty();
    }

    @Test
    void aCommandAppliedAgainAfterARestartIsNotDeadLetteredTwice() throws Exception {
        start(new FailureInjection(Set.of("BRKN"), Set.of(), 0));
        OrderId poisoned = engine.submit(order("alice", "broken-1", "BRKN", 5), 1000).join();
        Awaitility.await().until(() -> engine.stats().deadLettered(FailureReason.RETRIES_EXHAUSTED) == 1);
        assertThat(deadLetters(poisoned.partition())).hasSize(1);
        stop();
        deleteState(); // the next start applies every command again
        start(new FailureInjection(Set.of("BRKN"), Set.of(), 0));
        Awaitility.await().until(engine::caughtUp);
        OrderId next = engine.submit(order("alice", "broken-2", "BRKN", 5), 1001).join();
        Awaitility.await().until(() -> engine.stats().deadLettered(FailureReason.RETRIES_EXHAUSTED) == 1);
        assertThat(deadLetters(poisoned.partition())).extracting(h -> h.get(DeadLetterHeaders.ORIGINAL_OFFSET))
                .containsExactly(Long.toString(poisoned.offset()), Long.toString(next.offset()));
    }

    private List<Map<String, String>> deadLetters(int partition) {
        List<Map<String, String>> letters = new ArrayList<>();
        TopicPartition dlt = new TopicPartition(Topics.ORDERS_DLT, partition);
        Awaitility.await().pollDelay(java.time.Duration.ofMillis(200)).until(() -> true);
        for (RecordBatch batch : broker.read(dlt, 0, 1 << 20).batches()) {
            for (Record record : batch) {
                Map<String, String> headers = new LinkedHashMap<>();
                for (var header : record.headers()) {
                    headers.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
                }
                headers.put("value", record.value() == null ? null : StandardCharsets.UTF_8.decode(record.value()).toString());
                letters.add(headers);
            }
        }
        return letters;
    }

    private static NewOrder order(String account, String clientOrderId, String symbol, long quantity) {
        return new NewOrder(account, clientOrderId, symbol, Side.BUY, OrderType.LIMIT, TimeInForce.GTC,
                SCALE.toTicks(new BigDecimal("10")), quantity);
    }

    private void start(FailureInjection injection) throws IOException {
        start(2, new EngineConfig(dir.resolve("state"), 1, false, 10_000, SCALE, RiskLimits.UNLIMITED,
                SelfTradePrevention.CANCEL_NEWEST, new RetryPolicy(3, 1, 5, 2), injection));
    }
}
