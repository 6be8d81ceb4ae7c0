package dev.oms.api.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.api.Oms;
import dev.oms.api.OneOmsPerClass;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code ./oms topic|group|cluster} against a running oms over its Kafka port. */
class CliTest extends OneOmsPerClass {
    private record Result(int exit, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    private static Result run(String stdin, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        String[] withBrokers = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--brokers", "127.0.0.1:" + oms.kafkaPort())).toArray(String[]::new);
        int exit = new Cli(new ByteArrayInputStream((stdin == null ? "" : stdin).getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8))
                .run(withBrokers, Map.of());
        return new Result(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void clusterInfoShowsTheOneNode() throws Exception {
        Result info = run(null, "cluster", "info", "--json");
        assertThat(info.exit()).isZero();
        assertThat(info.json()).hasSize(1);
        assertThat(info.json().get(0).get("controller").asBoolean()).isTrue();
    }

    @Test
    void topicLifecycleFromCreateToDelete() throws Exception {
        assertThat(run(null, "topic", "create", "cli-t", "--partitions", "3", "--config", "retention.ms=3600000").exit()).isZero();
        Result list = run(null, "topic", "list");
        assertThat(list.out()).contains("TOPIC").contains("cli-t").contains("orders");
        Result describe = run(null, "topic", "describe", "cli-t");
        assertThat(describe.out()).contains("HIGH_WATERMARK").contains("retention.ms").contains("3600000");

        Result produced = run("a:1\nb:2\nc:3\n", "topic", "produce", "cli-t", "--key-separator", ":");
        assertThat(produced.exit()).isZero();
        assertThat(produced.err()).contains("produced 3 record(s)");
        Result consumed = run(null, "topic", "consume", "cli-t", "--from-beginning", "--num", "3", "--json");
        assertThat(consumed.exit()).isZero();
        assertThat(consumed.out().lines().map(l -> {
            try {
                JsonNode n = new ObjectMapper().readTree(l);
                return n.get("key").asText() + "=" + n.get("value").asText();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).sorted().toList()).containsExactly("a=1", "b=2", "c=3");

        JsonNode listed = run(null, "topic", "list", "--json").json();
        JsonNode created = java.util.stream.StreamSupport.stream(listed.spliterator(), false)
                .filter(t -> t.get("topic").asText().equals("cli-t")).findFirst().orElseThrow();
        assertThat(created.get("id").isTextual()).as("the id as the table shows it: %s", created).isTrue();

        assertThat(run(null, "topic", "delete", "cli-t").exit()).isZero();
        assertThat(run(null, "topic", "list").out()).doesNotContain("cli-t");
    }

    @Test
    void groupDescribeShowsLagAndResetOffsetsRewindsTheGroup() throws Exception {
        run(null, "topic", "create", "cli-g", "--partitions", "1");
        run("x\ny\nz\nw\n", "topic", "produce", "cli-g");
        Result consumed = run(null, "topic", "consume", "cli-g", "--group", "readers", "--from-beginning", "--num", "3");
        assertThat(consumed.out().lines()).hasSize(3);

        Result describe = run(null, "group", "describe", "readers", "--json");
        JsonNode row = describe.json().get(0);
        assertThat(row.get("committed_offset").asLong()).isEqualTo(3);
        assertThat(row.get("log_end_offset").asLong()).isEqualTo(4);
        assertThat(row.get("lag").asLong()).isEqualTo(1);
        assertThat(run(null, "group", "list").out()).contains("readers");

        Result dryRun = run(null, "group", "reset-offsets", "readers", "--topic", "cli-g", "--to-earliest");
        assertThat(dryRun.err()).contains("dry run");
        assertThat(run(null, "group", "describe", "readers", "--json").json().get(0).get("lag").asLong()).isEqualTo(1);
        assertThat(run(null, "group", "reset-offsets", "readers", "--topic", "cli-g", "--to-earliest", "--execute").exit()).isZero();
        assertThat(run(null, "group", "describe", "readers", "--json").json().get(0).get("lag").asLong()).isEqualTo(4);
        // Past the log's end: the end, as Kafka's tool clamps it (99999 committed read as a lag of 0).
        assertThat(run(null, "group", "reset-offsets", "readers", "--topic", "cli-g", "--to-offset", "99999", "--execute")
                .exit()).isZero();
        assertThat(run(null, "group", "describe", "readers", "--json").json().get(0).get("committed_offset").asLong()).isEqualTo(4);
    }

    @Test
    void dlqListsShowsAndRedrivesTheDeadLettersOfARunningOms(@TempDir Path other) throws Exception {
        try (Oms failing = TestOms.start(other, Map.of("OMS_ENGINE_FAILURE_INJECTION_FAILING_SYMBOLS", "BRKN",
                "OMS_ENGINE_RETRY_MAX_ATTEMPTS", "1"))) {
            dev.oms.api.Http http = new dev.oms.api.Http(failing.httpPort());
            http.postJson("/orders", dev.oms.api.Http.order("z", "z1", "BRKN", "BUY", "1", 1));
            String url = "http://127.0.0.1:" + failing.httpPort();
            Result list = run(null, "dlq", "list", "--url", url, "--json");
            assertThat(list.exit()).as(list.err()).isZero();
            JsonNode entry = list.json().get(0);
            assertThat(entry.get("reason").asText()).isEqualTo("RETRIES_EXHAUSTED");
            Result show = run(null, "dlq", "show", entry.get("partition").asText(), entry.get("offset").asText(), "--url", url);
            assertThat(show.out()).contains("dlt.original.topic");
            Result redrive = run(null, "dlq", "redrive", "--all", "--url", url);
            assertThat(redrive.err()).contains("redriven 1 record(s)");
            assertThat(run(null, "dlq", "redrive", "--url", url).exit()).as("nothing selected").isEqualTo(2);
            Result missing = run(null, "dlq", "redrive", "--partition", entry.get("partition").asText(), "--offset", "999", "--url", url);
            assertThat(missing.exit()).as("a record that is not there").isEqualTo(1);
            assertThat(missing.err()).contains("no dead-letter record at partition " + entry.get("partition").asText() + ", offset 999");
        }
    }

    /**
     * The command as the launcher runs it, a process of its own: its standard error carries the
     * command's own messages, not the Kafka client's log of every setting of every client it makes.
     */
    @Test
    void aCommandPrintsItsAnswerWithoutTheKafkaClientsLog() throws Exception {
        Process cli = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Cli.class.getName(),
                "topic", "list", "--brokers", "127.0.0.1:" + oms.kafkaPort()).start();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(cli.getErrorStream()));
        String out = read(cli.getInputStream());
        assertThat(cli.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(cli.exitValue()).as(err.get()).isZero();
        assertThat(out).contains("TOPIC").contains("orders");
        assertThat(err.get().lines().toList()).as(err.get()).hasSizeLessThan(5);
    }

    private static String read(java.io.InputStream in) {
        try {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aTableCellKeepsToOneLine() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Table("partition", "error").row(3, "retries exhausted:\n  caused by: boom").print(new PrintStream(out, true,
                StandardCharsets.UTF_8), false);
        assertThat(out.toString(StandardCharsets.UTF_8).lines().toList())
                .containsExactly("PARTITION  ERROR", "3          retries exhausted: caused by: boom");
    }

    @Test
    void mistakesGetAClearMessageAndAnExitCode() {
        Result unknown = run(null, "topic", "frobnicate");
        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown command").contains("usage");
        Result missing = run(null, "topic", "describe", "no-such-topic");
        assertThat(missing.exit()).isEqualTo(1);
        assertThat(missing.err()).contains("no-such-topic");
    }
}
