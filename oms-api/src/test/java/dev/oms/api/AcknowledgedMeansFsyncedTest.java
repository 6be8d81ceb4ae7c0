package dev.oms.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.oms.streaming.kafka.KafkaWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.message.ProduceResponseData.PartitionProduceResponse;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Acknowledged means durable, seen where it happens: the kernel. strace follows every thread of a
 * running oms while a client sends acks=all produce requests one at a time on its own connection;
 * every answer on that connection must come after an fdatasync of the partition's segment that
 * began once the batch was written. (A kill -9 cannot show a missing fsync: the page cache
 * survives the process.) With the documented write-caching switch on, the same watch sees
 * answers before their fsync, so it can tell the two apart.
 */
class AcknowledgedMeansFsyncedTest {
    private static final int PRODUCES = 20;
    private static final String TOPIC = "fsynced";

    @TempDir
    Path dir;

    @Test
    void everyAcksAllProduceIsAnsweredOnlyAfterItsBatchIsFsynced() throws Exception {
        Trace trace = produceWatched(Map.of());
        assertThat(trace.answers).hasSizeGreaterThanOrEqualTo(PRODUCES);
        for (Call answer : trace.answers) {
            assertThat(trace.fsyncedBefore(answer)).as("answer at %.6f on the client's connection comes after an fsync of"
                    + " the batch written before it; trace:%n%s", answer.entry, trace.around(answer)).isTrue();
        }
    }

    @Test
    void withWriteCachingOnProducesAreAnsweredBeforeTheirFsync() throws Exception {
        Trace trace = produceWatched(Map.of("OMS_LOG_WRITE_CACHING", "true", "OMS_LOG_FLUSH_INTERVAL_MS", "60000"));
        assertThat(trace.answers).hasSizeGreaterThanOrEqualTo(PRODUCES);
        // Housekeeping may flush now and then (a task on the shard runs after a flush): most answers, not all.
        assertThat(trace.answers.stream().filter(answer -> !trace.fsyncedBefore(answer)).count())
                .as("answers sent before their batch's fsync").isGreaterThan(PRODUCES / 2);
    }

    /** Starts oms with {@code settings}, watches it with strace while the produces run, returns what it saw. */
    private Trace produceWatched(Map<String, String> settings) throws Exception {
        String strace = Tools.binary("strace", "apt-get install strace");
        Path traceFile = dir.resolve("strace.txt");
        try (OmsProcess oms = OmsProcess.start(dir.resolve("data"), settings)) {
            Properties props = new Properties();
            props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, oms.kafkaBootstrap());
            try (Admin admin = Admin.create(props)) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            // -f with -p: every thread of the JVM; -yy: each descriptor's file path or TCP ends;
            // -ttt -T: when each call began and how long it took.
            Process watch = new ProcessBuilder(strace, "-f", "-p", Long.toString(oms.pid()), "-yy", "-ttt", "-T",
                    "-s", "0", "-e", "trace=write,pwrite64,writev,pwritev,fdatasync,fsync,sendto,sendmsg",
                    "-o", traceFile.toString()).redirectErrorStream(true).redirectOutput(dir.resolve("strace.log").toFile())
                    .start();
            int localPort;
            try (KafkaWire wire = new KafkaWire("127.0.0.1", oms.kafkaPort())) {
                localPort = wire.localPort();
                awaitAttached(dir.resolve("strace.log"), watch);
                // One more than checked: the client can read an answer before strace has printed the
                // call that sent it, so the last one may be missing when strace is stopped.
                for (int i = 0; i <= PRODUCES; i++) {
                    PartitionProduceResponse answer = wire.produce(TOPIC, 0, MemoryRecords.withRecords(Compression.NONE,
                            new SimpleRecord(("payment-" + i).getBytes(StandardCharsets.UTF_8))));
                    assertThat(Errors.forCode(answer.errorCode())).isEqualTo(Errors.NONE);
                    assertThat(answer.baseOffset()).isEqualTo(i);
                }
            } finally {
                Thread.sleep(200);
                watch.destroy(); // strace detaches and writes out what it has
                assertThat(watch.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            return Trace.parse(Files.readAllLines(traceFile), oms.kafkaPort(), localPort);
        }
    }

    /** strace says on its stderr once it has attached to the process and its threads. */
    private static void awaitAttached(Path straceLog, Process watch) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!Files.exists(straceLog) || !Files.readString(straceLog).contains("attached")) {
            assertThat(watch.isAlive()).as("strace is running (ptrace allowed?)").isTrue();
            assertThat(System.nanoTime()).as("strace attached within 30 s").isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    /** A system call as strace saw it: when it began and ended (seconds), on which file or socket. */
    record Call(String name, String target, double entry, double exit, String line) {
    }

    /** The calls that matter: the segment's writes and syncs, and the answers on the client's connection. */
    record Trace(List<Call> writes, List<Call> syncs, List<Call> answers, List<Call> all) {
        private static final Pattern LINE = Pattern.compile(
                "^(\\d+)\\s+(\\d+\\.\\d+)\\s+(?:<\\.\\.\\. (\\w+) resumed>(.*)|(\\w+)\\((.*))$");
        private static final Pattern DURATION = Pattern.compile("<(\\d+\\.\\d+)>\\s*$");
        private static final Pattern TARGET = Pattern.compile("^\\d+<(.*?)>(?=, |\\)| <unfinished)");
        private static final Pattern SEGMENT = Pattern.compile("/" + TOPIC + "-0/\\d{20}\\.log$");

        static Trace parse(List<String> lines, int kafkaPort, int clientPort) {
            Map<String, String[]> unfinished = new HashMap<>(); // thread -> {name, args, entry}
            List<Call> calls = new ArrayList<>();
            for (String line : lines) {
                Matcher m = LINE.matcher(line);
                if (!m.matches()) {
                    continue;
                }
                String thread = m.group(1);
                double at = Double.parseDouble(m.group(2));
                String name;
                String args;
                double entry;
                String rest;
                if (m.group(3) != null) {
                    String[] begun = unfinished.remove(thread);
                    if (begun == null) {
                        continue; // began before strace attached
                    }
                    name = begun[0];
                    args = begun[1];
                    entry = Double.parseDouble(begun[2]);
                    rest = m.group(4);
                } else {
                    name = m.group(5);
                    args = m.group(6);
                    entry = at;
                    rest = args;
                    if (args.endsWith("<unfinished ...>")) {
                        unfinished.put(thread, new String[] {name, args, m.group(2)});
                        continue;
                    }
                }
                Matcher duration = DURATION.matcher(rest);
                Matcher target = TARGET.matcher(args);
                if (duration.find() && target.find()) {
                    calls.add(new Call(name, target.group(1), entry, entry + Double.parseDouble(duration.group(1)), line));
                }
            }
            String connection = ":" + kafkaPort + "->";
            String client = ":" + clientPort + "]";
            List<Call> writes = new ArrayList<>();
            List<Call> syncs = new ArrayList<>();
            List<Call> answers = new ArrayList<>();
            for (Call call : calls) {
                boolean segment = SEGMENT.matcher(call.target()).find();
                if (segment && call.name().matches("p?writev?(64)?")) {
                    writes.add(call);
                } else if (segment && call.name().matches("f(data)?sync")) {
                    syncs.add(call);
                } else if (call.target().contains(connection) && call.target().endsWith(client)) {
                    answers.add(call);
                }
            }
            return new Trace(writes, syncs, answers, calls);
        }

        /** True when the last segment write before {@code answer} was covered by an fsync begun after it and done before the answer. */
        boolean fsyncedBefore(Call answer) {
            Call last = null;
            for (Call write : writes) {
                if (write.entry() < answer.entry()) {
                    last = write;
                }
            }
            if (last == null) {
                return false;
            }
            double written = last.exit();
            return syncs.stream().anyMatch(sync -> sync.entry() >= written && sync.exit() <= answer.entry());
        }

        /** The trace's lines from a little before {@code answer} to it, for a failure's message. */
        String around(Call answer) {
            StringBuilder text = new StringBuilder();
            for (Call call : all) {
                if (call.entry() >= answer.entry() - 0.05 && call.entry() <= answer.entry()) {
                    text.append(call.line()).append('\n');
                }
            }
            return text.toString();
        }
    }
}
