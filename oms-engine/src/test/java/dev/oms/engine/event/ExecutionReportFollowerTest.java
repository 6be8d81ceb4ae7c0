package dev.oms.engine.event;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.streaming.EmbeddedBroker;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stream of an account's execution reports, read from order-events on the real log. */
class ExecutionReportFollowerTest {
    @TempDir
    Path dir;

    /**
     * A batch of order-events whose bytes rotted on disk is refused by the log's reader; the
     * stream goes on past it with the reports around it, instead of failing every poll from there.
     */
    @Test
    void aStreamGoesOnPastABatchWhoseBytesNoLongerMatchItsCrc() throws Exception {
        try (EmbeddedBroker broker = EmbeddedBroker.open(dir, 1, 64)) {
            broker.createTopic(Topics.ORDERS, 1);
            ExecutionReportFollower follower = new ExecutionReportFollower(new EmbeddedOrderLog(broker, Topics.ORDERS), "alice");
            TopicPartition events = new TopicPartition(Topics.ORDER_EVENTS, 0);
            for (String id : new String[] {"first", "damaged", "third"}) {
                String json = "{\"schema\":1,\"type\":\"Accepted\",\"eventId\":\"" + id + "\",\"account\":\"alice\"}";
                broker.append(events, MemoryRecords.withRecords(Compression.NONE,
                        new SimpleRecord(1L, "k".getBytes(StandardCharsets.UTF_8), json.getBytes(StandardCharsets.UTF_8)))).join();
            }
            Path segment = dir.resolve(Topics.ORDER_EVENTS + "-0").resolve("00000000000000000000.log");
            int at = new String(Files.readAllBytes(segment), StandardCharsets.ISO_8859_1).indexOf("damaged");
            try (RandomAccessFile file = new RandomAccessFile(segment.toFile(), "rw")) {
                file.seek(at);
                file.write('D');
            }

            java.util.List<String> streamed = new java.util.ArrayList<>();
            for (int poll = 0; poll < 3; poll++) {
                follower.poll().forEach(report -> streamed.add(report.eventId()));
            }
            assertThat(streamed).containsExactly("first", "third");
        }
    }
}
