package dev.oms.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.streaming.EmbeddedBroker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;

/** An engine on the embedded log in a temporary directory: the log in {@code log/}, the state in {@code state/}. */
abstract class EngineTestBase {
    @TempDir
    protected Path dir;
    protected EmbeddedBroker broker;
    protected Engine engine;

    /** Opens the log with a command topic of {@code partitions} partitions and starts the engine on it. */
    protected void start(int partitions, EngineConfig config) throws IOException {
        broker = EmbeddedBroker.open(dir.resolve("log"), 1, 1024);
        broker.createTopic(Topics.ORDERS, partitions);
        engine = Engine.start(config, new EmbeddedOrderLog(broker, Topics.ORDERS));
    }

    /** Stops the engine, then the log, cleanly; a later start opens them again. */
    @AfterEach
    protected void stop() throws IOException {
        if (engine != null) {
            engine.close();
            engine = null;
        }
        if (broker != null) {
            broker.close();
            broker = null;
        }
    }

    /** Removes the engine's state, so that the next start rebuilds it from the log alone. */
    protected void deleteState() throws IOException {
        try (Stream<Path> walk = Files.walk(dir.resolve("state"))) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
