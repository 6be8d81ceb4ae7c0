package dev.oms.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.trace.LogTracing;
import dev.oms.engine.trace.TracedOrderLog;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.state.OrderStore;
import dev.oms.engine.worker.EngineWorkers;
import dev.oms.engine.worker.Verdict;
import dev.oms.engine.worker.Verdicts;

/**
 * The order engine: the front door for commands (append to the log), the verdicts of the workers
 * that apply them, and queries of the state they keep.
 *
 * <p>Threads: every public method may be called from any thread; HTTP handlers call
 * {@link #submit} and then wait on {@link #verdict}.
 */
public final class Engine implements AutoCloseable {
    private final OrderLog log;
    private final OrderStore store;
    private final CommandCodec codec;
    private final Verdicts verdicts;
    private final EngineWorkers workers;
    private final PriceScale priceScale;
    private Engine(OrderLog log, OrderStore store, EngineConfig config, LogTracing tracing) {
        this.log = log;
        this.store = store;
        this.priceScale = config.priceScale();
        this.codec = new CommandCodec(priceScale);
        this.verdicts = new Verdicts(log.partitionCount());
        this.workers = new EngineWorkers(config, log, store, codec, verdicts, tracing);
    }

    /**
     * True once every partition applied here has been applied as far as the log reached when its
     * worker took it (readiness). On a cluster node, partitions other nodes lead do not count.
     */
    public boolean caughtUp() {
        for (int p = 0; p < log.partitionCount(); p++) {
            if (log.leads(p) && !(serves(p) && workers.owner(p).rulesConfiguredInEffect(p))) {
                return false;
            }
        }
        return true;
    }

    /**
     * True when {@code partition}'s commands are applied here and its state is current (caught
     * up): always on one node once started; on a cluster node, for the partitions it leads.
     */
    public boolean serves(int partition) {
        return log.leads(partition) && workers.owner(partition).caughtUp(partition);
    }

    /** True when this process applies {@code partition}'s commands (see {@link OrderLog#leads}). */
    public boolean leads(int partition) {
        return log.leads(partition);
    }

    /** The command partition of a symbol: where its book lives. */
    public int partitionOf(String symbol) {
        return log.partitionFor(symbol.getBytes(StandardCharsets.UTF_8));
    }

    public int partitionCount() {
        return log.partitionCount();
    }

    /** Opens the state, then starts the workers, which replay from their checkpoints. */
    public static Engine start(EngineConfig config, OrderLog log) throws IOException {
        return start(config, log, LogTracing.OFF);
    }

    /** Like {@link #start(EngineConfig, OrderLog)}, with spans for every record in and out when tracing is on. */
    public static Engine start(EngineConfig config, OrderLog log, LogTracing tracing) throws IOException {
        OrderStore store = OrderStore.open(config.stateDir(), config.maxOrders());
        try {
            store.requireWrittenWith(config.priceScale().decimals());
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        Engine engine = new Engine(tracing.enabled() ? new TracedOrderLog(log, tracing, Topics.ORDERS) : log, store,
                config, tracing);
        engine.workers.start();
        return engine;
    }

    /**
     * Appends the command to its symbol's partition, stamped with {@code timestamp} (epoch ms, the
     * order's time from now on). Completes with the new order's id once the command is durable.
     */
    public CompletableFuture<OrderId> submit(OrderCommand command, long timestamp) {
        byte[] key = command.symbol().getBytes(StandardCharsets.UTF_8);
        int partition = log.partitionFor(key);
        byte[] value = codec.encode(command);
        CompletableFuture<Void> rules = log.leads(partition)
                ? workers.owner(partition).rulesInEffect(partition) : CompletableFuture.completedFuture(null);
        if (rules.isDone()) {
            return log.append(partition, key, value, timestamp, java.util.Map.of())
                    .thenApply(offset -> new OrderId(partition, offset));
        }
        // Just started (or just leading again): appended now, the command could land before the
        // rules configured here and be decided by others. The wait ends with them in effect, or
        // with the partition stopped (its verdict says so) or led elsewhere (that node's rules).
        return rules.copy().orTimeout(RULES_WAIT_MS, java.util.concurrent.TimeUnit.MILLISECONDS)
                .handle((ready, e) -> !(e instanceof java.util.concurrent.TimeoutException))
                // Not on the worker's thread, which completes the wait.
                .thenComposeAsync(proceed -> proceed ? log.append(partition, key, value, timestamp, java.util.Map.of())
                        : CompletableFuture.<Long>failedFuture(new org.apache.kafka.common.errors.TimeoutException(
                                "the rules configured here are not in effect on orders-" + partition
                                        + " yet (it is catching up)")))
                .thenApply(offset -> new OrderId(partition, offset));
    }

    /** How long a command waits for its partition's rules at a start before it is refused (retriable). */
    private static final long RULES_WAIT_MS = 10_000;

    /**
     * The engine's verdict on the command appended at {@code id}: for a NewOrder the order it placed
     * (or rejected), or the original for a repeated {@code (account, symbol, clientOrderId)}; for a cancel
     * or replace the order afterwards, or why it was refused.
     */
    public CompletableFuture<Verdict> verdict(OrderId id, OrderCommand command) {
        CompletableFuture<Verdict> verdict = verdicts.register(id);
        if (stopped(id.partition())) {
            // Checked after registering: a stop after this point fails the registered waiter itself.
            verdicts.forget(id);
            verdict.completeExceptionally(new dev.oms.engine.worker.PartitionStoppedException(
                    String.join("; ", stoppedPartitions())));
            return verdict;
        }
        if (!log.leads(id.partition())) {
            // Checked after registering: a move after this point fails the registered waiter itself.
            verdicts.forget(id);
            verdict.completeExceptionally(new dev.oms.engine.worker.PartitionMovedException(
                    "orders-" + id.partition() + " is applied by another node"));
            return verdict;
        }
        if (verdicts.isApplied(id)) {
            // Applied before we registered: the verdict was kept for us.
            verdicts.forget(id);
            Verdict kept = verdicts.takeRecent(id);
            if (kept != null) {
                verdict.complete(kept);
            } else if (command instanceof NewOrder order) {
                store.order(id).or(() -> byClientOrderId(order.account(), order.symbol(), order.clientOrderId()))
                        .ifPresentOrElse(o -> verdict.complete(new Verdict(o, o.status() == dev.oms.engine.order.OrdStatus.REJECTED
                                        ? o.reason() : null)),
                                () -> verdict.completeExceptionally(new IllegalStateException("command " + id + " was not applied")));
            } else {
                verdict.completeExceptionally(new IllegalStateException("the verdict on " + id + " is no longer kept"));
            }
        }
        return verdict;
    }

    /** Gives up waiting for a verdict (a timed-out caller). */
    public void forgetVerdict(OrderId id) {
        verdicts.forget(id);
    }

    public Optional<Order> order(OrderId id) {
        return store.order(id);
    }

    /** The order placed as {@code (account, symbol, clientOrderId)}, once its worker applied it. */
    public Optional<Order> byClientOrderId(String account, String symbol, String clientOrderId) {
        return store.byClientOrderId(account, symbol, clientOrderId).flatMap(store::order);
    }

    /** The top {@code depth} levels of each side of a symbol's book, as its worker sees it now. */
    public CompletableFuture<dev.oms.engine.book.BookView> book(String symbol, int depth) {
        int partition = log.partitionFor(symbol.getBytes(StandardCharsets.UTF_8));
        return workers.owner(partition).book(symbol, depth);
    }

    /**
     * Orders matching the filters (null matches all), in id order, after {@code after} (a paging
     * cursor: the last id of the previous page), at most {@code limit}.
     */
    public List<Order> orders(String account, String symbol, dev.oms.engine.order.OrdStatus status, OrderId after, int limit) {
        return orders(account, symbol, status, after, limit, p -> true);
    }

    /** Like {@link #orders(String, String, dev.oms.engine.order.OrdStatus, OrderId, int)}, of the partitions that pass {@code partitions}. */
    public List<Order> orders(String account, String symbol, dev.oms.engine.order.OrdStatus status, OrderId after, int limit,
                              java.util.function.IntPredicate partitions) {
        return store.orders(account, symbol, status, after, limit, partitions);
    }

    /** The latest trades of a symbol, newest last, at most {@code limit}, as recorded on {@code trades}. */
    public List<byte[]> trades(String symbol, int limit) {
        byte[] key = symbol.getBytes(StandardCharsets.UTF_8);
        return log.tail(dev.oms.engine.log.Topics.TRADES, log.partitionFor(key), key, limit);
    }

    /** Records in orders.DLT per partition: everything dead-lettered and not purged. */
    public java.util.Map<Integer, Long> deadLetterDepth() {
        java.util.Map<Integer, Long> depth = new java.util.TreeMap<>();
        for (int p = 0; p < log.partitionCount(); p++) {
            depth.put(p, log.endOffset(dev.oms.engine.log.Topics.ORDERS_DLT, p)
                    - log.startOffset(dev.oms.engine.log.Topics.ORDERS_DLT, p));
        }
        return depth;
    }

    public dev.oms.engine.worker.EngineStats stats() {
        return workers.stats();
    }

    /** Follows the execution reports of {@code account} from now on. */
    public dev.oms.engine.event.ExecutionReportFollower follow(String account) {
        return new dev.oms.engine.event.ExecutionReportFollower(log, account);
    }

    /** Net positions by symbol of {@code account} (all accounts when null). */
    public java.util.Map<String, java.util.Map<String, Long>> positions(String account) {
        return store.positions(account);
    }

    /** How far the engine is behind the log, per partition of the command topic. */
    public record PartitionLag(int partition, String worker, long logEndOffset, long appliedUpTo) {
        public long lag() {
            return Math.max(0, logEndOffset - appliedUpTo);
        }
    }

    public List<PartitionLag> lag() {
        List<PartitionLag> lags = new ArrayList<>();
        List<String> names = workers.names();
        for (int p = 0; p < log.partitionCount(); p++) {
            if (!log.leads(p)) {
                continue; // applied by another node's engine, which reports it
            }
            lags.add(new PartitionLag(p, names.get(p % names.size()), log.endOffset(p), verdicts.appliedUpTo(p)));
        }
        return lags;
    }

    public PriceScale priceScale() {
        return priceScale;
    }

    /**
     * Partitions the engine stopped applying because a batch could not be made to stick, with why;
     * empty when all is well. A restart rebuilds them from the log.
     */
    public List<String> stoppedPartitions() {
        return workers.stopped();
    }

    /** True when the engine stopped applying {@code partition} (see {@link #stoppedPartitions}). */
    public boolean stopped(int partition) {
        return workers.owner(partition).isStopped(partition);
    }

    public List<String> workerNames() {
        return new ArrayList<>(workers.names());
    }

    /** Stops the workers, then closes the state cleanly. */
    @Override
    public void close() throws IOException {
        workers.close();
        store.close();
    }
}
