package dev.oms.streaming.storage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.RecordBatch;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bound on remembered producers: beyond it the producer that wrote least recently is
 * forgotten, by the order of the log alone, so that a snapshot and the batches after it give the
 * same producers as the log read whole.
 */
class ProducerStateManagerTest {
    @TempDir
    Path dir;
    private long offset;

    @Test
    void beyondTheLimitTheProducerThatWroteLeastRecentlyIsForgottenAndMayStartAgainAnywhere() {
        ProducerStateManager producers = new ProducerStateManager(3);
        append(producers, 1, 0);
        append(producers, 2, 0);
        append(producers, 3, 0);
        append(producers, 1, 1); // producer 1 wrote again: now producer 2 is the least recent
        append(producers, 4, 0);

        assertThat(producers.size()).isEqualTo(3);
        assertThat(producers.check(batch(2, 7))).as("producer 2 forgotten: any sequence goes, as in Kafka").isEqualTo(-1);
        assertThatThrownBy(() -> producers.check(batch(1, 7))).as("producer 1 still held to its sequence")
                .isInstanceOf(OutOfOrderSequenceException.class);
        assertThatThrownBy(() -> producers.check(batch(3, 7))).isInstanceOf(OutOfOrderSequenceException.class);
    }

    @Test
    void aSnapshotKeepsTheOrderInWhichProducersLastWrote() throws Exception {
        ProducerStateManager written = new ProducerStateManager(3);
        append(written, 1, 0);
        append(written, 2, 0);
        append(written, 1, 1);
        append(written, 3, 0);
        written.writeSnapshot(dir.resolve("snapshot"));

        ProducerStateManager read = new ProducerStateManager(3);
        assertThat(read.readSnapshot(dir.resolve("snapshot"))).isTrue();
        append(read, 4, 0); // forgets producer 2, the least recent, on both
        append(written, 4, 0);
        for (ProducerStateManager producers : new ProducerStateManager[] {written, read}) {
            assertThat(producers.check(batch(2, 9))).isEqualTo(-1);
            assertThat(producers.check(batch(1, 1))).as("a retry of producer 1's last batch").isEqualTo(2);
            assertThatThrownBy(() -> producers.check(batch(3, 9))).isInstanceOf(OutOfOrderSequenceException.class);
        }
    }

    /** Producer {@code producerId}'s one-record batch at {@code sequence}, written at the next offset. */
    private void append(ProducerStateManager producers, long producerId, int sequence) {
        RecordBatch batch = batch(producerId, sequence);
        assertThat(producers.check(batch)).isEqualTo(-1);
        producers.onAppend(batch);
    }

    private RecordBatch batch(long producerId, int sequence) {
        MemoryRecords records = MemoryRecords.withIdempotentRecords(offset++, Compression.NONE, producerId, (short) 0, sequence,
                0, new SimpleRecord(("p" + producerId + "-" + sequence).getBytes(StandardCharsets.UTF_8)));
        return records.batches().iterator().next();
    }
}
