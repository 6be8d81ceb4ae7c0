package dev.oms.engine.worker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import dev.oms.engine.book.BookListener;
import dev.oms.engine.book.CancelReason;
import dev.oms.engine.book.OrderBook;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.command.ReplaceOrder;
import dev.oms.engine.event.EventCodec;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.engine.state.OrderStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One engine worker applying a 70/20/10 place/cancel/replace mix, one command per operation:
 * {@link #applyWithState} is the whole apply (risk, book, Chronicle Map writes, execution reports
 * encoded), each batch's state written behind as the worker does under load, and
 * {@link #applyWithStateInPlace} the same with the writes on the worker's thread; {@link #bookOnly},
 * the baseline of the same run, is the book alone, and
 * {@link #stateWritesOnly} the Chronicle Map writes alone. Appending the
 * output records to the log is the broker's cost, measured by bench/broker.sh.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class ApplyBenchmark {
    private static final int COMMANDS = 1 << 20;
    /**
     * Commands per state flush: the worker flushes once per polled batch, which holds up to 256 KiB
     * of commands (over a thousand) when it is saturated; 256 is on the safe side.
     */
    private static final int FLUSH_EVERY = 256;
    private static final String[] ACCOUNTS = {"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7"};

    private Path dir;
    private OrderStore store;
    private OrderProcessor processor;
    private dev.oms.engine.state.WorkingState state;
    private OrderBook book;
    private OrderCommand[] commands;
    /** For a cancel or replace: how many commands back the order it names was placed. */
    private long[] distance;
    private int next;
    private long offset;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        dir = Files.createTempDirectory("oms-apply-bench");
        store = OrderStore.open(dir, 8L * COMMANDS);
        PriceScale scale = new PriceScale(4);
        state = new dev.oms.engine.state.WorkingState(store, 1);
        processor = new OrderProcessor(state, new DiscardingLog(), new EventCodec(scale),
                new dev.oms.engine.state.RulesHistory(dir), new dev.oms.engine.command.CommandCodec(scale), new EngineStats());
        processor.resumeRules(0, 0);
        processor.restore(new int[] {0});
        // The rules of the mix, as a partition's first record would set them.
        processor.apply(0, offset++, 1_767_225_600_000L,
                new dev.oms.engine.command.SetRules(RiskLimits.UNLIMITED, SelfTradePrevention.NONE));
        book = new OrderBook("BENCH", SelfTradePrevention.NONE, new BookListener() {
            @Override
            public void onTrade(long a, long r, Side s, long p, long q, long al, long rl) {
            }

            @Override
            public void onRested(long k, Side s, long p, long l) {
            }

            @Override
            public void onReplaced(long k, long p, long q, long l, boolean kept) {
            }

            @Override
            public void onCanceled(long k, long q, CancelReason r) {
            }

            @Override
            public void onExpired(long k, long q) {
            }
        });
        distance = new long[COMMANDS];
        commands = mix(COMMANDS, distance);
    }

    /** Commands whose cancels and replaces name orders placed shortly before them. */
    private static OrderCommand[] mix(int count, long[] distance) {
        SplittableRandom random = new SplittableRandom(42);
        OrderCommand[] mix = new OrderCommand[count];
        long[] placed = new long[count];
        int placedCount = 0;
        for (int i = 0; i < count; i++) {
            int roll = random.nextInt(100);
            if (roll < 70 || placedCount < 10) {
                Side side = random.nextBoolean() ? Side.BUY : Side.SELL;
                long price = 1_000_000 + (side == Side.BUY ? -1 : 1) * random.nextInt(0, 50) * 100L;
                mix[i] = new NewOrder(ACCOUNTS[random.nextInt(ACCOUNTS.length)], "c" + i, "BENCH", side, OrderType.LIMIT,
                        TimeInForce.GTC, price, 1 + random.nextInt(100));
                placed[placedCount++] = i;
            } else {
                long target = placed[placedCount - 1 - random.nextInt(Math.min(placedCount, 1000))];
                NewOrder original = (NewOrder) mix[(int) target];
                distance[i] = i - target;
                OrderId template = new OrderId(0, 0);
                mix[i] = roll < 90 ? new CancelOrder(template, original.account(), "BENCH")
                        : new ReplaceOrder(template, original.account(), "BENCH", original.priceTicks(), original.quantity() + 1);
            }
        }
        return mix;
    }

    /**
     * As the worker does under load: each batch's state is written by a second thread while the
     * next batch is applied (EngineWorker writes batches of 64 commands or more so).
     */
    @Benchmark
    public Verdict applyWithState() throws Exception {
        long at = offset++;
        // Offsets keep growing past the mix, and so do the ids: every NewOrder is new to the store.
        OrderCommand command = at(at);
        Verdict verdict = processor.apply(0, at, 1_767_225_600_000L, command);
        if ((at & (FLUSH_EVERY - 1)) == FLUSH_EVERY - 1) {
            settleBehind();
            dev.oms.engine.state.WorkingState.Batch batch = state.seal(0, at - FLUSH_EVERY + 1, at + 1);
            behind = batch;
            written = writer.submit(() -> state.commit(batch));
        }
        return verdict;
    }

    /** Each batch's state written by the worker's own thread before it applies the next. */
    @Benchmark
    public Verdict applyWithStateInPlace() {
        long at = offset++;
        OrderCommand command = at(at);
        Verdict verdict = processor.apply(0, at, 1_767_225_600_000L, command);
        if ((at & (FLUSH_EVERY - 1)) == FLUSH_EVERY - 1) {
            dev.oms.engine.state.WorkingState.Batch batch = state.seal(0, at - FLUSH_EVERY + 1, at + 1);
            state.commit(batch);
            state.settle(batch, true);
        }
        return verdict;
    }

    private final java.util.concurrent.ExecutorService writer = java.util.concurrent.Executors.newSingleThreadExecutor(
            task -> Thread.ofPlatform().daemon().name("apply-bench-state").unstarted(task));
    private dev.oms.engine.state.WorkingState.Batch behind;
    private java.util.concurrent.Future<?> written;

    private void settleBehind() throws Exception {
        if (behind != null) {
            written.get();
            state.settle(behind, true);
            behind = null;
        }
    }

    /**
     * The Chronicle Map writes alone that the mix needs at the least, each command's own: a
     * placement's new order and its clientOrderId entry, a cancel's or replace's order written
     * again. The state's floor on this machine, beside {@link #applyWithState}.
     */
    @Benchmark
    public long stateWritesOnly() {
        long at = offset++;
        OrderCommand command = at(at);
        switch (command) {
            case NewOrder o -> {
                Order order = new Order(new OrderId(0, at), o.account(), o.clientOrderId(), o.symbol(), o.side(), o.type(),
                        o.timeInForce(), o.priceTicks(), o.quantity(), 0, OrdStatus.NEW, 1_767_225_600_000L, at, null);
                store.put(order);
                store.indexClientOrderId(o.account(), o.symbol(), o.clientOrderId(), order.id());
            }
            case CancelOrder c -> store.put(new Order(c.orderId(), c.account(), "c", c.symbol(), Side.BUY, OrderType.LIMIT,
                    TimeInForce.GTC, 1_000_000, 1, 0, OrdStatus.CANCELED, 1_767_225_600_000L, at, "CANCELED"));
            case ReplaceOrder r -> store.put(new Order(r.orderId(), r.account(), "c", r.symbol(), Side.BUY, OrderType.LIMIT,
                    TimeInForce.GTC, r.priceTicks(), r.quantity(), 0, OrdStatus.NEW, 1_767_225_600_000L, at, null));
        }
        return at;
    }

    @Benchmark
    public Object bookOnly() {
        long key = offset++;
        return switch (at(key)) {
            case NewOrder o -> book.submit(new OrderId(0, key).packed(), o.account(), o.side(), o.type(), o.timeInForce(),
                    o.priceTicks(), o.quantity(), 0);
            case CancelOrder c -> book.cancel(c.orderId().packed());
            case ReplaceOrder r -> book.replace(r.orderId().packed(), r.priceTicks(), r.quantity());
        };
    }

    /** The mix's next command, made concrete for offset {@code at}. */
    private OrderCommand at(long at) {
        int i = next;
        next = (next + 1) & (COMMANDS - 1);
        return switch (commands[i]) {
            case NewOrder o -> new NewOrder(o.account(), Long.toString(at), o.symbol(), o.side(), o.type(), o.timeInForce(),
                    o.priceTicks(), o.quantity());
            case CancelOrder c -> new CancelOrder(new OrderId(0, Math.max(0, at - distance[i])), c.account(), c.symbol());
            case ReplaceOrder r -> new ReplaceOrder(new OrderId(0, Math.max(0, at - distance[i])), r.account(), r.symbol(),
                    r.priceTicks(), r.quantity());
        };
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        settleBehind();
        writer.shutdown();
        store.close();
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The output records are encoded by the processor, then dropped here instead of appended. */
    private static final class DiscardingLog implements OrderLog {
        @Override
        public int partitionCount() {
            return 1;
        }

        @Override
        public boolean leads(int partition) {
            return true;
        }

        @Override
        public void resetPublished(int partition) {
        }

        @Override
        public int partitionFor(byte[] key) {
            return 0;
        }

        @Override
        public long endOffset(int partition) {
            return 0;
        }

        @Override
        public CompletableFuture<Long> append(int partition, byte[] key, byte[] value, long timestamp,
                                              java.util.Map<String, byte[]> headers) {
            throw new IllegalStateException("the benchmark applies commands directly");
        }

        @Override
        public CompletableFuture<Long> publish(String topic, int partition, byte[] key, byte[] value, long timestamp,
                                               java.util.Map<String, byte[]> headers) {
            return CompletableFuture.completedFuture(0L);
        }

        @Override
        public void onAppended(int partition, Runnable listener) {
        }

        @Override
        public void flushPublished(int partition) {
        }

        @Override
        public int pollTopic(String topic, int partition, long fromOffset, int maxBytes, RecordHandler handler) {
            return 0;
        }

        @Override
        public long startOffset(String topic, int partition) {
            return 0;
        }

        @Override
        public long endOffset(String topic, int partition) {
            return 0;
        }

        @Override
        public List<byte[]> tail(String topic, int partition, byte[] key, int limit) {
            return List.of();
        }

        @Override
        public int poll(int partition, long fromOffset, int maxBytes, RecordHandler handler) {
            return 0;
        }
    }
}
