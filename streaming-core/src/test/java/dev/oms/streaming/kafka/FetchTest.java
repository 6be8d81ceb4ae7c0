package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.FetchResponseData;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.Records;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.requests.FetchRequest;
import org.apache.kafka.common.requests.FetchResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fetch as a consumer sends it (kafka-clients' request classes over TCP): the long poll on
 * min.bytes and max.wait, and the caps of max.bytes and each partition's max bytes, which a
 * batch larger than the cap still gets past (KIP-74: a fetch always makes progress).
 */
class FetchTest {
    /** Fetch v12: topics by name (v13 on names them by id). */
    private static final short VERSION = 12;
    private static final String PAYLOAD = "x".repeat(1000);

    @TempDir
    static Path dir;
    private static BrokerFixture fixture;

    private String topic;

    @BeforeAll
    static void start() throws IOException {
        fixture = BrokerFixture.start(dir);
    }

    @AfterAll
    static void stop() {
        fixture.close();
    }

    @BeforeEach
    void topic(TestInfo test) throws Exception {
        topic = "fetch-" + Integer.toHexString(test.getTestMethod().orElseThrow().getName().hashCode());
        fixture.broker.createTopic(topic, 2, Map.of());
    }

    @Test
    void aFetchWithNothingToReadWaitsAndIsAnsweredAsSoonAsARecordArrives() throws Exception {
        try (KafkaWire wire = wire()) {
            long start = System.nanoTime();
            CompletableFuture<FetchResponse> waiting = CompletableFuture.supplyAsync(() -> fetch(wire, 30_000, 1,
                    Integer.MAX_VALUE, Map.of(0, 1 << 20)));
            Thread.sleep(300);
            assertThat(waiting).as("nothing to read yet: the fetch waits").isNotDone();
            append(0, "arrived");
            FetchResponse response = waiting.get(20, TimeUnit.SECONDS);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("answered on arrival, not at max.wait")
                    .isLessThan(20_000);
            assertThat(values(response, 0)).containsExactly("arrived");
        }
    }

    @Test
    void aFetchShortOfMinBytesWaitsForMaxWaitThenReturnsWhatThereIs() throws Exception {
        append(0, "small");
        try (KafkaWire wire = wire()) {
            long start = System.nanoTime();
            FetchResponse response = fetch(wire, 1_000, 1 << 20, Integer.MAX_VALUE, Map.of(0, 1 << 20));
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).as("waited for min.bytes until max.wait")
                    .isGreaterThanOrEqualTo(900);
            assertThat(values(response, 0)).containsExactly("small");
        }
    }

    @Test
    void eachPartitionsMaxBytesCapsItsShareAndMaxBytesCapsTheWhole() throws Exception {
        for (int i = 0; i < 30; i++) {
            append(0, "p0-" + i + PAYLOAD);
            append(1, "p1-" + i + PAYLOAD);
        }
        try (KafkaWire wire = wire()) {
            FetchResponse perPartition = fetch(wire, 0, 1, Integer.MAX_VALUE, Map.of(0, 4096, 1, 4096));
            for (int partition : List.of(0, 1)) {
                assertThat(bytes(perPartition, partition)).isBetween(1, 4096);
                assertThat(values(perPartition, partition)).hasSizeBetween(2, 4).first().asString()
                        .startsWith("p" + partition + "-0");
            }

            FetchResponse whole = fetch(wire, 0, 1, 6000, Map.of(0, 1 << 20, 1, 1 << 20));
            assertThat(bytes(whole, 0) + bytes(whole, 1)).isBetween(1, 6000);
            assertThat(values(whole, 0)).as("the first partition fills the response first").hasSizeGreaterThan(2);
        }
    }

    @Test
    void aBatchLargerThanTheCapsIsStillReturnedAloneSoTheConsumerMakesProgress() throws Exception {
        append(0, "big-0" + PAYLOAD);
        append(0, "big-1" + PAYLOAD);
        try (KafkaWire wire = wire()) {
            FetchResponse response = fetch(wire, 0, 1, 100, Map.of(0, 100, 1, 100));
            assertThat(values(response, 0)).containsExactly("big-0" + PAYLOAD);
            assertThat(values(response, 1)).isEmpty();
        }
    }

    @Test
    void aFetchPastTheLogEndIsOutOfRange() throws Exception {
        append(0, "only");
        try (KafkaWire wire = wire()) {
            Map<TopicPartition, FetchRequest.PartitionData> past = Map.of(new TopicPartition(topic, 0),
                    new FetchRequest.PartitionData(Uuid.ZERO_UUID, 5, -1, 1 << 20, Optional.empty()));
            FetchResponse response = (FetchResponse) wire.send(FetchRequest.Builder.forConsumer(VERSION, 0, 1, past).build(VERSION));
            assertThat(Errors.forCode(response.responseData(Map.of(), VERSION).get(new TopicPartition(topic, 0)).errorCode()))
                    .isEqualTo(Errors.OFFSET_OUT_OF_RANGE);
        }
    }

    private static KafkaWire wire() throws IOException {
        return new KafkaWire("127.0.0.1", fixture.kafka.port());
    }

    /** One record in a batch of its own. */
    private void append(int partition, String value) {
        fixture.broker.append(new TopicPartition(topic, partition), MemoryRecords.withRecords(Compression.NONE,
                new SimpleRecord(value.getBytes(StandardCharsets.UTF_8)))).join();
    }

    /** A consumer's fetch from offset 0 of the partitions named, with their max bytes. */
    private FetchResponse fetch(KafkaWire wire, int maxWaitMs, int minBytes, int maxBytes, Map<Integer, Integer> partitionMaxBytes) {
        Map<TopicPartition, FetchRequest.PartitionData> partitions = new LinkedHashMap<>();
        new java.util.TreeMap<>(partitionMaxBytes).forEach((partition, max) -> partitions.put(new TopicPartition(topic, partition),
                new FetchRequest.PartitionData(Uuid.ZERO_UUID, 0, -1, max, Optional.empty())));
        FetchRequest request = FetchRequest.Builder.forConsumer(VERSION, maxWaitMs, minBytes, partitions)
                .setMaxBytes(maxBytes).build(VERSION);
        try {
            FetchResponse response = (FetchResponse) wire.send(request);
            assertThat(response.error()).isEqualTo(Errors.NONE);
            return response;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private FetchResponseData.PartitionData partition(FetchResponse response, int partition) {
        FetchResponseData.PartitionData data = response.responseData(Map.of(), VERSION).get(new TopicPartition(topic, partition));
        assertThat(data).as("partition %d answered", partition).isNotNull();
        assertThat(Errors.forCode(data.errorCode())).isEqualTo(Errors.NONE);
        return data;
    }

    private int bytes(FetchResponse response, int partition) {
        return FetchResponse.recordsOrFail(partition(response, partition)).sizeInBytes();
    }

    private List<String> values(FetchResponse response, int partition) {
        Records records = FetchResponse.recordsOrFail(partition(response, partition));
        List<String> values = new ArrayList<>();
        for (RecordBatch batch : records.batches()) {
            for (Record record : batch) {
                values.add(StandardCharsets.UTF_8.decode(record.value()).toString());
            }
        }
        return values;
    }
}
