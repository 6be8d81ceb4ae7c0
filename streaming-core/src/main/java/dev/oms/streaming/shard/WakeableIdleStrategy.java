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
 * <p>An idle agent parks until it is woken, or until its next timer is due ({@link #nextTimerIn}), at
 * most {@code maxParkNanos}: an idle node's agents cost next to no CPU instead of waking a thousand
 * times a second each (4% of a core for four agents of an idle node, measured).
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
    private final long maxParkNanos;
    /** How long the next park may last: until the agent's next timer, at most {@link #maxParkNanos}. */
    private long parkNanos;
    private int spins;
    private int yields;
    /** Set when the agent is being stopped: it must not sleep through its runner's close. */
    private volatile boolean stopping;
    /** The agent's thread while it finds no work; null while it is busy. */
    private volatile Thread idleThread;

    /**
     * @param maxParkNanos the longest an idle agent sleeps: how late it may notice a change nobody
     *                     wakes it for, when it has no timer due sooner
     */
    public WakeableIdleStrategy(int maxSpins, int maxYields, long maxParkNanos) {
        if (maxSpins < 1) {
            throw new IllegalArgumentException("at least one spin: the agent must look for work after it announces itself idle");
        }
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.maxParkNanos = maxParkNanos;
        this.parkNanos = maxParkNanos;
    }

    /** The agent's next timer is due in {@code nanos}: an idle park ends by then. Agent thread only. */
    public void nextTimerIn(long nanos) {
        parkNanos = Math.max(1_000, Math.min(maxParkNanos, nanos));
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
            LockSupport.parkNanos(stopping ? 1_000 : parkNanos);
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

    /** Stops {@code runner}, whose agent idles here, without waiting for a long park to end. */
    public void stop(org.agrona.concurrent.AgentRunner runner) {
        stopping = true;
        wake();
        runner.close();
    }

    @Override
    public String alias() {
        return "wakeable-backoff";
    }
}
