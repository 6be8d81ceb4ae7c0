package dev.oms.streaming.shard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.agrona.concurrent.Agent;
import org.agrona.concurrent.AgentRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** An agent on a real thread (Agrona's runner) with a park far longer than any test: a minute. */
class WakeableIdleStrategyTest {
    private static final long A_MINUTE = TimeUnit.MINUTES.toNanos(1);

    private final WakeableIdleStrategy idle = new WakeableIdleStrategy(100, 10, A_MINUTE);
    private final AtomicInteger handedOver = new AtomicInteger();
    private final AtomicInteger done = new AtomicInteger();
    private final AtomicLong polls = new AtomicLong();
    private volatile long timerNanos = -1;
    private AgentRunner runner;

    private void start() {
        Agent agent = new Agent() {
            @Override
            public int doWork() {
                polls.incrementAndGet();
                int work = handedOver.getAndSet(0);
                done.addAndGet(work);
                if (timerNanos >= 0) {
                    idle.nextTimerIn(timerNanos);
                }
                return work;
            }

            @Override
            public String roleName() {
                return "test-agent";
            }
        };
        runner = new AgentRunner(idle, Throwable::printStackTrace, null, agent);
        AgentRunner.startOnThread(runner);
    }

    /** Waits until the agent's thread parks (its 100 spins and 10 yields take microseconds once it runs). */
    private void letItPark() {
        await().atMost(Duration.ofSeconds(10)).until(() -> runner.thread() != null
                && runner.thread().getState() == Thread.State.TIMED_WAITING);
    }

    @AfterEach
    void stop() {
        idle.stop(runner);
    }

    @Test
    void anIdleAgentHandedWorkIsWokenAtOnceNotWhenItsParkEnds() throws InterruptedException {
        start();
        letItPark();
        handedOver.incrementAndGet();
        idle.wake();
        await().atMost(Duration.ofSeconds(10)).until(() -> done.get() == 1);
    }

    @Test
    void anIdleAgentWithNoTimerDueSleepsInsteadOfPolling() throws InterruptedException {
        start();
        letItPark();
        long before = polls.get();
        Thread.sleep(500);
        assertThat(polls.get() - before).as("polls while idle for 500 ms").isLessThanOrEqualTo(1);
    }

    @Test
    void anIdleAgentWakesByItselfWhenItsNextTimerIsDue() throws InterruptedException {
        timerNanos = TimeUnit.MILLISECONDS.toNanos(50);
        start();
        letItPark();
        long before = polls.get();
        await().atMost(Duration.ofSeconds(10)).until(() -> polls.get() >= before + 3);
    }
}
