package dev.oms.engine.worker;

import java.nio.ByteBuffer;

import dev.oms.engine.command.CommandCodec;
import dev.oms.deadletter.DeadLetter;
import dev.oms.deadletter.FailureReason;
import dev.oms.deadletter.PermanentFailure;
import dev.oms.deadletter.RetryPolicy;
import dev.oms.deadletter.TransientFailure;
import dev.oms.engine.FailureInjection;
import dev.oms.engine.command.Command;
import dev.oms.engine.command.SetRules;
import dev.oms.engine.event.EventCodec;
import dev.oms.engine.log.Topics;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.state.OrderStore;
import dev.oms.engine.state.WorkingState;
import dev.oms.streaming.shard.CorePinning;
import dev.oms.engine.trace.LogTracing;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import dev.oms.streaming.shard.WakeableIdleStrategy;
import org.agrona.concurrent.Agent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One core's engine: owns a set of {@code orders} partitions and applies their commands in offset
 * order, single-threaded, then checkpoints how far it got. Pins itself to a reserved core when one
 * can be had.
 *
 * <p>Threads: every method runs on the worker's own agent thread, but a large batch's state is
 * written, and its verdicts given, by the worker's writer thread while the worker applies the next
 * batch (see {@link #write}); the worker waits for that before anything else touches the batch's
 * partition (a failure, a leadership change, a close).
 */
public final class EngineWorker implements Agent {
    private static final Logger LOG = LoggerFactory.getLogger(EngineWorker.class);
    private static final int MAX_POLL_BYTES = 256 * 1024;

    private final int id;
    private final int[] partitions;
    private final long[] nextOffsets;
    /**
     * Partitions applied here now. On one node all of them, from the first turn on; on a cluster
     * node those whose leadership it holds (a partition's state here stays at its checkpoint while
     * another node leads it, and resumes from there when the leadership comes back).
     */
    private final boolean[] applying;
    /** Per partition, the offset of the last command in orders.DLT when the worker took it (-1: none). */
    private final long[] lastDeadLettered;
    /** Partitions whose books got ahead of the store (a batch that did not stick as the partition moved away). */
    private final boolean[] reload;
    /** The partitions applied here now, each with the log's end when this worker took it: caught up once applied that far. */
    private final java.util.Map<Integer, Long> endWhenTaken = new java.util.concurrent.ConcurrentHashMap<>();
    private final OrderLog log;
    private final OrderStore store;
    /** This worker's reads and writes of the store, written to it once per polled batch. */
    private final WorkingState state;
    /** The batch's verdicts, given out once its state is written (so a reader of the store sees what they say). */
    private java.util.List<Answer> answers = new java.util.ArrayList<>();
    /**
     * Writes a batch's state (and waits for its output records) while the worker applies the next:
     * the Chronicle Map writes were a third of a command's cost on the worker's thread. Made at start.
     */
    private java.util.concurrent.ExecutorService writer;
    /** The batch written behind, or null: at most one, so the store is never more than a batch behind. */
    private Behind behind;

    /** A batch handed to the writer: where its partition is in {@link #partitions}, its changes, its verdicts. */
    private record Behind(int index, WorkingState.Batch batch, java.util.List<Answer> answers,
                          java.util.concurrent.Future<?> written) {
    }

    /**
     * Batches of fewer commands are written on the worker's thread: at low load a handoff would add
     * to every verdict's latency and overlap nothing.
     */
    private static final int WRITE_BEHIND_MIN = 64;
    /** Partitions this worker stopped applying, with why: a restart rebuilds them from the log. */
    private final java.util.Map<Integer, String> stopped = new java.util.concurrent.ConcurrentHashMap<>();

    /** A command's verdict, or the failure that sent it to the dead-letter topic. */
    private record Answer(int partition, long offset, Verdict verdict, RuntimeException failure) {
    }

    private final CommandCodec codec;
    /** The rules this node is configured with: appended to a partition whose rules in effect differ. */
    private final SetRules configuredRules;
    /** Per partition, whether and when ({@link System#nanoTime}) the configured rules were appended since it was taken. */
    private final long[] rulesProposedAt;
    private final boolean[] rulesProposed;
    /**
     * Per partition, completed once the rules configured here are in effect (see
     * {@link #rulesInEffect}); a new one each time the partition goes to another node.
     */
    private final java.util.concurrent.atomic.AtomicReferenceArray<java.util.concurrent.CompletableFuture<Void>> rulesReady;
    private static final long RULES_RECHECK_NS = 5_000_000_000L;
    private final OrderProcessor processor;
    private final Verdicts verdicts;
    private final boolean pin;
    private final RetryPolicy retryPolicy;
    private final FailureInjection injection;
    private final EngineStats stats;
    private final LogTracing tracing;
    private final OrderLog.RecordHandler handler = this::onRecord;
    /** Reads of worker-owned state (the books), run between commands on the worker thread. */
    private final org.agrona.concurrent.ManyToOneConcurrentArrayQueue<Runnable> queries =
            new org.agrona.concurrent.ManyToOneConcurrentArrayQueue<>(1024);
    /**
     * Spins briefly while commands flow, then parks until one is durable or a query comes; at most
     * 10 ms, the longest a cluster node takes to notice it now leads a partition (nothing wakes it for that).
     */
    private final WakeableIdleStrategy idle = new WakeableIdleStrategy(100, 10, 10_000_000);
    /** NONE until the worker's thread starts (a worker closed before that has pinned nothing). */
    private CorePinning cpu = CorePinning.NONE;
    private int current;

    EngineWorker(int id, int[] partitions, OrderLog log, OrderStore store, WorkingState state, CommandCodec codec,
                 Verdicts verdicts,
                 boolean pin, OrderProcessor processor, SetRules configuredRules, RetryPolicy retryPolicy,
                 FailureInjection injection, EngineStats stats, LogTracing tracing) {
        this.configuredRules = configuredRules;
        this.rulesProposedAt = new long[partitions.length];
        this.rulesProposed = new boolean[partitions.length];
        this.rulesReady = new java.util.concurrent.atomic.AtomicReferenceArray<>(partitions.length);
        for (int i = 0; i < partitions.length; i++) {
            rulesReady.set(i, new java.util.concurrent.CompletableFuture<>());
        }
        this.tracing = tracing;
        this.retryPolicy = retryPolicy;
        this.injection = injection;
        this.stats = stats;
        this.id = id;
        this.partitions = partitions;
        this.nextOffsets = new long[partitions.length];
        this.applying = new boolean[partitions.length];
        this.reload = new boolean[partitions.length];
        this.lastDeadLettered = new long[partitions.length];
        this.log = log;
        this.store = store;
        this.state = state;
        this.codec = codec;
        this.processor = processor;
        this.verdicts = verdicts;
        this.pin = pin;
        for (int i = 0; i < partitions.length; i++) {
            int partition = partitions[i];
            try {
                store.recover(partition); // a state write cut short: finished from its redo file
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("recovering the state of orders-" + partition, e);
            }
            long published = store.publishedUpTo(partition);
            boolean interrupted = store.interrupted(partition);
            if (interrupted || published < store.checkpoint(partition)) {
                // A command cut short, or output records that may not have reached the log: rebuild the
                // partition from its log, publishing again from the first command whose output may be missing.
                long from = interrupted ? Math.min(published, store.interruptedAt(partition)) : published;
                LOG.warn("{}: orders-{} stopped {} at offset {}; rebuilding the partition by replaying its log", roleName(),
                        partition, interrupted ? "while writing its state" : "before its output was durable", from);
                store.wipe(partition, symbol -> log.partitionFor(symbol.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                processor.publishFrom(partition, from);
            }
            log.onAppended(partition, idle::wake);
            nextOffsets[i] = store.checkpoint(partition);
            verdicts.resumeAt(partition, nextOffsets[i]);
            processor.resumeRules(partition, nextOffsets[i]);
        }
        processor.restore(partitions);
    }

    WakeableIdleStrategy idleStrategy() {
        return idle;
    }

    @Override
    public void onStart() {
        // The writer's thread starts before the worker pins itself: a thread takes its creator's
        // CPU affinity, and on the worker's own core it would overlap nothing.
        var executor = new java.util.concurrent.ThreadPoolExecutor(1, 1, 0, java.util.concurrent.TimeUnit.MILLISECONDS,
                new java.util.concurrent.LinkedBlockingQueue<>(),
                task -> Thread.ofPlatform().daemon().name(roleName() + "-state").unstarted(task));
        executor.prestartCoreThread();
        writer = executor;
        cpu = pin ? CorePinning.pinCurrentThread(roleName()) : CorePinning.NONE;
    }

    @Override
    public int doWork() {
        int answered = queries.drain(Runnable::run);
        if (behind != null && behind.written().isDone()) {
            settleBehind(); // a failure is handled now, not at the next batch: its callers wait
        }
        int work = 0;
        for (current = 0; current < partitions.length; current++) {
            int partition = partitions[current];
            if (stopped.containsKey(partition)) {
                continue;
            }
            if (!log.leads(partition)) {
                if (applying[current]) {
                    settleBehind(); // the batch written behind may be this partition's
                    if (applying[current]) {
                        resign(current);
                    }
                }
                continue;
            }
            if (!applying[current]) {
                settleBehind();
                take(partition);
            }
            long from = nextOffsets[current];
            int applied;
            try {
                applied = log.poll(partition, from, MAX_POLL_BYTES, handler);
                if (applied > 0) {
                    log.flushPublished(partition);
                }
            } catch (RuntimeException e) {
                settleBehind();
                withLetters(processor.takePublished()); // letters published stay published (a reapply skips them)
                processor.takeRulesApplied();
                state.discard();
                notStuck(current, from, e, takeAnswers());
                continue;
            }
            if (applied > 0) {
                write(current, from, takeAnswers());
                work += applied;
            }
            checkRules(current);
        }
        return work + answered;
    }

    private java.util.List<Answer> takeAnswers() {
        java.util.List<Answer> taken = answers;
        answers = new java.util.ArrayList<>();
        return taken;
    }

    /**
     * Makes the batch of the partition at {@code index} from {@code from} stick: its output records
     * are durable before its state is written and its checkpoint moves (a crash before that applies
     * the batch again from the checkpoint, and publishes only those records that did not reach the
     * log, see take; no partition is rebuilt for them); then its verdicts are given. A large batch is
     * written behind, while the worker applies the next.
     */
    private void write(int index, long from, java.util.List<Answer> batchAnswers) {
        int partition = partitions[index];
        var outputs = withLetters(processor.takePublished());
        var rules = processor.takeRulesApplied();
        RuntimeException before = settleBehind();
        if (before != null && (stopped.containsKey(partition) || !applying[index])) {
            // The batch before, of this partition, did not stick: this one, applied over it, cannot either.
            state.discard();
            abandon(batchAnswers, before);
            return;
        }
        WorkingState.Batch batch = state.seal(partition, from, nextOffsets[index]);
        boolean writeBehind = batchAnswers.size() >= WRITE_BEHIND_MIN;
        try {
            if (writeBehind) {
                behind = new Behind(index, batch, batchAnswers, writer.submit(() -> {
                    try {
                        writeState(batch, outputs, rules, batchAnswers);
                    } finally {
                        idle.wake(); // the worker settles it now (a failure stops or moves its partition)
                    }
                }));
            } else {
                writeState(batch, outputs, rules, batchAnswers);
                state.settle(batch, true);
            }
            stats.onStateBatch(writeBehind);
        } catch (RuntimeException e) {
            state.settle(batch, false);
            notStuck(index, from, e, batchAnswers);
        }
    }

    /**
     * The output records durable, then the rules records applied noted, then the state written and
     * the checkpoint moved, then the verdicts given.
     */
    private void writeState(WorkingState.Batch batch, java.util.concurrent.CompletableFuture<Void> outputs,
                            java.util.List<OrderProcessor.RulesApplied> rules, java.util.List<Answer> batchAnswers) {
        outputs.join();
        processor.noteRules(rules); // ahead of the checkpoint: a resume forgets what lies past it
        store.publishedUpTo(batch.partition(), batch.nextOffset());
        state.commit(batch);
        answer(batchAnswers);
    }

    /**
     * Waits for the batch written behind, if any. Returns null when it is in the store; else the
     * failure its verdicts were abandoned with, its partition stopped or lost (see {@link #notStuck}).
     */
    private RuntimeException settleBehind() {
        Behind written = behind;
        if (written == null) {
            return null;
        }
        behind = null;
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    written.written().get();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true; // a close: the batch is written all the same (it takes a moment)
                }
            }
            state.settle(written.batch(), true);
            return null;
        } catch (java.util.concurrent.ExecutionException e) {
            state.settle(written.batch(), false);
            RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            return notStuck(written.index(), written.batch().fromOffset(), cause, written.answers());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Starts applying a partition: at start, or on a cluster node that became its leader. Its state
     * here is as of its checkpoint (the log before it is the same on every replica), so it resumes
     * from there; output records another node published for the commands it applies again are
     * not published twice: each output topic resumes after its last record.
     */
    private void take(int partition) {
        if (reload[current]) {
            processor.resumeRules(partition, nextOffsets[current]);
            processor.reload(partition);
            reload[current] = false;
        }
        rulesProposed[current] = false; // its rules wait is a new one: made at start, or by the resign
        log.resetPublished(partition);
        long end = log.endOffset(partition);
        processor.resumeAfter(partition,
                lastOutput(Topics.ORDER_EVENTS, partition, (value, headers) -> EventCodec.idOf(value, "eventId")),
                lastOutput(Topics.TRADES, partition, (value, headers) -> EventCodec.idOf(value, "tradeId")));
        Long deadLettered = lastOutput(Topics.ORDERS_DLT, partition, EngineWorker::originalOffset);
        lastDeadLettered[current] = deadLettered == null ? -1 : deadLettered;
        verdicts.resumeAt(partition, nextOffsets[current]);
        endWhenTaken.put(partition, end);
        applying[current] = true;
        if (end > nextOffsets[current]) {
            LOG.info("{}: applying orders-{} from offset {} (log end {})", roleName(), partition, nextOffsets[current], end);
        }
    }

    /** Stops applying the partition at {@code index}, whose leadership went to another node; whoever waits here for a verdict is told. */
    private void resign(int index) {
        int partition = partitions[index];
        applying[index] = false;
        // Whoever waits for the rules here appends now (the new leader decides by its own), and
        // whoever comes while this node leads again waits for the next take's.
        rulesReady.getAndSet(index, new java.util.concurrent.CompletableFuture<>()).completeExceptionally(moved(partition));
        endWhenTaken.remove(partition);
        LOG.info("{}: orders-{} is led by another node now; stopped applying it at offset {}", roleName(), partition,
                nextOffsets[index]);
        verdicts.abandonAll(partition, moved(partition));
    }

    private static PartitionMovedException moved(int partition) {
        return new PartitionMovedException("orders-" + partition
                + " is applied by another node now; the command is durable and will be applied there");
    }

    /**
     * What {@code reader} makes of the last record of an output topic's partition; null when there
     * is none or it cannot be read (then its records may be published again: a repeat, never a loss).
     */
    private <T> T lastOutput(String topic, int partition,
                             java.util.function.BiFunction<ByteBuffer, org.apache.kafka.common.header.Header[], T> reader) {
        try {
            long end = log.endOffset(topic, partition);
            if (end <= log.startOffset(topic, partition)) {
                return null;
            }
            java.util.List<T> last = new java.util.ArrayList<>(1);
            long deadline = System.nanoTime() + 5_000_000_000L; // a remote cluster's first fetch takes a moment
            while (last.isEmpty() && System.nanoTime() < deadline) {
                log.pollTopic(topic, partition, end - 1, 64 * 1024, (p, offset, timestamp, key, value, headers) -> {
                    if (offset == end - 1) {
                        last.add(value == null ? null : reader.apply(value, headers));
                    }
                });
            }
            return last.isEmpty() ? null : last.getFirst();
        } catch (RuntimeException e) {
            LOG.warn("{}: cannot read the last record of {}-{}; its records may be published again", roleName(), topic,
                    partition, e);
            return null;
        }
    }

    /** The offset in orders a dead letter came from (its provenance header), or null. */
    private static Long originalOffset(ByteBuffer value, org.apache.kafka.common.header.Header[] headers) {
        for (org.apache.kafka.common.header.Header header : headers) {
            if (header.key().equals(dev.oms.deadletter.DeadLetterHeaders.ORIGINAL_OFFSET)) {
                try {
                    return Long.parseLong(new String(header.value(), java.nio.charset.StandardCharsets.UTF_8));
                } catch (NumberFormatException e) {
                    return null;
                }
            }
        }
        return null;
    }

    /**
     * Once the partition at {@code index} has caught up: if its rules in effect are not the ones
     * configured here, appends the configured rules to it, which decide its commands from there
     * on. Looked at again after a while, until they are in effect (an append that failed, or one
     * still behind a backlog, which a second record of the same rules does no harm to).
     */
    private void checkRules(int index) {
        int partition = partitions[index];
        if (rulesReady.get(index).isDone() || !applying[index] || stopped.containsKey(partition) || !caughtUp(partition)
                || rulesProposed[index] && System.nanoTime() - rulesProposedAt[index] < RULES_RECHECK_NS) {
            return;
        }
        SetRules inEffect = processor.rules(partition);
        if (inEffect.equals(configuredRules)) {
            rulesReady.get(index).complete(null); // until the partition is taken again
            return;
        }
        rulesProposed[index] = true;
        rulesProposedAt[index] = System.nanoTime();
        LOG.info("{}: orders-{} decides by {}; appending the rules configured here, {}, which decide its commands"
                + " from there on", roleName(), partition, inEffect, configuredRules);
        log.append(partition, null, codec.encode(configuredRules), System.currentTimeMillis(), java.util.Map.of())
                .whenComplete((offset, e) -> {
                    if (e != null) {
                        LOG.warn("{}: appending the configured rules to orders-{} failed ({}); trying again shortly",
                                roleName(), partition, e.toString());
                    }
                });
    }

    /**
     * Completes once the rules configured here decide {@code partition}'s commands: it has caught
     * up, and the rules record appended if they differed has been applied. A command appended
     * before then could be decided by other rules (none, before a partition's first record).
     */
    public java.util.concurrent.CompletableFuture<Void> rulesInEffect(int partition) {
        return rulesReady.get(indexOf(partition));
    }

    /** Deciding by the rules configured here (once caught up, see {@link #rulesInEffect}). */
    public boolean rulesConfiguredInEffect(int partition) {
        java.util.concurrent.CompletableFuture<Void> rules = rulesInEffect(partition);
        return rules.isDone() && !rules.isCompletedExceptionally();
    }

    private int indexOf(int partition) {
        for (int i = 0; i < partitions.length; i++) {
            if (partitions[i] == partition) {
                return i;
            }
        }
        throw new IllegalArgumentException("orders-" + partition + " is not applied by " + roleName());
    }

    /** True once the worker applies {@code partition} and has applied what the log held when it took it. */
    public boolean caughtUp(int partition) {
        Long end = endWhenTaken.get(partition);
        return end != null && verdicts.appliedUpTo(partition) >= end;
    }

    /** Gives out a written batch's verdicts. */
    private void answer(java.util.List<Answer> batchAnswers) {
        for (Answer a : batchAnswers) {
            if (a.failure() == null) {
                verdicts.applied(a.partition(), a.offset(), a.verdict());
            } else {
                verdicts.failed(a.partition(), a.offset(), a.failure());
            }
        }
    }

    /** The batch did not stick: whoever waits for its verdicts is told why instead. */
    private void abandon(java.util.List<Answer> batchAnswers, RuntimeException why) {
        for (Answer a : batchAnswers) {
            verdicts.abandoned(a.partition(), a.offset(), why);
        }
    }

    /**
     * The batch of the partition at {@code index} from {@code from} could not be made to stick (its
     * state not written, or its output records not durable); its changes here are forgotten already.
     * Lost to another node only if nothing of the batch reached the store ({@link #lost}); else the
     * partition stops ({@link #stop}). Returns the failure its verdicts were abandoned with.
     */
    private RuntimeException notStuck(int index, long from, RuntimeException e, java.util.List<Answer> batchAnswers) {
        int partition = partitions[index];
        RuntimeException why;
        if (stopped.containsKey(partition)) { // a batch before it, written behind, stopped the partition
            why = new PartitionStoppedException(stopped.get(partition));
        } else if (!applying[index]) { // or moved it
            why = moved(partition);
        } else if (log.leads(partition) || store.interrupted(partition) || store.checkpoint(partition) != from) {
            why = stop(partition, from, e);
        } else {
            why = lost(index, from, e);
        }
        abandon(batchAnswers, why);
        return why;
    }

    /**
     * The partition stops here rather than go on from a state that is not the log's. The store
     * keeps its last checkpoint and, if the write was cut short, the mark that makes the next start
     * rebuild the partition from its log; health reports the process down so that an orchestrator
     * restarts it.
     */
    private RuntimeException stop(int partition, long from, RuntimeException e) {
        String remedy = e instanceof org.apache.kafka.common.errors.CorruptRecordException
                ? "the log itself is damaged there, so a restart stops here again: restore the partition's log (a"
                        + " cluster's other nodes hold copies) and restart oms"
                : "restart oms to rebuild the partition from its log";
        LOG.error("{}: orders-{} stopped at offset {}: {}; {}", roleName(), partition, from, e.toString(), remedy, e);
        String reason = "orders-" + partition + " stopped at offset " + from + ": " + e;
        stopped.put(partition, reason);
        // Whoever waits for the rules here appends now: the verdict tells of the stop.
        rulesReady.get(indexOf(partition)).completeExceptionally(new PartitionStoppedException(reason));
        return new PartitionStoppedException(reason);
    }

    /**
     * The partition moved to another node while its batch was being written (its output could not
     * be appended): nothing of it is kept, and the partition resumes from its checkpoint when it
     * comes back.
     */
    private RuntimeException lost(int index, long from, RuntimeException e) {
        int partition = partitions[index];
        LOG.warn("{}: orders-{} moved to another node while its batch from offset {} was being written ({}); resuming"
                + " from there if it comes back", roleName(), partition, from, e.toString());
        nextOffsets[index] = from;
        reload[index] = true;
        resign(index);
        return new PartitionMovedException("orders-" + partition + " moved to another node; the command is durable"
                + " and will be applied there");
    }

    /** The partitions this worker stopped, with why. */
    public java.util.Map<Integer, String> stopped() {
        return java.util.Map.copyOf(stopped);
    }

    /** True when this worker stopped applying {@code partition}. */
    public boolean isStopped(int partition) {
        return stopped.containsKey(partition);
    }

    /**
     * Applies one command. A failure is retried in place with the policy's backoff (the partition
     * waits, boundedly); a permanent failure, or one that outlasts the budget, sends the record to
     * {@code orders.DLT} with its provenance, and the partition moves on.
     */
    private void onRecord(int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                          org.apache.kafka.common.header.Header[] headers) {
        // A command applied again only to rebuild state was traced the first time.
        if (!tracing.enabled() || processor.replaying(partition, offset)) {
            apply(partition, offset, timestamp, key, value, headers, null);
            return;
        }
        Span span = tracing.startProcess(Topics.ORDERS, partition, offset, key, value == null ? 0 : value.remaining(), headers);
        try (Scope ignored = span.makeCurrent()) {
            apply(partition, offset, timestamp, key, value, headers, span);
        } finally {
            span.end();
        }
    }

    /** {@code span}: the command's process span, or null when untraced. */
    private void apply(int partition, long offset, long timestamp, ByteBuffer key, ByteBuffer value,
                       org.apache.kafka.common.header.Header[] headers, Span span) {
        byte[] bytes = bytes(value);
        state.beginTradingDay(partition, timestamp); // by every record, poison ones too: a replay meets them all
        for (int attempt = 1; ; attempt++) {
            try {
                Command command = codec.decode(bytes);
                inject(command, attempt);
                Verdict verdict = processor.apply(partition, offset, timestamp, command);
                if (command instanceof SetRules && !rulesReady.get(current).isDone()) {
                    rulesProposed[current] = false; // perhaps the configured ones: looked at once caught up, not in 5 s
                }
                complete(offset);
                answers.add(new Answer(partition, offset, verdict, null));
                if (span != null) {
                    traced(span, command, verdict);
                }
                return;
            } catch (RuntimeException e) {
                if (span != null) {
                    span.addEvent("attempt failed", io.opentelemetry.api.common.Attributes.of(ATTEMPT, (long) attempt,
                            io.opentelemetry.api.common.AttributeKey.stringKey("exception.message"), e.toString()));
                }
                if (retryPolicy.retry(e, attempt)) {
                    stats.onRetry();
                    LOG.warn("{}: orders-{} offset {} failed (attempt {}), retrying: {}", roleName(), partition, offset,
                            attempt, e.toString());
                    pause(retryPolicy.backoffMs(attempt));
                    continue;
                }
                FailureReason reason = e instanceof PermanentFailure permanent ? permanent.reason() : FailureReason.RETRIES_EXHAUSTED;
                if (span != null) {
                    span.recordException(e);
                    span.setStatus(StatusCode.ERROR, "dead-lettered: " + reason);
                    span.setAttribute(DEAD_LETTER_REASON, reason.name());
                }
                deadLetter(new DeadLetter(Topics.ORDERS, partition, offset, timestamp, bytes(key), bytes, reason, e,
                        attempt, "engine.apply", System.currentTimeMillis(), redrivenFrom(headers)));
                complete(offset);
                answers.add(new Answer(partition, offset, null, e));
                return;
            }
        }
    }

    private static final io.opentelemetry.api.common.AttributeKey<Long> ATTEMPT =
            io.opentelemetry.api.common.AttributeKey.longKey("oms.attempt");
    private static final io.opentelemetry.api.common.AttributeKey<String> DEAD_LETTER_REASON =
            io.opentelemetry.api.common.AttributeKey.stringKey("oms.dead_letter.reason");

    /** What the command did, on its span: which command, which order, the verdict. */
    private static void traced(Span span, Command command, Verdict verdict) {
        span.setAttribute("oms.command", command.getClass().getSimpleName());
        if (verdict.order() != null) {
            span.setAttribute("oms.order.id", verdict.order().id().toString());
            span.setAttribute("oms.order.status", verdict.order().status().name());
        }
        if (verdict.reason() != null) {
            span.setAttribute("oms.reason", verdict.reason());
        }
    }

    /** Injected failures hit placements only, so that the cancels and replaces behind them show what follows. */
    private void inject(Command any, int attempt) {
        if (!(any instanceof dev.oms.engine.command.NewOrder command)) {
            return;
        }
        if (injection.failingSymbols().contains(command.symbol())) {
            throw new IllegalStateException("injected failure for symbol " + command.symbol());
        }
        if (injection.flakySymbols().contains(command.symbol()) && attempt <= injection.flakyAttempts()) {
            throw new TransientFailure("injected transient failure for symbol " + command.symbol() + ", attempt " + attempt);
        }
    }

    /**
     * Publishes the dead letter; it is durable before the partition's checkpoint moves past the
     * record ({@link #write} waits for the batch's letters with its outputs). Waiting for each
     * letter in turn made a burst of poison records one group commit each: 4,000 took 5 s, and
     * the orders behind them waited.
     */
    private void deadLetter(DeadLetter letter) {
        state.markDeadLettered(new dev.oms.engine.order.OrderId(letter.partition(), letter.offset()), letter.failedAt());
        if (letter.offset() <= lastDeadLettered[current]) {
            return; // applied again after a restart or a move: in the DLT already
        }
        String role = roleName();
        io.opentelemetry.context.Context trace = io.opentelemetry.context.Context.current(); // the log lines name it
        java.util.concurrent.CompletableFuture<Long> appended;
        try {
            appended = log.publish(Topics.ORDERS_DLT, letter.partition(), letter.key(), letter.value(),
                    letter.timestamp(), letter.headers());
        } catch (RuntimeException e) {
            appended = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        letters.add(appended.handle((offset, e) -> {
            try (io.opentelemetry.context.Scope ignored = trace.makeCurrent()) {
                settled(letter, role, e);
            }
            return null;
        }));
    }

    /** A letter's append is settled: counted and logged, or its failure logged. Any thread. */
    private void settled(DeadLetter letter, String role, Throwable e) {
        if (e == null) {
            stats.onDeadLettered(letter.reason());
            LOG.error("{}: orders-{} offset {} dead-lettered ({} after {} attempt(s)): {}", role, letter.partition(),
                    letter.offset(), letter.reason(), letter.attempts(), letter.error().toString());
        } else {
            // Still in orders, so nothing is lost; it is just not in the DLT to browse.
            LOG.error("{}: orders-{} offset {} could not be dead-lettered", role, letter.partition(), letter.offset(), e);
        }
    }

    /** The dead letters published while applying the current batch; each completes (never fails) once settled. */
    private java.util.List<java.util.concurrent.CompletableFuture<?>> letters = new java.util.ArrayList<>();

    /** The batch's output records and its dead letters, all durable (a letter that failed is logged, and waited for). */
    private java.util.concurrent.CompletableFuture<Void> withLetters(java.util.concurrent.CompletableFuture<Void> outputs) {
        if (letters.isEmpty()) {
            return outputs;
        }
        java.util.List<java.util.concurrent.CompletableFuture<?>> all = letters;
        letters = new java.util.ArrayList<>();
        all.add(outputs);
        return java.util.concurrent.CompletableFuture.allOf(all.toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The command at {@code offset} is applied (its state reaches the store with the batch's). */
    private void complete(long offset) {
        nextOffsets[current] = offset + 1;
    }

    /** The dead letter a redriven command came from ({@link DeadLetterHeaders#REDRIVEN_FROM}), or null. */
    private static String redrivenFrom(org.apache.kafka.common.header.Header[] headers) {
        if (headers == null) {
            return null;
        }
        for (org.apache.kafka.common.header.Header header : headers) {
            if (header.key().equals(dev.oms.deadletter.DeadLetterHeaders.REDRIVEN_FROM) && header.value() != null) {
                return new String(header.value(), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        return null;
    }

    private static byte[] bytes(ByteBuffer value) {
        if (value == null) {
            return null;
        }
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        return bytes;
    }

    /** The top of a symbol's book, copied on the worker thread. */
    public java.util.concurrent.CompletableFuture<dev.oms.engine.book.BookView> book(String symbol, int depth) {
        var view = new java.util.concurrent.CompletableFuture<dev.oms.engine.book.BookView>();
        if (!queries.offer(() -> view.complete(processor.view(symbol, depth)))) {
            view.completeExceptionally(new IllegalStateException(roleName() + " has too many queries waiting; retry"));
        } else {
            idle.wake();
        }
        return view;
    }

    @Override
    public void onClose() {
        try {
            settleBehind(); // its state in the store before the store closes
        } finally {
            if (writer != null) {
                writer.shutdown();
            }
            cpu.close();
        }
    }

    @Override
    public String roleName() {
        return "oms-engine-" + id;
    }
}
