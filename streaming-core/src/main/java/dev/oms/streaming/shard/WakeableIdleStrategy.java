package dev.oms.streaming.shard;

import java.util.concurrent.locks.LockSupport;

import org.agrona.concurrent.IdleStrategy;

/**
 * Agrona's spin, yield, then park backoff, plus a wake-up: a thread that hands work to an idle
 * agent unparks it at once rather than leaving the work queued until the park times out. On a
 * machine with fewer cores than busy threads a timed park lasts far longer than asked (the kernel
 * runs others first), and every such park is latency for whatever waits in the agent's queue.
 * Woken on arrival, an idle agent can park long and cost no CPU.
 *
 * <p>No wake-up is lost: the agent announces itself idle before it spins, and it polls its work
 * again on every spin before it first parks; work handed over after the announcement unparks it
 * (a permit, if it has not parked yet).
 *
 * <p>Threads: {@link #idle} on the agent's thread, {@link #wake} from any.
 */
public final class WakeableIdleStrategy implements IdleStrategy {
    private final int maxSpins;
    private final int maxYields;
    private final long parkNanos;
    private int spins;
    private int yields;
    /** The agent's thread while it finds no work; null while it is busy. */
    private volatile Thread idleThread;

    public WakeableIdleStrategy(int maxSpins, int maxYields, long parkNanos) {
        if (maxSpins < 1) {
            throw new IllegalArgumentException("at least one spin: the agent must look for work after it announces itself idle");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.parkNanos = parkNanos;
    }

    @Override
    public void idle(int workCount) {
        if (workCount > 0) {
            reset();
        } else {
            idle();
        }
    }

    @Override
    public void idle() {
        if (idleThread == null) {
            idleThread = Thread.currentThread();
        }
        if (spins < maxSpins) {
            spins++;
            Thread.onSpinWait();
        } else if (yields < maxYields) {
            yields++;
            Thread.yield();
        } else {
            LockSupport.parkNanos(parkNanos);
        }
    }

    @Override
    public void reset() {
        spins = 0;
        yields = 0;
        if (idleThread != null) {
            idleThread = null;
        }
    }

    /** Called after handing the agent work: unparks it if it is idle. */
    public void wake() {
        // The work was published with a release store; without a full fence this load could be
        // done before that store is visible, and both sides would miss each other (Dekker).
        java.lang.invoke.VarHandle.fullFence();
        Thread thread = idleThread;
        if (thread != null) {
            LockSupport.unpark(thread);
        }
    }

    @Override
    public String alias() {
        return "wakeable-backoff";
    }
}
