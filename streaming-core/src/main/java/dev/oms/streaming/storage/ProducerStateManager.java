package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

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
 * <p>Kept across restarts as Kafka keeps it: a snapshot at each segment's base offset (the state
 * as of that offset, producers in the order they last wrote), and the batches after it read back
 * on recovery; so a producer whose batches retention removed is still known. At most
 * {@link #MAX_PRODUCERS} are remembered. Threads: the owning shard only.
 */
final class ProducerStateManager {
    static final int CACHED_BATCHES = 5;
    /**
     * Producers remembered per partition: beyond, the one that wrote least recently is forgotten
     * (and, like one Kafka expired after producer.id.expiration.ms, may start again at any
     * sequence). A count, not a time: decided by the log alone, alike on every replica and after
     * any restart, and no client's clock can make everyone forgotten at once. About 200 bytes each.
     */
    static final int MAX_PRODUCERS = 10_000;

    private final int maxProducers;
    private final Long2ObjectHashMap<ProducerState> producers = new Long2ObjectHashMap<>();
    /** The producers in the order they last wrote: least recent first. */
    private ProducerState leastRecent;
    private ProducerState mostRecent;

    ProducerStateManager() {
        this(MAX_PRODUCERS);
    }

    ProducerStateManager(int maxProducers) {
        this.maxProducers = maxProducers;
    }

    /** Forgets every producer (before rebuilding from the log). */
    void clear() {
        producers.clear();
        leastRecent = null;
        mostRecent = null;
    }

    /** How many producers are remembered. */
    int size() {
        return producers.size();
    }

    private static final class ProducerState {
        final long id;
        ProducerState older;
        ProducerState newer;
        short epoch;
        final int[] firstSequences = new int[CACHED_BATCHES];
        final int[] lastSequences = new int[CACHED_BATCHES];
        final long[] baseOffsets = new long[CACHED_BATCHES];
        int cached;
        int next;
        int lastSequence;

        ProducerState(long id) {
            this.id = id;
        }

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
            // Nothing known of this producer: new, or its state lost (a log whose segments went
            // before producer snapshots were kept). Kafka accepts any sequence then
            // (ProducerStateManager.checkSequence), so a producer is not refused for the broker's
            // forgetting it.
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

    private static final int SNAPSHOT_MAGIC = 0x6f6d7370; // "omsp"
    private static final int SNAPSHOT_VERSION = 1;

    /**
     * Writes every producer's state to {@code file} (a temporary file first, forced, then renamed
     * over it), checksummed: Kafka's producer snapshot, so that the state outlives the segments it
     * was built from.
     */
    void writeSnapshot(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(12 + producers.size() * (long) (8 + 2 + 4 + 2 + CACHED_BATCHES * 16) + 4));
        buf.putInt(SNAPSHOT_MAGIC).putInt(SNAPSHOT_VERSION).putInt(producers.size());
        for (ProducerState state = leastRecent; state != null; state = state.newer) {
            buf.putLong(state.id).putShort(state.epoch).putInt(state.lastSequence).put((byte) state.cached)
                    .put((byte) state.next);
            for (int i = 0; i < CACHED_BATCHES; i++) {
                buf.putInt(state.firstSequences[i]).putInt(state.lastSequences[i]).putLong(state.baseOffsets[i]);
            }
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.position());
        buf.putInt((int) crc.getValue()).flip();
        Directories.writeDurably(file, buf);
    }

    /**
     * Replaces the state with the one {@code file} holds; false (and the state untouched) when
     * the file is cut short, of another format, or fails its checksum.
     */
    boolean readSnapshot(Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(file));
        if (buf.remaining() < 16) {
            return false;
        }
        CRC32C crc = new CRC32C();
        crc.update(buf.array(), 0, buf.limit() - 4);
        if ((int) crc.getValue() != buf.getInt(buf.limit() - 4) || buf.getInt() != SNAPSHOT_MAGIC
                || buf.getInt() != SNAPSHOT_VERSION) {
            return false;
        }
        int count = buf.getInt();
        if (count < 0 || (long) count * (8 + 2 + 4 + 2 + CACHED_BATCHES * 16) != buf.remaining() - 4) {
            return false;
        }
        List<ProducerState> read = new ArrayList<>(count);
        for (int p = 0; p < count; p++) {
            ProducerState state = new ProducerState(buf.getLong());
            state.epoch = buf.getShort();
            state.lastSequence = buf.getInt();
            state.cached = buf.get();
            state.next = buf.get();
            for (int i = 0; i < CACHED_BATCHES; i++) {
                state.firstSequences[i] = buf.getInt();
                state.lastSequences[i] = buf.getInt();
                state.baseOffsets[i] = buf.getLong();
            }
            read.add(state);
        }
        clear();
        for (ProducerState state : read) { // least recent first, as written
            producers.put(state.id, state);
            remember(state);
        }
        return true;
    }

    /** Records a written batch (offsets assigned). */
    void onAppend(RecordBatch batch) {
        if (!batch.hasProducerId()) {
            return;
        }
        ProducerState state = producers.get(batch.producerId());
        if (state == null) {
            state = new ProducerState(batch.producerId());
            state.reset(batch.producerEpoch());
            producers.put(batch.producerId(), state);
        } else {
            unlink(state);
            if (batch.producerEpoch() > state.epoch) {
                state.reset(batch.producerEpoch());
            }
        }
        state.add(batch.baseSequence(), batch.lastSequence(), batch.baseOffset());
        remember(state);
    }

    /** Links {@code state} as the most recent writer, forgetting the least recent one beyond the limit. */
    private void remember(ProducerState state) {
        state.older = mostRecent;
        state.newer = null;
        if (mostRecent != null) {
            mostRecent.newer = state;
        } else {
            leastRecent = state;
        }
        mostRecent = state;
        if (producers.size() > maxProducers) {
            ProducerState forgotten = leastRecent;
            unlink(forgotten);
            producers.remove(forgotten.id);
        }
    }

    private void unlink(ProducerState state) {
        if (state.older != null) {
            state.older.newer = state.newer;
        } else {
            leastRecent = state.newer;
        }
        if (state.newer != null) {
            state.newer.older = state.older;
        } else {
            mostRecent = state.older;
        }
        state.older = null;
        state.newer = null;
    }
}
