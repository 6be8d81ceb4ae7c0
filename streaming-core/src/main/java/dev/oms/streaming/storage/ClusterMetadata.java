package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;

/**
 * The ids a Kafka client expects to stay the same across restarts, kept where Kafka keeps them:
 * the cluster id in {@code meta.properties} of the log directory, a topic's id in the
 * {@code partition.metadata} file of each of its partitions.
 */
public final class ClusterMetadata {
    private ClusterMetadata() {
    }

    /** The cluster id of the log directory, created on first use. */
    public static String clusterId(Path logDir) throws IOException {
        Files.createDirectories(logDir);
        Path file = logDir.resolve("meta.properties");
        Properties meta = new Properties();
        if (Files.exists(file)) {
            try (var in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                meta.load(in);
            }
            String id = meta.getProperty("cluster.id");
            if (id != null && !id.isBlank()) {
                return id.trim();
            }
        }
        String id = Uuid.randomUuid().toString();
        meta.setProperty("version", "1");
        meta.setProperty("cluster.id", id);
        meta.setProperty("node.id", "0");
        try (var out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            meta.store(out, "oms broker");
        }
        return id;
    }

    /**
     * The topic id recorded for {@code tp}; when it has none, records {@code known} (the id found
     * for another partition of the topic) or a new one.
     */
    public static Uuid topicId(Path logDir, TopicPartition tp, Uuid known) throws IOException {
        Path file = logDir.resolve(tp.topic() + "-" + tp.partition()).resolve("partition.metadata");
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("topic_id:")) {
                    return Uuid.fromString(line.substring("topic_id:".length()).trim());
                }
            }
        }
        Uuid id = known != null ? known : Uuid.randomUuid();
        Files.writeString(file, "version: 0\ntopic_id: " + id + "\n", StandardCharsets.UTF_8);
        return id;
    }
}
