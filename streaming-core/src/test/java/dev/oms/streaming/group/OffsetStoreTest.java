package dev.oms.streaming.group;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.storage.TopicConfig;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Committed offsets kept in {@code __consumer_offsets} on the real log, read back at a start. */
class OffsetStoreTest {
    @TempDir
    Path dir;

    /**
     * A batch of commits that rotted on disk in a closed segment (a restart checks only the last
     * segment's CRCs) is skipped when the store reads the topic at a start, with an error: the
     * broker starts and every other commit is there, where before no start got past it.
     */
    @Test
    void aStartSkipsACommitBatchWhoseBytesNoLongerMatchItsCrc() throws Exception {
        TopicPartition orders = new TopicPartition("orders", 0);
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            // As the store creates it, but with segments small enough to close a few.
            broker.createTopic(OffsetStore.TOPIC, 1, Map.of(TopicConfig.CLEANUP_POLICY, "compact",
                    TopicConfig.SEGMENT_BYTES, "1024"));
            OffsetStore store = new OffsetStore(broker, 1);
            for (int g = 0; g < 30; g++) {
                store.commit("group-" + g, Map.of(orders, new OffsetStore.Committed(g, 0, "m", 1L)));
            }
        }
        List<Path> segments;
        try (Stream<Path> files = Files.list(dir.resolve(OffsetStore.TOPIC + "-0"))) {
            segments = files.filter(f -> f.toString().endsWith(".log")).sorted().toList();
        }
        assertThat(segments).as("closed segments").hasSizeGreaterThan(2);
        Path closed = segments.get(1);
        int at = new String(Files.readAllBytes(closed), StandardCharsets.ISO_8859_1).indexOf("group-");
        try (RandomAccessFile file = new RandomAccessFile(closed.toFile(), "rw")) {
            file.seek(at + 1); // inside a commit's key
            file.write('X');
        }

        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            OffsetStore store = new OffsetStore(broker, 1);
            assertThat(store.groups()).as("all but the damaged batch's").hasSize(29).contains("group-0", "group-29");
            assertThat(store.offsets("group-29")).containsEntry(orders, new OffsetStore.Committed(29, 0, "m", 1L));
        }
    }
}
