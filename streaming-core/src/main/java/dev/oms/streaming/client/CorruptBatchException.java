package dev.oms.streaming.client;

import org.apache.kafka.common.errors.CorruptRecordException;

/**
 * A batch of the log whose bytes do not match its CRC: refused by {@link PartitionSubscription}
 * before any of its records is handed over. Names where the batch ends, so that a reader whose
 * records can be done without (committed offsets, a stream of reports) can log it and go on past
 * it; one that cannot (an engine worker) stops there.
 */
public final class CorruptBatchException extends CorruptRecordException {
    private final long nextOffset;

    CorruptBatchException(org.apache.kafka.common.TopicPartition partition, long baseOffset, long nextOffset,
                          CorruptRecordException cause) {
        super(partition + ": the batch of offsets " + baseOffset + " to " + (nextOffset - 1)
                + " does not match its CRC (" + cause.getMessage() + "): the log's storage is damaged there", cause);
        this.nextOffset = nextOffset;
    }

    /** The offset after the batch: where a reader that skips it goes on. */
    public long nextOffset() {
        return nextOffset;
    }
}
