package dev.oms.streaming.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kafka's own command-line tools (the main classes behind kafka-topics.sh,
 * kafka-console-producer.sh, kafka-console-consumer.sh and kafka-consumer-groups.sh), each run as
 * a separate JVM against the broker.
 */
class KafkaToolsTest {
    @TempDir
    Path dir;

    @Test
    void topicsConsoleProducerConsumerAndConsumerGroupsToolsWork() throws Exception {
        try (BrokerFixture fixture = BrokerFixture.start(dir)) {
            String bootstrap = fixture.bootstrap();
            tool(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--create",
                    "--topic", "ledger", "--partitions", "2", "--replication-factor", "1");
            assertThat(tool(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap, "--list"))
                    .contains("ledger");
            String described = tool(null, "org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap,
                    "--describe", "--topic", "ledger");
            assertThat(described).contains("PartitionCount: 2").contains("Leader: 0");

            StringBuilder lines = new StringBuilder();
            for (int i = 0; i < 10; i++) {
                lines.append("k").append(i).append(':').append("entry-").append(i).append('\n');
            }
            tool(lines.toString(), "org.apache.kafka.tools.ConsoleProducer", "--bootstrap-server", bootstrap, "--topic",
                    "ledger", "--property", "parse.key=true", "--property", "key.separator=:");

            String consumed = tool(null, "org.apache.kafka.tools.consumer.ConsoleConsumer", "--bootstrap-server", bootstrap,
                    "--topic", "ledger", "--group", "auditors", "--from-beginning", "--max-messages", "6",
                    "--timeout-ms", "30000");
            assertThat(consumed.lines().filter(l -> l.startsWith("entry-")).count()).isEqualTo(6);

            String groups = tool(null, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                    bootstrap, "--describe", "--group", "auditors");
            // Columns: GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG …; 10 written, 6 committed.
            long lag = groups.lines().filter(l -> l.startsWith("auditors")).map(l -> l.trim().split("\\s+"))
                    .mapToLong(cols -> Long.parseLong(cols[5])).sum();
            assertThat(lag).as(groups).isEqualTo(4);
            assertThat(tool(null, "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand", "--bootstrap-server",
                    bootstrap, "--list")).contains("auditors");
        }
    }

    /** Runs a tool's main class in its own JVM on this test's class path; returns standard output. */
    static String tool(String stdin, String mainClass, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (stdin != null) {
            process.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        }
        process.getOutputStream().close();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(120, TimeUnit.SECONDS)).as(mainClass + " finished").isTrue();
        assertThat(process.exitValue()).as(mainClass + " exit code; output:\n" + out).isZero();
        return out;
    }
}
