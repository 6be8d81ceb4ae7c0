package dev.oms.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.client.PartitionSubscription;
import org.apache.kafka.common.TopicPartition;
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

    /** The topic's records once no more arrive: output records are appended without waiting. */
    protected List<String> settledRecords(String topic) throws InterruptedException {
        List<String> previous = rawRecords(topic);
        while (true) {
            Thread.sleep(200);
            List<String> now = rawRecords(topic);
            if (now.size() == previous.size()) {
                return now;
            }
            previous = now;
        }
    }

    /** The values of every record on the topic now, partition by partition, each in offset order. */
    protected List<String> rawRecords(String topic) {
        List<String> values = new ArrayList<>();
        for (int p = 0; p < broker.partitionCount(topic); p++) {
            PartitionSubscription.of(broker, new TopicPartition(topic, p), 0).poll(Integer.MAX_VALUE,
                    (offset, timestamp, key, value) -> values.add(StandardCharsets.UTF_8.decode(value).toString()));
        }
        return values;
    }
}
