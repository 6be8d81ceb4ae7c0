package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.IntStream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.InitProducerIdRequestData;
import org.apache.kafka.common.message.InitProducerIdResponseData;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.InitProducerIdRequest;
import org.apache.kafka.common.requests.InitProducerIdResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * The idempotent producer's checks, seen on the wire: Produce requests built by kafka-clients'
 * own request classes and sent over TCP as a producer would send them, including what a real
 * client does only on a network error (a batch sent again) or a bug (a gap, an old epoch).
 */
class IdempotentProduceTest {
    @TempDir
    static Path dir;
    private static BrokerFixture fixture;
    private static KafkaWire wire;

    private String topic;

    @BeforeAll
    static void start() throws IOException {
        fixture = BrokerFixture.start(dir);
        wire = new KafkaWire("127.0.0.1", fixture.kafka.port());
    }

    @AfterAll
    static void stop() throws IOException {
        wire.close();
        fixture.close();
    }

    @BeforeEach
    void topic(TestInfo test) throws Exception {
        topic = "idem-" + test.getTestMethod().orElseThrow().getName().hashCode();
        fixture.broker.createTopic(topic, 1, java.util.Map.of());
    }

    @Test
    void aBatchSentAgainIsAnsweredWithItsFirstOffsetAndWrittenOnce() throws Exception {
        InitProducerIdResponseData producer = initProducerId();
        assertThat(produce(producer.producerId(), producer.producerEpoch(), 0, 3).baseOffset()).isZero();
        assertThat(produce(producer.producerId(), producer.producerEpoch(), 3, 2).baseOffset()).isEqualTo(3);

        PartitionProduceResponse again = produce(producer.producerId(), producer.producerEpoch(), 0, 3);
        assertThat(Errors.forCode(again.errorCode())).isEqualTo(Errors.NONE);
        assertThat(again.baseOffset()).as("the offset the batch got the first time").isZero();
        PartitionProduceResponse next = produce(producer.producerId(), producer.producerEpoch(), 5, 1);
        assertThat(next.baseOffset()).as("nothing written for the batch sent again").isEqualTo(5);
        assertThat(fixture.broker.highWatermark(new TopicPartition(topic, 0))).isEqualTo(6);

        fixture.broker.deleteRecordsBefore(new TopicPartition(topic, 0), 4).get();
        assertThat(produce(producer.producerId(), producer.producerEpoch(), 6, 1).logStartOffset())
                .as("the producer is told where the partition now starts").isEqualTo(4);
    }

    @Test
    void aGapInTheSequenceIsRefusedWithOutOfOrderSequenceAndWritesNothing() throws Exception {
        InitProducerIdResponseData producer = initProducerId();
        produce(producer.producerId(), producer.producerEpoch(), 0, 3);

        PartitionProduceResponse gap = produce(producer.producerId(), producer.producerEpoch(), 10, 1);
        assertThat(Errors.forCode(gap.errorCode())).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(gap.errorMessage()).contains("expected 3");
        assertThat(fixture.broker.highWatermark(new TopicPartition(topic, 0))).isEqualTo(3);
        assertThat(produce(producer.producerId(), producer.producerEpoch(), 3, 1).baseOffset())
                .as("the producer goes on from where it was").isEqualTo(3);
    }

    @Test
    void anOlderEpochIsFencedAndANewOneStartsAtSequenceZero() throws Exception {
        InitProducerIdResponseData producer = initProducerId();
        long id = producer.producerId();
        short epoch = producer.producerEpoch();
        produce(id, epoch, 0, 2);

        PartitionProduceResponse notFromZero = produce(id, (short) (epoch + 1), 2, 1);
        assertThat(Errors.forCode(notFromZero.errorCode())).isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assertThat(produce(id, (short) (epoch + 1), 0, 1).baseOffset()).isEqualTo(2);

        PartitionProduceResponse old = produce(id, epoch, 2, 1);
        assertThat(Errors.forCode(old.errorCode())).isEqualTo(Errors.INVALID_PRODUCER_EPOCH);
        assertThat(fixture.broker.highWatermark(new TopicPartition(topic, 0))).isEqualTo(3);
    }

    @Test
    void aProducerTheBrokerKnowsNothingOfMayStartAtAnySequenceAsInKafka() throws Exception {
        // A producer id the partition has no state for (its first batch here, or state lost).
        InitProducerIdResponseData producer = initProducerId();
        PartitionProduceResponse first = produce(producer.producerId(), producer.producerEpoch(), 42, 2);
        assertThat(Errors.forCode(first.errorCode())).isEqualTo(Errors.NONE);
        assertThat(produce(producer.producerId(), producer.producerEpoch(), 44, 1).baseOffset()).isEqualTo(2);
        assertThat(Errors.forCode(produce(producer.producerId(), producer.producerEpoch(), 50, 1).errorCode()))
                .as("from then on it is held to its sequence").isEqualTo(Errors.OUT_OF_ORDER_SEQUENCE_NUMBER);
    }

    private static InitProducerIdResponseData initProducerId() throws IOException {
        InitProducerIdRequest request = new InitProducerIdRequest.Builder(new InitProducerIdRequestData()
                .setTransactionalId(null).setTransactionTimeoutMs(Integer.MAX_VALUE)).build();
        InitProducerIdResponseData response = ((InitProducerIdResponse) wire.send(request)).data();
        assertThat(Errors.forCode(response.errorCode())).isEqualTo(Errors.NONE);
        return response;
    }

    /** One batch of {@code count} records from sequence {@code sequence}, acks=all; the partition's answer. */
    private PartitionProduceResponse produce(long producerId, short epoch, int sequence, int count) throws IOException {
        SimpleRecord[] records = IntStream.range(0, count)
                .mapToObj(i -> new SimpleRecord(("seq-" + (sequence + i)).getBytes(StandardCharsets.UTF_8)))
                .toArray(SimpleRecord[]::new);
        return wire.produce(topic, 0, MemoryRecords.withIdempotentRecords(Compression.NONE, producerId, epoch, sequence,
                records));
    }
}
