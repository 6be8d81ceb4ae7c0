package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
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
    /** The topic id recorded for {@code tp}, if any (nothing is written). */
    public static Optional<Uuid> recordedTopicId(Path logDir, TopicPartition tp) throws IOException {
        Path file = metadataFile(logDir, tp);
        if (Files.exists(file)) {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith("topic_id:")) {
                    return Optional.of(Uuid.fromString(line.substring("topic_id:".length()).trim()));
                }
            }
        }
        return Optional.empty();
    }

    private static Path metadataFile(Path logDir, TopicPartition tp) {
        return logDir.resolve(tp.topic() + "-" + tp.partition()).resolve("partition.metadata");
    }

    public static Uuid topicId(Path logDir, TopicPartition tp, Uuid known) throws IOException {
        Optional<Uuid> recorded = recordedTopicId(logDir, tp);
        if (recorded.isPresent()) {
            return recorded.get();
        }
        Path file = metadataFile(logDir, tp);
        Uuid id = known != null ? known : Uuid.randomUuid();
        Files.createDirectories(file.getParent());
        // Durable before the partition's first segment: a crash between them leaves no partition without its id.
        try (var channel = FileChannel.open(file, StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(("version: 0\ntopic_id: " + id + "\n").getBytes(StandardCharsets.UTF_8)));
            channel.force(true);
        }
        try (var dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true);
        }
        return id;
    }
}
