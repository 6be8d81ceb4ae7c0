package dev.oms.engine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;

/**
 * Replay speed and restart time, measured (not asserted): writes N commands (80% placements,
 * 20% cancels) to the log of one partition, then times (1) a full replay into empty state and
 * (2) a restart with the state intact. Run by bench/engine.sh; prints one line per figure.
 *
 * <pre>java ... dev.oms.engine.ReplayBenchmark 1000000</pre>
 *
 * With a directory as second argument the log and state are kept there, and a later run given the same
 * directory times restarts only (three of them), for profiling a restart without writing the log again.
 */
public final class ReplayBenchmark {
    private ReplayBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int commands = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        boolean keep = args.length > 1;
        Path dir = keep ? Path.of(args[1]) : Files.createTempDirectory("oms-replay-bench");
        PriceScale scale = new PriceScale(4);
        if (keep && Files.isDirectory(dir.resolve("state"))) {
            for (int i = 0; i < 3; i++) {
                System.out.printf("restart: %.2f s with %d commands in the log%n",
                        timeToCaughtUp(dir, scale, commands) / 1e9, commands);
            }
            return;
        }
        try {
            try (EmbeddedBroker broker = EmbeddedBroker.open(dir.resolve("log"), 1, 4096)) {
                broker.createTopic(Topics.ORDERS, 1);
                write(broker, commands, new CommandCodec(scale));
            }
            // Full replay: state rebuilt from the log alone.
            long replayNanos = timeToCaughtUp(dir, scale, commands);
            System.out.printf("replay: %d commands in %.2f s = %.0f commands/s%n", commands, replayNanos / 1e9,
                    commands / (replayNanos / 1e9));
            // Restart: the state is there (closed cleanly above), only the books are rebuilt.
            long restartNanos = timeToCaughtUp(dir, scale, commands);
            System.out.printf("restart: %.2f s with %d commands in the log%n", restartNanos / 1e9, commands);
        } finally {
            if (!keep) {
                try (Stream<Path> walk = Files.walk(dir)) {
                    for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                        Files.delete(p);
                    }
                }
            }
        }
    }

    private static long timeToCaughtUp(Path dir, PriceScale scale, int commands) throws Exception {
        long start = System.nanoTime();
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir.resolve("log"), 1, 4096);
             Engine engine = Engine.start(new EngineConfig(dir.resolve("state"), 1, false, 2L * commands, scale,
                     RiskLimits.UNLIMITED, SelfTradePrevention.NONE), new EmbeddedOrderLog(broker, Topics.ORDERS))) {
            while (!engine.caughtUp()) {
                Thread.sleep(5);
            }
            return System.nanoTime() - start;
        }
    }

    /** Commands straight into the log, in batches of 500 records, as producers would write them. */
    private static void write(EmbeddedBroker broker, int commands, CommandCodec codec) {
        SplittableRandom random = new SplittableRandom(7);
        TopicPartition tp = new TopicPartition(Topics.ORDERS, 0);
        List<CompletableFuture<Long>> acks = new ArrayList<>();
        List<SimpleRecord> batch = new ArrayList<>(500);
        byte[] key = "BENCH".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int i = 0; i < commands; i++) {
            OrderCommand command;
            if (i < 10 || random.nextInt(100) < 80) {
                Side side = random.nextBoolean() ? Side.BUY : Side.SELL;
                long price = 1_000_000 + (side == Side.BUY ? -1 : 1) * random.nextInt(0, 50) * 100L;
                command = new NewOrder("a" + random.nextInt(50), "c" + i, "BENCH", side, OrderType.LIMIT, TimeInForce.GTC,
                        price, 1 + random.nextInt(100));
            } else {
                command = new CancelOrder(new OrderId(0, i - 1 - random.nextInt(Math.min(i, 500))), "a0", "BENCH");
            }
            batch.add(new SimpleRecord(1_767_225_600_000L + i, key, codec.encode(command)));
            if (batch.size() == 500 || i == commands - 1) {
                acks.add(broker.append(tp, MemoryRecords.withRecords(Compression.NONE, batch.toArray(SimpleRecord[]::new))));
                batch.clear();
                if (acks.size() >= 64) {
                    acks.forEach(CompletableFuture::join);
                    acks.clear();
                }
            }
        }
        acks.forEach(CompletableFuture::join);
    }
}
