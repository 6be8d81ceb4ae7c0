package dev.oms.streaming.storage;

import org.agrona.collections.Long2ObjectHashMap;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.OutOfOrderSequenceException;
import org.apache.kafka.common.record.internal.DefaultRecordBatch;
import org.apache.kafka.common.record.internal.RecordBatch;

/**
 * The idempotent producer's state for one partition, as Kafka keeps it: per producer id the
 * current epoch and the last five batches' sequence ranges and offsets. A retried batch is
 * recognised and answered with its original offset instead of being written twice; a gap in
 * the sequence is refused with OUT_OF_ORDER_SEQUENCE_NUMBER; an older epoch is fenced; a new
 * epoch starts at sequence 0; a producer of which nothing is known may start anywhere.
 *
 * <p>Rebuilt from the log on recovery. Threads: the owning shard only.
 */
final class ProducerStateManager {
    static final int CACHED_BATCHES = 5;

    private final Long2ObjectHashMap<ProducerState> producers = new Long2ObjectHashMap<>();

    /** Forgets every producer (before rebuilding from the log). */
    void clear() {
        producers.clear();
    }

    private static final class ProducerState {
        short epoch;
        final int[] firstSequences = new int[CACHED_BATCHES];
        final int[] lastSequences = new int[CACHED_BATCHES];
        final long[] baseOffsets = new long[CACHED_BATCHES];
        int cached;
        int next;
        int lastSequence;

        void reset(short newEpoch) {
            epoch = newEpoch;
            cached = 0;
            next = 0;
        }

        void add(int firstSequence, int lastSeq, long baseOffset) {
            firstSequences[next] = firstSequence;
            lastSequences[next] = lastSeq;
            baseOffsets[next] = baseOffset;
            next = (next + 1) % CACHED_BATCHES;
            cached = Math.min(cached + 1, CACHED_BATCHES);
            lastSequence = lastSeq;
        }
    }

    /**
     * Judges {@code batch} before it is written.
     *
     * @return the base offset the batch already has if it is a retry of a cached batch, else -1
     */
    long check(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return -1;
        }
        ProducerState state = producers.get(batch.producerId());
        if (state != null && batch.producerEpoch() < state.epoch) {
            throw new InvalidProducerEpochException("producer " + batch.producerId() + " epoch " + batch.producerEpoch()
                    + " is older than the current epoch " + state.epoch);
        }
        if (state == null) {
            // Nothing known of this producer: new, or every batch it wrote is gone (retention,
            // DeleteRecords) and a restart rebuilt the state from what is left. Kafka accepts any
            // sequence then (ProducerStateManager.checkSequence), so a long-lived producer is not
            // refused for the broker's forgetting it.
            return -1;
        }
        if (batch.producerEpoch() > state.epoch || state.cached == 0) {
            if (batch.baseSequence() != 0) {
                throw new OutOfOrderSequenceException("producer " + batch.producerId() + " epoch " + batch.producerEpoch()
                        + " must start at sequence 0, got " + batch.baseSequence());
            }
            return -1;
        }
        for (int i = 0; i < state.cached; i++) {
            if (state.firstSequences[i] == batch.baseSequence() && state.lastSequences[i] == batch.lastSequence()) {
                return state.baseOffsets[i];
            }
        }
        int expected = DefaultRecordBatch.incrementSequence(state.lastSequence, 1);
        if (batch.baseSequence() != expected) {
            throw new OutOfOrderSequenceException("producer " + batch.producerId() + " sent sequence "
                    + batch.baseSequence() + ", expected " + expected);
        }
        return -1;
    }

    /** Records a written batch (offsets assigned). */
    void onAppend(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
        }
        ProducerState state = producers.get(batch.producerId());
        if (state == null) {
            state = new ProducerState();
            state.reset(batch.producerEpoch());
            producers.put(batch.producerId(), state);
        } else if (batch.producerEpoch() > state.epoch) {
            state.reset(batch.producerEpoch());
        }
        state.add(batch.baseSequence(), batch.lastSequence(), batch.baseOffset());
    }
}
