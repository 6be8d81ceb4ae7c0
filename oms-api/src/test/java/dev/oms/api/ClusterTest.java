package dev.oms.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import dev.oms.streaming.kafka.KafkaWire;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.compress.Compression;
import org.apache.kafka.common.protocol.Errors;
import org.apache.kafka.common.record.internal.MemoryRecords;
import org.apache.kafka.common.record.internal.SimpleRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three oms processes as a cluster on loopback ports: every partition replicated by Raft on all
 * three, acks=all answered once a majority has the records on disk.
 */
class ClusterTest {
    private static final String TOPIC = "payments";
    private static final int NODES = 3;
    /** cluster.replica-lag-time-max-ms of the nodes here: a follower out of step this long leaves the ISR. */
    private static final long LAG_TIME_MS = 2_000;

    @TempDir
    Path dir;

    private final OmsProcess[] nodes = new OmsProcess[NODES];
    private final int[] raftPorts = new int[NODES];
    /** Where each node listens, and the command that launches it (a network namespace for some). */
    private final String[] hosts = {"127.0.0.1", "127.0.0.1", "127.0.0.1"};
    private final List<List<String>> launchers = new ArrayList<>(List.of(List.of(), List.of(), List.of()));
    private String peers;
    /** Partitions of the topics each node creates at start (orders and its outputs). */
    private int partitions = 1;
    /** More settings (environment variables) for every node a test starts. */
    private final Map<String, String> nodeSettings = new java.util.HashMap<>();

    /**
     * On a failure, each node's first distinct errors (with their stack traces) and the end of its log go to
     * the test's output (the logs are in the temp dir): a cause is often logged once, then buried by its effects.
     */
    @org.junit.jupiter.api.extension.RegisterExtension
    final org.junit.jupiter.api.extension.AfterTestExecutionCallback nodeLogsOnFailure = context -> {
        if (context.getExecutionException().isPresent()) {
            for (int i = 0; i < NODES; i++) {
                if (nodes[i] != null) {
                    List<String> lines = nodes[i].log().lines().toList();
                    System.out.printf("---- node %d, first distinct errors ----%n%s%n", i + 1, firstErrors(lines));
                    System.out.printf("---- node %d, last lines of its log ----%n%s%n", i + 1,
                            String.join("\n", lines.subList(Math.max(0, lines.size() - 300), lines.size())));
                }
            }
        }
    };

    private static String firstErrors(List<String> lines) {
        java.util.Set<String> seen = new java.util.HashSet<>();
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < lines.size() && seen.size() < 40; i++) {
            String line = lines.get(i);
            int level = Math.max(line.indexOf("SEVERE"), line.indexOf("ERROR"));
            if (level < 0) {
                continue;
            }
            String message = line.substring(level).replaceAll("[0-9]+", "#");
            if (!seen.add(message.substring(0, Math.min(160, message.length())))) {
                continue;
            }
            out.append(line).append('\n');
            // its stack trace: the exception lines and the indented frames that follow
            for (int j = i + 1; j < Math.min(lines.size(), i + 40)
                    && lines.get(j).matches("\\s+\\S.*|(Caused by: )?[\\w$.]+(Exception|Error)\\b.*"); j++) {
                out.append(lines.get(j)).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * A replica that restarted its division (ReplicatedLog#restartStalledFollowers) passes the
     * test but is worth a look: the logs of the nodes where one did are kept under target/.
     */
    @AfterEach
    void keepLogsOfRestartedReplicas(org.junit.jupiter.api.TestInfo test) throws java.io.IOException {
        List<Path> logs;
        try (var files = java.nio.file.Files.list(dir)) {
            logs = files.filter(f -> f.getFileName().toString().endsWith(".log")).toList();
        }
        Path kept = Path.of("target", "cluster-logs", test.getTestMethod().map(m -> m.getName()).orElse("test") + "-"
                + System.currentTimeMillis());
        for (Path log : logs) {
            String said = new String(java.nio.file.Files.readAllBytes(log), java.nio.charset.StandardCharsets.UTF_8);
            if (said.contains("its division restarts")) {
                java.nio.file.Files.createDirectories(kept);
                java.nio.file.Files.copy(log, kept.resolve(log.getFileName()));
                System.out.println("a replica's division restarted; its node's log: " + kept.resolve(log.getFileName()).toAbsolutePath());
            }
        }
    }

    @AfterEach
    void stopNodes() throws InterruptedException {
        for (int i = 0; i < NODES; i++) {
            if (nodes[i] != null) {
                nodes[i].close();
                nodes[i] = null;
            }
        }
    }

    @Test
    void killingThePartitionLeaderLosesNoAcknowledgedRecordAndTheConsumerSeesEachOnceInOrder() throws Exception {
        startCluster();
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        awaitPreferredLeader(); // settled: the first leader elected may hand over to node 1 at once
        int leader = leaderOf(new TopicPartition(TOPIC, 0));
        // A produce sent to a follower (a client with stale metadata) is refused so that it looks again.
        try (KafkaWire follower = new KafkaWire("127.0.0.1", nodes[leader % NODES].kafkaPort())) {
            var refused = follower.produce(TOPIC, 0, MemoryRecords.withRecords(Compression.NONE, new SimpleRecord(
                    "misdirected".getBytes(java.nio.charset.StandardCharsets.UTF_8))));
            assertThat(Errors.forCode(refused.errorCode())).isEqualTo(Errors.NOT_LEADER_OR_FOLLOWER);
        }

        // A consumer reads all along, through the kill.
        CompletableFuture<List<ConsumerRecord<String, String>>> consumed = CompletableFuture.supplyAsync(() -> readAll(6_000));
        Map<Long, String> acknowledged = new ConcurrentSkipListMap<>(); // offset -> value
        long failoverMs = -1;
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < 6_000; i++) {
                String value = "payment-" + i;
                var sent = producer.send(new ProducerRecord<>(TOPIC, value), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.put(metadata.offset(), value);
                    }
                });
                if (i == 2_000) {
                    nodes[leader - 1].kill9(); // the leader dies with batches on their way
                    long killedAt = System.nanoTime();
                    sent.get(2, TimeUnit.MINUTES);
                    failoverMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                }
            }
            producer.flush();
        }
        assertThat(acknowledged).hasSize(6_000);
        System.out.printf("leader %d killed: the first record sent before its death was acknowledged %d ms after%n",
                leader, failoverMs);
        assertThat(leaderOf(new TopicPartition(TOPIC, 0))).isNotEqualTo(leader);
        // The dead node leaves the partition's in-sync replicas on every node.
        awaitInSyncReplicas(new TopicPartition(TOPIC, 0), allNodesBut(leader));

        List<ConsumerRecord<String, String>> during = consumed.get(2, TimeUnit.MINUTES);
        List<ConsumerRecord<String, String>> read = readAll(acknowledged.size());
        for (List<ConsumerRecord<String, String>> seen : List.of(during, read)) {
            assertThat(seen).extracting(ConsumerRecord::offset).containsExactlyElementsOf(acknowledged.keySet());
            assertThat(seen).extracting(ConsumerRecord::value).containsExactlyElementsOf(acknowledged.values());
            // In the order sent: one producer, idempotent, one partition.
            assertThat(seen).extracting(r -> Integer.parseInt(r.value().substring("payment-".length()))).isSorted();
        }

        // The killed node comes back and catches up: the leader sees every follower at its end; and
        // being partition 0's preferred leader, it is handed the leadership back.
        nodes[leader - 1] = startNode(leader).join();
        awaitFollowersCaughtUp();
        if (leader == 1) {
            awaitPreferredLeader();
        }
        // Back in the in-sync replicas, and there once the lag time has passed (after any
        // handback, a new leader's look at its followers counts, not the grace it starts with).
        // Awaited again rather than read once: a stall of a JVM on this shared machine can take a
        // follower out for a moment; one left out for good still fails.
        TopicPartition partition = new TopicPartition(TOPIC, 0);
        awaitInSyncReplicas(partition, List.of(1, 2, 3));
        Thread.sleep(2 * LAG_TIME_MS);
        awaitInSyncReplicas(partition, List.of(1, 2, 3));
        // What an operator sees: the nodes (with their builds' feature levels), then each
        // partition's leader, replicas and follower lag.
        String info = cli("cluster", "info", "--brokers", bootstrap(), "--url", nodes[1].httpUrl());
        assertThat(info).contains("CONTROLLER", "FEATURE_LEVEL").containsPattern("(?m)^payments\\s+0\\s+"
                + leaderOf(new TopicPartition(TOPIC, 0)) + "\\s+1,2,3\\s+1,2,3\\s+0,0\\s*$");
        int level = dev.oms.streaming.cluster.ReplicatedLog.FEATURE_LEVEL;
        assertThat(java.util.regex.Pattern.compile("(?m)^\\S+\\s+[123]\\s+\\S+\\s+\\d+\\s+(true|false)\\s+" + level + "\\s*$")
                .matcher(info).results().count()).as("every node at this build's feature level, %d:%n%s", level, info).isEqualTo(3);
        // And in Prometheus, on each node: who leads, the ISR, and where a write's time went.
        int leading = leaderOf(partition);
        assertThat(produce(bootstrap(), 0, "observed-", 100)).hasSize(100);
        String labels = "{partition=\"0\",topic=\"" + TOPIC + "\"}";
        for (int id = 1; id <= NODES; id++) {
            String metrics = metrics(nodes[id - 1]);
            assertThat(metrics).as("node %d", id).contains("oms_raft_partition_leader" + labels + " " + leading + ".0",
                    "oms_raft_replicas" + labels + " 3.0", "oms_raft_in_sync_replicas" + labels + " 3.0");
            assertThat(count(metrics, "oms_raft_log_flush_seconds_count" + labels)).as("node %d", id).isPositive();
            // Each node shows the timers of its role: the write where it leads, the append where it follows.
            if (id == leading) {
                assertThat(count(metrics, "oms_raft_write_seconds_count" + labels)).isPositive();
                assertThat(metrics).containsPattern("oms_raft_follower_lag_max_entries\\Q" + labels + "\\E \\d+\\.0")
                        .doesNotContain("oms_raft_follower_append_seconds_count" + labels);
            } else {
                assertThat(count(metrics, "oms_raft_follower_append_seconds_count" + labels)).as("node %d", id).isPositive();
                assertThat(metrics).as("node %d", id).doesNotContain("oms_raft_follower_lag_max_entries" + labels,
                        "oms_raft_write_seconds_count" + labels);
            }
        }

        // The cluster dashboard's every query has data in a real Prometheus scraping the three nodes.
        List<String> targets = new ArrayList<>();
        for (OmsProcess node : nodes) {
            targets.add(node.httpUrl().substring("http://".length()));
        }
        try (RealPrometheus prometheus = RealPrometheus.scraping(dir.resolve("prometheus"), targets)) {
            List<String> queries = RealPrometheus.dashboardQueries(true);
            assertThat(queries).isNotEmpty();
            prometheus.awaitData(queries);
        }

        // A follower dies while nothing is written: what it last reported still reaches the end of
        // the log, but it no longer answers, and it leaves the ISR.
        int follower = leaderOf(partition) % NODES + 1;
        Map<Integer, Long> warned = new java.util.HashMap<>();
        for (int node : allNodesBut(follower)) {
            warned.put(node, raftWarnings(nodes[node - 1]));
        }
        nodes[follower - 1].kill9();
        awaitInSyncReplicas(partition, allNodesBut(follower));
        assertThat(metrics(nodes[leaderOf(partition) - 1])).contains("oms_raft_replicas" + labels + " 3.0",
                "oms_raft_in_sync_replicas" + labels + " 2.0");
        // The others' Raft appenders retry it in every group, each retry a warning: one of a kind
        // a minute reaches their logs (a hundred lines and more in these seconds without).
        Thread.sleep(15_000);
        for (int node : allNodesBut(follower)) {
            assertThat(raftWarnings(nodes[node - 1]) - warned.get(node)).as("node %d's Ratis warnings%n%s", node,
                    nodes[node - 1].log()).isLessThan(30);
        }
    }

    private static String metrics(OmsProcess node) throws Exception {
        try (HttpClient http = HttpClient.newHttpClient()) {
            return get(http, node, "/metrics");
        }
    }

    /** The value of a sample in Prometheus' text format, e.g. a summary's count; fails when it is absent. */
    private static long count(String metrics, String sample) {
        var m = java.util.regex.Pattern.compile("(?m)^\\Q" + sample + "\\E (\\d+)").matcher(metrics);
        assertThat(m.find()).as("%s in%n%s", sample, metrics).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static long raftWarnings(OmsProcess node) throws java.io.IOException {
        return node.log().lines().filter(line -> line.contains(" WARNING org.apache.ratis.")).count();
    }

    /** Runs {@code ./oms} with a command of its command line (the Cli class, as the launcher does). */
    private static String cli(String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), dev.oms.api.cli.Cli.class.getName()));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();
        return output;
    }

    /**
     * Waits until every live node names {@code expected} as the in-sync replicas of {@code tp}: in
     * its Metadata (a Kafka client asks any node) and, asked directly, on its {@code /cluster}.
     */
    private void awaitInSyncReplicas(TopicPartition tp, List<Integer> expected) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Map<String, List<Integer>> seen = inSyncReplicas(tp);
        while (!seen.values().stream().allMatch(expected::equals) && System.currentTimeMillis() < deadline) {
            Thread.sleep(250);
            seen = inSyncReplicas(tp);
        }
        assertThat(seen).as("the in-sync replicas of " + tp + " by node").allSatisfy((node, isr) -> assertThat(isr)
                .isEqualTo(expected));
    }

    private static List<Integer> allNodesBut(int node) {
        return java.util.stream.IntStream.rangeClosed(1, NODES).filter(n -> n != node).boxed().toList();
    }

    /** What {@code node} answers on {@code GET /cluster}. */
    private static String clusterInfo(HttpClient http, OmsProcess node) throws Exception {
        return get(http, node, "/cluster");
    }

    /** The body of a GET of {@code path} on a node's HTTP port. */
    private static String get(HttpClient http, OmsProcess node, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(node.httpUrl() + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    /** The in-sync replicas of {@code tp}: in Metadata, and as each live node's {@code /cluster} has them. */
    private Map<String, List<Integer>> inSyncReplicas(TopicPartition tp) throws Exception {
        Map<String, List<Integer>> seen = new java.util.TreeMap<>();
        try (Admin admin = admin()) {
            seen.put("metadata", admin.describeTopics(List.of(tp.topic())).allTopicNames().get(30, TimeUnit.SECONDS)
                    .get(tp.topic()).partitions().get(tp.partition()).isr().stream().map(org.apache.kafka.common.Node::id).toList());
        }
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (OmsProcess node : nodes) {
                if (node == null || !node.isAlive()) {
                    continue;
                }
                var cluster = json.readTree(clusterInfo(http, node));
                for (var partition : cluster.path("partitions")) {
                    if (partition.path("topic").asText().equals(tp.topic()) && partition.path("partition").asInt() == tp.partition()) {
                        List<Integer> isr = new ArrayList<>();
                        partition.path("isr").forEach(id -> isr.add(id.asInt()));
                        seen.put(node.httpUrl(), isr);
                    }
                }
            }
        }
        return seen;
    }

    /** Partition 0 prefers node 1: Ratis hands it leadership whenever another node holds it and node 1 is caught up. */
    private void awaitPreferredLeader() throws Exception {
        awaitLeader(new TopicPartition(TOPIC, 0), 1);
    }

    /** Partition p prefers node p mod 3 + 1. */
    private void awaitLeader(TopicPartition tp, int node) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (leaderOf(tp) != node && System.currentTimeMillis() < deadline) {
            Thread.sleep(200);
        }
        assertThat(leaderOf(tp)).as("the leader " + tp + " prefers").isEqualTo(node);
    }

    @Test
    void aFollowerThatMissedEntriesIsSentThemFromTheLeadersSegmentsAndServesThemOnceItLeads() throws Exception {
        startCluster();
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        // Leaders are spread: partition p prefers node p mod 3 + 1, so each node leads one.
        for (int p = 0; p < 3; p++) {
            awaitLeader(new TopicPartition(TOPIC, p), p % NODES + 1);
        }
        TopicPartition third = new TopicPartition(TOPIC, 2); // prefers node 3
        nodes[2].kill9();
        Map<Long, String> acknowledged = produce(bootstrap(), 2, "missed-", 3_000);
        assertThat(acknowledged).hasSize(3_000);
        // Restarted, nodes 1 and 2 hold those entries only on disk: Raft's log keeps headers, the
        // records are in the segments, so node 3 can only be sent them as read back from there.
        nodes[0].kill9();
        nodes[1].kill9();
        CompletableFuture<OmsProcess> first = startNode(1);
        CompletableFuture<OmsProcess> second = startNode(2);
        nodes[0] = first.get(3, TimeUnit.MINUTES);
        nodes[1] = second.get(3, TimeUnit.MINUTES);
        nodes[2] = startNode(3).get(3, TimeUnit.MINUTES);
        awaitLeader(third, 3); // caught up, node 3 gets its partition back and serves it from its own segments
        List<ConsumerRecord<String, String>> read = readAll(third, acknowledged.size());
        assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(acknowledged.keySet());
        assertThat(read).extracting(ConsumerRecord::value).containsExactlyElementsOf(acknowledged.values());
        // Written once: on every node the records are in the partition's segments and nowhere in Raft's log.
        byte[] record = "missed-2999".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        for (int id = 1; id <= NODES; id++) {
            Path data = dir.resolve("node-" + id);
            assertThat(filesHolding(data.resolve("log").resolve(third.toString()), record)).as("node %d's segments", id)
                    .anyMatch(file -> file.getFileName().toString().endsWith(".log"));
            assertThat(filesHolding(data.resolve("raft"), record)).as("node %d's Raft log", id).isEmpty();
        }
    }

    /** The files under {@code dir} whose bytes contain {@code bytes}. */
    private static List<Path> filesHolding(Path dir, byte[] bytes) throws java.io.IOException {
        List<Path> holding = new ArrayList<>();
        try (var files = java.nio.file.Files.walk(dir)) {
            for (Path file : files.filter(java.nio.file.Files::isRegularFile).toList()) {
                byte[] content = java.nio.file.Files.readAllBytes(file);
                if (indexOf(content, bytes) >= 0) {
                    holding.add(file);
                }
            }
        }
        return holding;
    }

    private static int indexOf(byte[] content, byte[] bytes) {
        outer:
        for (int i = 0; i + bytes.length <= content.length; i++) {
            for (int j = 0; j < bytes.length; j++) {
                if (content[i + j] != bytes[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    @Test
    void aWholeClusterKilledAndRestartedKeepsEveryAcknowledgedRecordAndCommittedOffset() throws Exception {
        startCluster();
        Map<Long, String> acknowledged = produce(bootstrap(), 0, "order-", 3_000);
        assertThat(acknowledged).hasSize(3_000);
        try (KafkaConsumer<String, String> audit = groupConsumer("audit")) {
            // The group's coordinator is the leader of its offsets partition, wherever that is.
            audit.commitSync(Map.of(new TopicPartition(TOPIC, 0), new org.apache.kafka.clients.consumer.OffsetAndMetadata(1_000)));
        }
        for (OmsProcess node : nodes) {
            node.kill9();
        }
        startCluster();
        List<ConsumerRecord<String, String>> read = readAll(acknowledged.size());
        assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(acknowledged.keySet());
        assertThat(read).extracting(ConsumerRecord::value).containsExactlyElementsOf(acknowledged.values());
        try (KafkaConsumer<String, String> audit = groupConsumer("audit")) {
            assertThat(audit.committed(java.util.Set.of(new TopicPartition(TOPIC, 0)), Duration.ofSeconds(30)))
                    .extractingByKey(new TopicPartition(TOPIC, 0)).extracting(c -> c.offset()).isEqualTo(1_000L);
        }
    }

    @Test
    void aTopicGrownAndDeletedThroughTheClusterIsSoOnEveryNodeAndANodeThatWasDownCatchesUpOnBoth() throws Exception {
        startCluster();
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        assertThat(produce(bootstrap(), 1, "old-", 100)).hasSize(100);
        // DeleteRecords: every replica hides the same records, so the next leader starts where this one did.
        TopicPartition second = new TopicPartition(TOPIC, 1);
        try (Admin admin = admin()) {
            assertThat(admin.deleteRecords(Map.of(second, org.apache.kafka.clients.admin.RecordsToDelete.beforeOffset(40)))
                    .lowWatermarks().get(second).get(60, TimeUnit.SECONDS).lowWatermark()).isEqualTo(40);
        }
        int hadIt = leaderOf(second);
        nodes[hadIt - 1].kill9();
        assertThat(readAll(second, 60)).extracting(ConsumerRecord::offset).first().isEqualTo(40L);
        nodes[hadIt - 1] = startNode(hadIt).get(3, TimeUnit.MINUTES);
        for (int node = 1; node <= NODES; node++) {
            Path start = dir.resolve("node-" + node).resolve("log").resolve(TOPIC + "-1").resolve("log-start-offset");
            org.awaitility.Awaitility.await("node " + node + " starts the partition at 40").atMost(Duration.ofSeconds(30))
                    .until(() -> java.nio.file.Files.exists(start) && java.nio.file.Files.readString(start).trim().equals("40"));
        }
        org.apache.kafka.common.Uuid id;
        try (Admin admin = admin()) {
            id = admin.describeTopics(List.of(TOPIC)).allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC).topicId();
        }
        nodes[2].kill9(); // misses both changes, and learns them from the controller's log when it returns

        try (Admin admin = admin()) {
            admin.createPartitions(Map.of(TOPIC, org.apache.kafka.clients.admin.NewPartitions.increaseTo(4)))
                    .all().get(60, TimeUnit.SECONDS);
            // Metadata may come from a node that applies the change a moment later.
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> admin.describeTopics(List.of(TOPIC))
                    .allTopicNames().get(30, TimeUnit.SECONDS).get(TOPIC).partitions().size() == 4);
            assertThatThrownBy(() -> admin.createPartitions(Map.of(TOPIC, org.apache.kafka.clients.admin.NewPartitions.increaseTo(3)))
                    .all().get(60, TimeUnit.SECONDS)).hasCauseInstanceOf(org.apache.kafka.common.errors.InvalidPartitionsException.class);
        }
        Map<Long, String> onANewPartition = produce(bootstrap(), 3, "grown-", 100);
        assertThat(readAll(new TopicPartition(TOPIC, 3), 100)).extracting(ConsumerRecord::value)
                .containsExactlyElementsOf(onANewPartition.values());
        for (int node = 1; node <= 2; node++) {
            int n = node;
            org.awaitility.Awaitility.await("node " + n + " opens the new partitions").atMost(Duration.ofSeconds(30))
                    .until(() -> replicaDirectories(n, id).size() == 2 * 4);
        }

        try (Admin admin = admin()) {
            admin.deleteTopics(List.of(TOPIC)).all().get(60, TimeUnit.SECONDS);
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(30))
                    .until(() -> !admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(TOPIC));
            assertThatThrownBy(() -> admin.deleteTopics(List.of(TOPIC)).all().get(60, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.UnknownTopicOrPartitionException.class);
        }
        for (int node = 1; node <= 2; node++) {
            int n = node;
            org.awaitility.Awaitility.await("node " + n + " removes its copy").atMost(Duration.ofSeconds(30))
                    .until(() -> replicaDirectories(n, id).isEmpty());
        }
        assertThat(replicaDirectories(3, id)).as("node 3 while down").hasSize(2 * 2);
        nodes[2] = startNode(3).get(3, TimeUnit.MINUTES);
        org.awaitility.Awaitility.await("node 3 removes its copy once back").atMost(Duration.ofSeconds(60))
                .until(() -> replicaDirectories(3, id).isEmpty());

        // The name is free again: a new topic, nothing of the old one in it.
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        Map<Long, String> anew = produce(bootstrap(), 0, "new-", 10);
        assertThat(anew.keySet()).containsExactly(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L);
        assertThat(readAll(new TopicPartition(TOPIC, 0), 10)).extracting(ConsumerRecord::value)
                .containsExactlyElementsOf(anew.values());

        // A restart replays the controller's log, the old topic's creation with it: the new topic keeps its one partition.
        nodes[2].kill9();
        nodes[2] = startNode(3).get(3, TimeUnit.MINUTES);
        org.awaitility.Awaitility.await("every node serves the new topic's one partition").atMost(Duration.ofSeconds(60))
                .ignoreExceptions().until(() -> partitionsOnEachNode(TOPIC).equals(Map.of(1, List.of(0), 2, List.of(0), 3, List.of(0))));
        assertThat(replicaDirectories(3, id)).isEmpty();
        assertThat(readAll(new TopicPartition(TOPIC, 0), 10)).extracting(ConsumerRecord::value)
                .containsExactlyElementsOf(anew.values());
    }

    /** The partitions of {@code topic} each node's {@code /cluster} lists, by node id. */
    private Map<Integer, List<Integer>> partitionsOnEachNode(String topic) throws Exception {
        Map<Integer, List<Integer>> seen = new java.util.TreeMap<>();
        var json = new com.fasterxml.jackson.databind.ObjectMapper();
        try (HttpClient http = HttpClient.newHttpClient()) {
            for (int i = 0; i < NODES; i++) {
                List<Integer> listed = new ArrayList<>();
                for (var partition : json.readTree(clusterInfo(http, nodes[i])).path("partitions")) {
                    if (partition.path("topic").asText().equals(topic)) {
                        listed.add(partition.path("partition").asInt());
                    }
                }
                seen.put(i + 1, listed);
            }
        }
        return seen;
    }

    /**
     * A node's directories of the topic with this id: each partition's under {@code log} (named by
     * the topic, holding its id) and its Raft group's under {@code raft} (named by the id).
     */
    private List<Path> replicaDirectories(int node, org.apache.kafka.common.Uuid id) throws java.io.IOException {
        List<Path> found = new ArrayList<>();
        Path data = dir.resolve("node-" + node);
        try (var partitionDirs = java.nio.file.Files.list(data.resolve("log"))) {
            for (Path p : partitionDirs.filter(d -> d.getFileName().toString().startsWith(TOPIC + "-")).toList()) {
                Path metadata = p.resolve("partition.metadata");
                if (!java.nio.file.Files.exists(metadata) || java.nio.file.Files.readString(metadata).contains(id.toString())) {
                    found.add(p);
                }
            }
        }
        for (int partition = 0; partition < 8; partition++) {
            String group = java.util.UUID.nameUUIDFromBytes((id + "/" + partition).getBytes(java.nio.charset.StandardCharsets.UTF_8))
                    .toString();
            if (java.nio.file.Files.exists(data.resolve("raft").resolve(group))) {
                found.add(data.resolve("raft").resolve(group));
            }
        }
        return found;
    }

    private KafkaConsumer<String, String> groupConsumer(String group) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        return new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer());
    }

    @Test
    void aLeaderCutOffFromBothFollowersAcknowledgesNothingAndTheClusterResumesWhenTheyReturn() throws Exception {
        startCluster();
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 1, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        int leader = leaderOf(new TopicPartition(TOPIC, 0));
        List<OmsProcess> followers = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            if (id != leader) {
                followers.add(nodes[id - 1]);
            }
        }
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, nodes[leader - 1].kafkaBootstrap());
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 10_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(TOPIC, "before")).get(30, TimeUnit.SECONDS);
            followers.forEach(OmsProcess::pause); // the leader is now a minority of one
            var alone = producer.send(new ProducerRecord<>(TOPIC, "alone"));
            assertThatThrownBy(() -> alone.get(30, TimeUnit.SECONDS)).as("a minority acknowledged a write")
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.TimeoutException.class);
        } finally {
            followers.forEach(OmsProcess::resume);
        }
        // Back together: a write is acknowledged again, and read back with the one before the cut.
        Map<Long, String> acknowledged = new ConcurrentSkipListMap<>();
        try (KafkaProducer<String, String> producer = producer()) {
            var after = producer.send(new ProducerRecord<>(TOPIC, "after")).get(60, TimeUnit.SECONDS);
            acknowledged.put(after.offset(), "after");
        }
        List<ConsumerRecord<String, String>> read = readAll((int) (acknowledged.keySet().iterator().next() + 1));
        assertThat(read).extracting(ConsumerRecord::value).contains("before", "after");
        assertThat(read).extracting(ConsumerRecord::value).filteredOn("before"::equals).hasSize(1);
    }

    /**
     * A real network partition (a namespace and a veth pair) with the partition's leader on the
     * minority side: it acknowledges nothing there, the majority elects a leader and goes on, and
     * back, the old leader's unacknowledged write is gone and it catches up as a follower.
     */
    @Test
    void aLeaderCutOffByTheNetworkAcknowledgesNothingOnItsSideAndCatchesUpAsAFollowerOnceBack() throws Exception {
        try (NetworkNamespace network = NetworkNamespace.create()) {
            // Nodes 1 and 2 on this side of a veth pair, node 3 in a namespace on the other.
            hosts[0] = network.hostAddress();
            hosts[1] = network.hostAddress();
            hosts[2] = network.innerAddress();
            launchers.set(2, network.launcher());
            startCluster();
            try (Admin admin = admin()) {
                admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) NODES))).all().get(60, TimeUnit.SECONDS);
            }
            TopicPartition third = new TopicPartition(TOPIC, 2);
            awaitLeader(third, 3); // its preferred leader, about to be cut off
            Map<Long, String> acknowledged = new ConcurrentSkipListMap<>(produce(bootstrap(), 2, "before-", 100));

            network.cut();
            // The minority side: a client there, talking to node 3 (the leader it knew), gets no acknowledgement.
            NetworkNamespace.Result minority = network.exec("minority\n", 60, Tools.binary("kcat", "apt-get install kcat"),
                    "-b", nodes[2].kafkaBootstrap(), "-P", "-t", TOPIC, "-p", "2", "-X", "acks=all",
                    "-X", "message.timeout.ms=10000");
            assertThat(minority.exitCode()).as("kcat on the minority side: " + minority.output()).isNotZero();
            Map<Long, String> majority = produce(nodes[0].kafkaBootstrap() + "," + nodes[1].kafkaBootstrap(), 2,
                    "while-cut-", 2_000);
            assertThat(majority).as("the majority side elects a leader and goes on").hasSize(2_000);
            assertThat(leaderOf(third)).isNotEqualTo(3);
            acknowledged.putAll(majority);

            network.restore();
            awaitFollowersCaughtUp();
            List<ConsumerRecord<String, String>> read = readAll(third, acknowledged.size());
            assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(acknowledged.keySet());
            assertThat(read).extracting(ConsumerRecord::value).containsExactlyElementsOf(acknowledged.values())
                    .doesNotContain("minority");

            // A node listening on one address (not loopback) reads its own dead letters there.
            HttpResponse<String> deadLetters = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create(nodes[0].httpUrl() + "/dlq")).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(deadLetters.statusCode()).as(deadLetters.body()).isEqualTo(200);
        } finally {
            stopNodes(); // before the namespace they run in goes
        }
    }

    @Test
    void ordersPlacedOverHttpDuringANodeKillAreAllThereAfterwardsWithTheStateOfAFullReplay() throws Exception {
        partitions = 3;
        startCluster();
        awaitEngineServesEveryPartition(1);
        int killed = leaderOf(new TopicPartition("orders", 0));
        // Clients spread over all nodes; each retries a failed placement, with the same clientOrderId, on the next node.
        Map<String, String> acknowledged = new java.util.concurrent.ConcurrentHashMap<>(); // order id -> clientOrderId
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(6);
        List<java.util.concurrent.Future<Integer>> placed = new ArrayList<>();
        for (int c = 0; c < 6; c++) {
            int client = c;
            placed.add(clients.submit(() -> {
                int count = 0;
                for (int i = 0; !stop.get(); i++) {
                    String clientOrderId = "c" + client + "-" + i;
                    String body = Http.order("acct-" + client, clientOrderId, "SYM" + (i % 6), (i + client) % 2 == 0 ? "BUY" : "SELL",
                            Integer.toString(99 + (i * 7 + client) % 4), 1 + i % 9);
                    for (int attempt = 0; attempt < 60; attempt++) {
                        OmsProcess node = nodes[(client + attempt) % NODES];
                        try {
                            HttpResponse<String> answer = new Http(node.httpPort()).postJson("/orders", body);
                            if (answer.statusCode() < 300) {
                                acknowledged.put(Http.json(answer).get("id").asText(), clientOrderId);
                                count++;
                                break;
                            }
                            if (answer.statusCode() == 422) {
                                break; // a business rejection: a verdict, not a failure
                            }
                            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(503);
                        } catch (java.io.IOException e) {
                            // that node is down: the next one
                        }
                        Thread.sleep(200);
                    }
                }
                return count;
            }));
        }
        while (acknowledged.size() < 200) {
            Thread.sleep(10);
        }
        nodes[killed - 1].kill9();
        int before = acknowledged.size();
        long killedAt = System.currentTimeMillis();
        while (acknowledged.size() < before + 400 && System.currentTimeMillis() - killedAt < 120_000) {
            Thread.sleep(10);
        }
        stop.set(true);
        for (var client : placed) {
            client.get(2, TimeUnit.MINUTES);
        }
        clients.shutdown();
        assertThat(acknowledged.size()).as("orders acknowledged after the kill").isGreaterThanOrEqualTo(before + 400);

        // Every acknowledged order, read through any surviving node, is there.
        OmsProcess survivor = nodes[killed % NODES];
        Http http = new Http(survivor.httpPort());
        for (Map.Entry<String, String> order : acknowledged.entrySet()) {
            HttpResponse<String> read = retriedWhile503(() -> http.get("/orders/" + order.getKey()));
            assertThat(read.statusCode()).as("acknowledged order %s", order.getKey()).isEqualTo(200);
            assertThat(Http.json(read).get("clientOrderId").asText()).isEqualTo(order.getValue());
        }

        // The killed node comes back, takes its partition back and resumes it from its own state.
        nodes[killed - 1] = startNode(killed).get(3, TimeUnit.MINUTES);
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> leaderOf(new TopicPartition("orders", 0)) == killed);
        awaitEngineServesEveryPartition(killed);
        everyRouteWorksThroughANodeThatDoesNotLeadThePartition();
        String afterFailover = snapshot(nodes[killed - 1], 6);
        assertThat(afterFailover).contains("FILLED");
        for (OmsProcess node : nodes) {
            assertThat(snapshot(node, 6)).as("the same answer from every node").isEqualTo(afterFailover);
        }

        // A full replay: every node's engine state deleted, the cluster restarted, the state rebuilt from the log.
        stopNodes();
        for (int id = 1; id <= NODES; id++) {
            deleteRecursively(dir.resolve("node-" + id).resolve("state"));
        }
        startCluster();
        awaitEngineServesEveryPartition(1);
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> leaderOf(new TopicPartition("orders", 0)) == killed);
        assertThat(snapshot(nodes[0], 6)).as("state rebuilt from the replicated log alone").isEqualTo(afterFailover);
    }

    /**
     * A node whose disk is replaced (killed, its data directory emptied, started again with its
     * id: refused at first, since it lost the votes and entries the others count on, then started
     * with cluster.replace-lost-storage) once the others purged their Raft logs past everything it had copies the records it
     * lacks from the leaders, at the same offsets, and leads its preferred partitions again: their
     * records are the ones acknowledged, and its engine, rebuilt from the copied log, answers as
     * the others do.
     */
    @Test
    void aNodeWhoseDiskWasReplacedCopiesItsPartitionsFromTheLeadersAndLeadsThemAgain() throws Exception {
        partitions = 3;
        // Raft snapshots every 64 entries and keeps 64 behind them, in 16 KB files: the others purge
        // past the replaced node within a few hundred entries (10,000 by default).
        nodeSettings.put("JDK_JAVA_OPTIONS", "-Draft.server.snapshot.auto.trigger.threshold=64"
                + " -Draft.server.log.purge.preservation.log.num=64 -Draft.server.log.segment.size.max=16KB"
                + " -Draft.server.log.purge.gap=1");
        startCluster();
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, 3, (short) NODES))).all().get(60, TimeUnit.SECONDS);
        }
        TopicPartition third = new TopicPartition(TOPIC, 2); // prefers node 3
        awaitLeader(third, 3);
        awaitEngineServesEveryPartition(1);
        placeOrders("before-", 60);
        Map<Long, String> acknowledged = new java.util.TreeMap<>(produceOneByOne(2, "kept-", 100));

        nodes[2].kill9();
        deleteRecursively(dir.resolve("node-3"));
        acknowledged.putAll(produceOneByOne(2, "missed-", 800)); // each a Raft entry
        placeOrders("away-", 60);
        // Empty, but known to the others as a node that ran: refused unless told it replaces lost storage.
        assertThatThrownBy(() -> startNode(3).get(3, TimeUnit.MINUTES))
                .hasStackTraceContaining("node 3 has no Raft storage, but node ")
                .hasStackTraceContaining(" knows it as a node that ran before")
                .hasStackTraceContaining("cluster.replace-lost-storage");
        nodes[2] = startNode(3, Map.of("OMS_CLUSTER_REPLACE_LOST_STORAGE", "true")).get(3, TimeUnit.MINUTES);

        awaitLeader(third, 3);
        assertThat(nodes[2].log()).as("node 3 copied rather than replayed").contains(third + ": copied the records up to offset");
        List<ConsumerRecord<String, String>> read = readAll(third, acknowledged.size());
        assertThat(read).extracting(ConsumerRecord::offset).containsExactlyElementsOf(acknowledged.keySet());
        assertThat(read).extracting(ConsumerRecord::value).containsExactlyElementsOf(acknowledged.values());
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(500))
                .until(() -> leaderOf(new TopicPartition("orders", 2)) == 3);
        awaitEngineServesEveryPartition(3);
        String state = snapshot(nodes[2], 6);
        assertThat(state).contains("before-0", "away-59");
        for (OmsProcess node : nodes) {
            assertThat(snapshot(node, 6)).as("the same answer from every node").isEqualTo(state);
        }
    }

    /** Places {@code count} orders through node 1, one at a time, over six accounts and symbols (some trade). */
    private void placeOrders(String prefix, int count) throws Exception {
        Http http = new Http(nodes[0].httpPort());
        for (int i = 0; i < count; i++) {
            String body = Http.order("acct-" + i % 6, prefix + i, "SYM" + i % 6, i % 2 == 0 ? "BUY" : "SELL",
                    Integer.toString(99 + i % 3), 1 + i % 9);
            HttpResponse<String> answer = retriedWhile503(() -> http.postJson("/orders", body));
            assertThat(answer.statusCode()).as(answer.body()).isIn(201, 422);
        }
    }

    /** Sends records to {@code partition} one at a time: each its own produce request, a Raft entry. */
    private Map<Long, String> produceOneByOne(int partition, String prefix, int count) throws Exception {
        Map<Long, String> acknowledged = new java.util.TreeMap<>();
        try (KafkaProducer<String, String> producer = producer()) {
            for (int i = 0; i < count; i++) {
                String value = prefix + i;
                acknowledged.put(producer.send(new ProducerRecord<>(TOPIC, partition, null, value)).get(60, TimeUnit.SECONDS)
                        .offset(), value);
            }
        }
        return acknowledged;
    }

    /** An order placed, replaced, read, its book read and the order canceled, all through a node that forwards. */
    private void everyRouteWorksThroughANodeThatDoesNotLeadThePartition() throws Exception {
        String order = Http.order("acct-route", "route-1", "ROUTE", "BUY", "50", 10);
        HttpResponse<String> placed = retriedWhile503(() -> new Http(nodes[0].httpPort()).postJson("/orders", order));
        assertThat(placed.statusCode()).as(placed.body()).isIn(200, 201);
        String id = Http.json(placed).get("id").asText();
        int leader = leaderOf(new TopicPartition("orders", Integer.parseInt(id.split("-")[0])));
        Http forwarding = new Http(nodes[leader % NODES].httpPort());
        Http leading = new Http(nodes[leader - 1].httpPort());

        assertThat(retriedWhile503(() -> forwarding.postJson("/orders", order)).statusCode())
                .as("a repeat, through the forwarding node").isEqualTo(200);
        HttpResponse<String> replaced = retriedWhile503(() -> forwarding.patchJson("/orders/" + id, "{\"quantity\": 4}"));
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
        assertThat(Http.json(replaced).get("quantity").asLong()).isEqualTo(4);
        assertThat(retriedWhile503(() -> forwarding.get("/books/ROUTE?depth=50")).body())
                .isEqualTo(retriedWhile503(() -> leading.get("/books/ROUTE?depth=50")).body())
                .contains("\"price\":\"50\"");
        HttpResponse<String> canceled = retriedWhile503(() -> forwarding.delete("/orders/" + id));
        assertThat(canceled.statusCode()).as(canceled.body()).isEqualTo(200);
        assertThat(Http.json(retriedWhile503(() -> forwarding.get("/orders/" + id))).get("status").asText())
                .isEqualTo("CANCELED");
        assertThat(forwarding.get("/orders/no-such-order").statusCode()).isEqualTo(404);
        assertThat(forwarding.postJson("/orders", "{\"symbol\": ").statusCode()).as("bad JSON, answered where it arrives")
                .isEqualTo(400);
    }

    /**
     * A request retried, as a client would, while the answer is 503 with Retry-After: Raft's
     * leaders may still be moving (priority hand-back to the node that returned).
     */
    private static HttpResponse<String> retriedWhile503(java.util.concurrent.Callable<HttpResponse<String>> request)
            throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        while (true) {
            HttpResponse<String> answer = request.call();
            if (answer.statusCode() != 503 || System.currentTimeMillis() > deadline) {
                return answer;
            }
            Thread.sleep(250);
        }
    }

    /** Until a node answers for every orders partition (each led somewhere and caught up). */
    private void awaitEngineServesEveryPartition(int nodeId) {
        Http http = new Http(nodes[nodeId - 1].httpPort());
        org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptions().until(() -> http.get("/orders?limit=1").statusCode() == 200);
    }

    /** Every order and the positions of the test's accounts, as one node answers (merged from all nodes). */
    private static String snapshot(OmsProcess node, int accounts) throws Exception {
        Http http = new Http(node.httpPort());
        StringBuilder all = new StringBuilder();
        String after = null;
        do {
            String page = "/orders?limit=500" + (after == null ? "" : "&after=" + after);
            HttpResponse<String> answer = retriedWhile503(() -> http.get(page));
            assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
            var orders = Http.json(answer);
            orders.get("orders").forEach(o -> all.append(o).append('\n'));
            after = orders.get("next").isNull() ? null : orders.get("next").asText();
        } while (after != null);
        for (int c = 0; c < accounts; c++) {
            String positions = "/accounts/acct-" + c + "/positions";
            all.append(Http.json(retriedWhile503(() -> http.get(positions)))).append('\n');
        }
        return all.toString();
    }

    private static void deleteRecursively(Path path) throws java.io.IOException {
        try (java.util.stream.Stream<Path> walk = java.nio.file.Files.walk(path)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.delete(p);
            }
        }
    }

    /** Starts (or restarts, on the same data directories and ports) all nodes at once: each waits for a majority. */
    private void startCluster() throws Exception {
        if (peers == null) {
            List<String> list = new ArrayList<>();
            for (int i = 0; i < NODES; i++) {
                raftPorts[i] = dev.oms.streaming.TestPorts.free(); // reused at every restart
                list.add((i + 1) + "@" + hosts[i] + ":" + raftPorts[i]);
            }
            peers = String.join(",", list);
        }
        List<CompletableFuture<OmsProcess>> starting = new ArrayList<>();
        for (int id = 1; id <= NODES; id++) {
            starting.add(startNode(id));
        }
        for (int i = 0; i < NODES; i++) {
            nodes[i] = starting.get(i).get(3, TimeUnit.MINUTES);
        }
    }

    private CompletableFuture<OmsProcess> startNode(int id) {
        return startNode(id, Map.of());
    }

    private CompletableFuture<OmsProcess> startNode(int id, Map<String, String> extraSettings) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                String host = hosts[id - 1];
                Map<String, String> settings = new java.util.HashMap<>(Map.of("OMS_GROUPS_OFFSETS_PARTITIONS", "1",
                        "OMS_LOG_SHARDS", "1", "OMS_LOG_PARTITIONS", Integer.toString(partitions), "OMS_HTTP_HOST", host, "OMS_KAFKA_HOST", host,
                        "OMS_KAFKA_ADVERTISED_HOST", host, "OMS_CLUSTER_REPLICA_LAG_TIME_MAX_MS", Long.toString(LAG_TIME_MS)));
                settings.putAll(nodeSettings);
                settings.putAll(extraSettings);
                return OmsProcess.start(dir.resolve("node-" + id), settings, launchers.get(id - 1),
                        "--node-id", Integer.toString(id), "--peers", peers);
            } catch (Exception e) {
                throw new IllegalStateException("node " + id + " did not start", e);
            }
        });
    }

    private String bootstrap() {
        List<String> alive = new ArrayList<>();
        for (OmsProcess node : nodes) {
            if (node != null && node.isAlive()) {
                alive.add(node.kafkaBootstrap());
            }
        }
        return String.join(",", alive);
    }

    private Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap()));
    }

    private int leaderOf(TopicPartition tp) throws Exception {
        try (Admin admin = admin()) {
            long deadline = System.currentTimeMillis() + 30_000;
            while (true) {
                TopicDescription topic = admin.describeTopics(List.of(tp.topic())).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(tp.topic());
                var leader = topic.partitions().get(tp.partition()).leader();
                if (leader != null && leader.id() >= 1 || System.currentTimeMillis() > deadline) {
                    assertThat(leader).as("leader of " + tp).isNotNull();
                    return leader.id();
                }
                Thread.sleep(200);
            }
        }
    }

    /** Sends {@code count} records {@code prefix0, prefix1…} to a partition; the acknowledged ones by offset. */
    private Map<Long, String> produce(String bootstrap, int partition, String prefix, int count) {
        Map<Long, String> acknowledged = new ConcurrentSkipListMap<>();
        try (KafkaProducer<String, String> producer = producer(bootstrap)) {
            for (int i = 0; i < count; i++) {
                String value = prefix + i;
                producer.send(new ProducerRecord<>(TOPIC, partition, null, value), (metadata, error) -> {
                    if (error == null) {
                        acknowledged.put(metadata.offset(), value);
                    }
                });
            }
            producer.flush();
        }
        return acknowledged;
    }

    private KafkaProducer<String, String> producer() {
        return producer(bootstrap());
    }

    private KafkaProducer<String, String> producer(String bootstrap) {
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        props.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 120_000);
        props.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        return new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
    }

    /** Reads the topic from the start until {@code count} records arrived (or two minutes passed). */
    private List<ConsumerRecord<String, String>> readAll(int count) {
        return readAll(new TopicPartition(TOPIC, 0), count);
    }

    private List<ConsumerRecord<String, String>> readAll(TopicPartition tp, int count) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<ConsumerRecord<String, String>> read = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(tp));
            consumer.seekToBeginning(List.of(tp));
            long deadline = System.currentTimeMillis() + 120_000;
            while (read.size() < count && System.currentTimeMillis() < deadline) {
                consumer.poll(Duration.ofMillis(500)).forEach(read::add);
            }
            // Nothing more than was acknowledged: no duplicate from the producer's retries.
            consumer.poll(Duration.ofMillis(1000)).forEach(read::add);
        }
        return read;
    }

    /** Until the leader of each partition reports every follower at its log end (GET /cluster). */
    private void awaitFollowersCaughtUp() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        long deadline = System.currentTimeMillis() + 60_000;
        String last = "";
        while (System.currentTimeMillis() < deadline) {
            StringBuilder lags = new StringBuilder();
            for (OmsProcess node : nodes) {
                lags.append(clusterInfo(http, node));
            }
            last = lags.toString();
            Collection<String> behind = java.util.regex.Pattern.compile("\"followerLag\":\\[([^\\]]*)]").matcher(last).results()
                    .map(m -> m.group(1)).filter(l -> !l.matches("0(,0)*")).collect(Collectors.toList());
            if (behind.isEmpty() && last.contains("\"followerLag\":[0,0]")) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError("followers did not catch up within 60 s: " + last + nodeLogs());
    }

    /**
     * Where the cause would show: each node's last warnings with the first lines of their stack
     * traces, and each node's whole log kept under target/ (the test's directory goes with it).
     */
    private String nodeLogs() throws java.io.IOException {
        StringBuilder logs = new StringBuilder();
        Path kept = Path.of("target", "cluster-logs", Long.toString(System.currentTimeMillis()));
        java.nio.file.Files.createDirectories(kept);
        for (int i = 0; i < NODES; i++) {
            if (nodes[i] == null) {
                continue;
            }
            String log = nodes[i].log();
            java.nio.file.Files.writeString(kept.resolve("node-" + (i + 1) + ".log"), log);
            List<String> said = new ArrayList<>();
            int trace = 0;
            for (String line : log.lines().toList()) {
                if (line.contains("WARN") || line.contains("ERROR") || line.contains("SEVERE") || line.contains("stops")) {
                    said.add(line);
                    trace = 4;
                } else if (trace > 0 && (line.startsWith("\t") || line.startsWith("Caused by") || line.contains("Exception"))) {
                    said.add(line);
                    trace--;
                } else {
                    trace = 0;
                }
            }
            logs.append("\n--- node ").append(i + 1).append("'s last warnings (its log: ").append(kept.toAbsolutePath())
                    .append("):\n").append(String.join("\n", said.subList(Math.max(0, said.size() - 60), said.size())));
        }
        return logs.toString();
    }
}
