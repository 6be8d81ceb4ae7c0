package dev.oms.engine.worker;

import java.nio.ByteBuffer;

import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.state.OrderStore;
import net.openhft.affinity.AffinityLock;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One core's engine: owns a set of {@code orders} partitions and applies their commands in offset
 * order, single-threaded, then checkpoints how far it got. Pins itself to a reserved core when one
 * can be had.
 *
 * <p>Threads: every method runs on the worker's own agent thread.
 */
public final class EngineWorker implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(EngineWorker.class);
    private static final int MAX_POLL_BYTES = 256 * 1024;

    private final int id;
    private final int[] partitions;
    private final long[] nextOffsets;
    private final OrderLog log;
    private final OrderStore store;
    private final CommandCodec codec;
    private final OrderProcessor processor;
    private final Verdicts verdicts;
    private final boolean pin;
    private final OrderLog.RecordHandler handler = this::onRecord;
    private AffinityLock cpu;
    private int current;

    EngineWorker(int id, int[] partitions, OrderLog log, OrderStore store, CommandCodec codec, Verdicts verdicts,
                 boolean pin) {
        this.id = id;
        this.partitions = partitions;
        this.nextOffsets = new long[partitions.length];
        this.log = log;
        this.store = store;
        this.codec = codec;
        this.processor = new OrderProcessor(store);
        this.verdicts = verdicts;
        this.pin = pin;
        for (int i = 0; i < partitions.length; i++) {
            nextOffsets[i] = store.checkpoint(partitions[i]);
            verdicts.resumeAt(partitions[i], nextOffsets[i]);
        }
    }

    @Override
    public void onStart() {
        if (pin) {
            cpu = AffinityLock.acquireLock();
            if (cpu.isAllocated()) {
                LOG.info("{} pinned to cpu {}", roleName(), cpu.cpuId());
            } else {
                LOG.info("{} runs unpinned: no core could be reserved", roleName());
                cpu = null;
            }
        }
    }

    @Override
    public int doWork() {
        int work = 0;
        for (current = 0; current < partitions.length; current++) {
            int applied = log.poll(partitions[current], nextOffsets[current], MAX_POLL_BYTES, handler);
            if (applied > 0) {
                store.checkpoint(partitions[current], nextOffsets[current]);
                work += applied;
            }
        }
        return work;
    }

    private void onRecord(int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value) {
        OrderId orderId = new OrderId(partition, offset);
        try {
            NewOrder command = codec.decode(bytes(value));
            Order verdict = processor.apply(orderId, timestamp, command);
            nextOffsets[current] = offset + 1;
            verdicts.applied(partition, offset, verdict);
        } catch (RuntimeException e) {
            // The partition must keep flowing: this record is skipped and reported.
            LOG.error("{}: skipped record at orders-{} offset {}: {}", roleName(), partition, offset, e.getMessage());
            nextOffsets[current] = offset + 1;
            verdicts.failed(partition, offset, e);
        }
    }

    private static byte[] bytes(ByteBuffer value) {
        if (value == null) {
            return new byte[0];
        }
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        return bytes;
    }

    @Override
    public void onClose() {
        if (cpu != null) {
            cpu.release();
        }
    }

    @Override
    public String roleName() {
        return "oms-engine-" + id;
    }
}
