package dev.oms.streaming.client;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.record.internal.Record;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The in-process way to consume one partition: what a Kafka consumer assigned that partition
 * does, without a socket or a copy. {@link #poll} hands every durable record from the position on
 * to a handler (skipping the records before the position in the first batch, and control
 * batches) and moves the position past them; {@link #awaitData} waits for more. A batch whose
 * CRC does not match its bytes is refused ({@link CorruptBatchException}), the position left
 * before it.
 *
 * <p>Threads: one reader thread per subscription.
 */
public final class PartitionSubscription {
    private final EmbeddedBroker broker;
    private final TopicPartition partition;
    private long position;

    /** Receives polled records; the buffers are valid only during the call. */
    @FunctionalInterface
    public interface RecordHandler {
        void onRecord(long offset, long timestamp, ByteBuffer key, ByteBuffer value);
    }

    PartitionSubscription(EmbeddedBroker broker, TopicPartition partition, long fromOffset) {
        this.broker = broker;
        this.partition = partition;
        this.position = fromOffset;
    }

    /** Subscribes to {@code partition} from {@code fromOffset}. */
    public static PartitionSubscription of(EmbeddedBroker broker, TopicPartition partition, long fromOffset) {
        return new PartitionSubscription(broker, partition, fromOffset);
    }

    /** Hands over the durable records from the position, about {@code maxBytes} of them; returns how many. */
    public int poll(int maxBytes, RecordHandler handler) {
        return pollRecords(maxBytes, record -> handler.onRecord(record.offset(), record.timestamp(), record.key(), record.value()));
    }

    /** Like {@link #poll}, handing over whole records (with their headers); valid only during the call. */
    public int pollRecords(int maxBytes, java.util.function.Consumer<Record> handler) {
        if (position >= broker.highWatermark(partition)) {
            return 0; // nothing new: an idle poller allocates nothing
        }
        int handled = 0;
        for (RecordBatch batch : broker.read(partition, position, maxBytes).batches()) {
            if (batch.lastOffset() < position) {
                continue;
            }
            // As a Kafka consumer does (check.crcs): a restart checks only the last segment's CRCs,
            // and bytes can rot on disk after it. The records were read to be handed over anyway,
            // so the check costs a CRC-32C over bytes in memory. Thrown before the position moves.
            try {
                batch.ensureValid();
            } catch (org.apache.kafka.common.errors.CorruptRecordException e) {
                throw new CorruptBatchException(partition, batch.baseOffset(), batch.nextOffset(), e);
            }
            if (batch.isControlBatch()) {
                position = batch.nextOffset();
                continue;
            }
            for (Record record : batch) {
                if (record.offset() >= position) {
                    // Advance first: a handler that throws does not get the same record again.
                    position = record.offset() + 1;
                    handler.accept(record);
                    handled++;
                }
            }
            // Past the whole batch: compaction keeps a batch's offsets though its last records, or
            // all of them, went.
            position = Math.max(position, batch.nextOffset());
        }
        return handled;
    }

    /** Waits until records past the position are durable, or the timeout passes; true if there are some. */
    public boolean awaitData(Duration timeout) throws InterruptedException {
        var moved = broker.highWatermarkMoved(partition);
        if (broker.highWatermark(partition) > position) {
            return true;
        }
        try {
            moved.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            // nothing new within the timeout
        }
        return broker.highWatermark(partition) > position;
    }

    public long position() {
        return position;
    }

    public void seek(long offset) {
        position = offset;
    }

    public TopicPartition partition() {
        return partition;
    }
}
