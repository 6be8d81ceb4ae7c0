package dev.oms.api.cli;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.MissingNode;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.ConsumerGroupListing;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code ./oms topic|group|cluster …}: the everyday Kafka chores, in the spirit of Redpanda's
 * {@code rpk}, built on kafka-clients' Admin, producer and consumer so they work against this
 * broker and against any Kafka or Redpanda cluster ({@code --brokers}). Tables for people,
 * {@code --json} for scripts.
 *
 * <p>Threads: the caller's, one command at a time.
 */
public final class Cli {
    static final String USAGE = """
            usage: oms <topic|group|cluster> <command> [options]   (--brokers HOST:PORT, default localhost:9092 or OMS_BROKERS)
              cluster info | partitions [--url URL]   nodes; each partition's leader, replicas and follower lag
              topic list | describe TOPIC | create TOPIC [--partitions N] [--config KEY=VALUE]... | delete TOPIC
              topic produce TOPIC [--key-separator SEP]         records from standard input, one per line
              topic consume TOPIC [--group G] [--from-beginning] [--num N] [--timeout-ms MS]
              group list | describe GROUP | delete GROUP
              group reset-offsets GROUP --topic TOPIC (--to-earliest | --to-latest | --to-offset N) [--execute]
              dlq list [--reason R] [--topic T] [--limit N] | show PARTITION OFFSET        (--url, default http://localhost:8080 or OMS_URL)
              dlq redrive (--all | --partition P (--offset O | --from-offset A --to-offset B) | --reason R)
              dlq purge --partition P --before OFFSET
            options: --json prints JSON instead of a table""";

    private final PrintStream out;
    private final PrintStream err;
    private final InputStream in;

    Cli(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        dev.oms.api.observe.LogFormat.quietKafkaClients(); // else every client's settings around each answer
        System.exit(new Cli(System.in, System.out, System.err).run(args, System.getenv()));
    }

    /** Runs one command; returns the process exit code (0 ok, 1 failed, 2 bad usage). */
    int run(String[] args, Map<String, String> env) {
        Args a;
        try {
            a = Args.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("oms: " + e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (a.flag("help") || a.word(0).isEmpty()) {
            out.println(USAGE);
            return 0;
        }
        String brokers = a.option("brokers").orElse(env.getOrDefault("OMS_BROKERS", "localhost:9092"));
        try {
            return switch (a.word(0) + " " + a.word(1)) {
                case "cluster info" -> clusterInfo(brokers, a, env);
                case "cluster partitions" -> clusterPartitions(brokers, a, env);
                case "topic list" -> topicList(brokers, a);
                case "topic describe" -> topicDescribe(brokers, a);
                case "topic create" -> topicCreate(brokers, a);
                case "topic delete" -> topicDelete(brokers, a);
                case "topic produce" -> topicProduce(brokers, a);
                case "topic consume" -> topicConsume(brokers, a);
                case "group list" -> groupList(brokers, a);
                case "group describe" -> groupDescribe(brokers, a);
                case "group delete" -> groupDelete(brokers, a);
                case "group reset-offsets" -> groupResetOffsets(brokers, a);
                case "dlq list", "dlq show", "dlq redrive", "dlq purge" ->
                        new DeadLetterCommands(a.option("url").orElse(env.getOrDefault("OMS_URL", "http://localhost:8080")),
                                out, err).run(a);
                default -> {
                    err.println("oms: unknown command '" + String.join(" ", args) + "'");
                    err.println(USAGE);
                    yield 2;
                }
            };
        } catch (IllegalArgumentException e) {
            err.println("oms: " + e.getMessage());
            return 2;
        } catch (ExecutionException e) {
            err.println("oms: " + subject(a) + e.getCause().getMessage());
            return 1;
        } catch (Exception e) {
            err.println("oms: " + subject(a) + e.getMessage());
            return 1;
        }
    }

    /** "topic orders: " — what the failed command was about, before the broker's words. */
    private static String subject(Args a) {
        return a.word(2).isEmpty() ? "" : a.word(0) + " '" + a.word(2) + "': ";
    }

    private static Admin admin(String brokers) {
        Properties props = new Properties();
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(props);
    }

    private int clusterInfo(String brokers, Args a, Map<String, String> env) throws Exception {
        try (Admin admin = admin(brokers)) {
            DescribeClusterResult cluster = admin.describeCluster();
            String id = cluster.clusterId().get();
            Node controller = cluster.controller().get();
            Map<Integer, Integer> levels = featureLevels(a.option("url").orElse(env.getOrDefault("OMS_URL",
                    "http://localhost:8080")));
            Table table = new Table("cluster", "node", "host", "port", "controller", "feature_level");
            for (Node node : cluster.nodes().get()) {
                table.row(id, node.id(), node.host(), node.port(), node.id() == controller.id(),
                        levels.containsKey(node.id()) ? levels.get(node.id()) : "");
            }
            table.print(out, a.flag("json"));
        }
        if (!a.flag("json")) {
            out.println();
            clusterPartitions(brokers, a, env);
        }
        return 0;
    }

    /**
     * Every partition's leader, replicas and in-sync replicas (Kafka's Metadata), and in a cluster
     * of oms nodes how many Raft entries each follower is behind, as its leader sees it (GET
     * /cluster on each node, found from the one at --url).
     */
    private int clusterPartitions(String brokers, Args a, Map<String, String> env) throws Exception {
        Map<TopicPartition, String> lags = followerLags(a.option("url").orElse(env.getOrDefault("OMS_URL",
                "http://localhost:8080")));
        try (Admin admin = admin(brokers)) {
            Set<String> names = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions().listInternal(true))
                    .names().get();
            Map<String, TopicDescription> topics = new TreeMap<>(admin.describeTopics(names).allTopicNames().get());
            Table table = new Table("topic", "partition", "leader", "replicas", "isr", "follower_lag");
            topics.forEach((name, description) -> description.partitions().forEach(p -> table.row(name, p.partition(),
                    p.leader() == null ? -1 : p.leader().id(), ids(p.replicas()), ids(p.isr()),
                    lags.getOrDefault(new TopicPartition(name, p.partition()), ""))));
            table.print(out, a.flag("json"));
        }
        return 0;
    }

    private static String ids(List<Node> nodes) {
        return nodes.stream().map(n -> Integer.toString(n.id())).collect(Collectors.joining(","));
    }

    /** The feature level of each node's build, from an oms node's /cluster; empty when none answers there. */
    private static Map<Integer, Integer> featureLevels(String url) {
        Map<Integer, Integer> levels = new HashMap<>();
        clusterDocument(url).ifPresent(cluster -> cluster.path("nodes").forEach(node ->
                levels.put(node.path("id").asInt(), node.path("featureLevel").asInt())));
        return levels;
    }

    /** Follower lag per partition from each oms node's /cluster; empty when no oms node answers there. */
    private static Map<TopicPartition, String> followerLags(String url) {
        Map<TopicPartition, String> lags = new HashMap<>();
        for (var node : clusterDocument(url).map(cluster -> cluster.path("nodes")).orElse(MissingNode.getInstance())) {
            if (node.path("httpPort").asInt() <= 0) {
                continue;
            }
            clusterDocument("http://" + node.path("host").asText() + ":" + node.path("httpPort").asInt()).ifPresent(info -> {
                for (var p : info.path("partitions")) {
                    if (p.path("followerLag").isArray()) {
                        List<String> lag = new ArrayList<>();
                        p.path("followerLag").forEach(l -> lag.add(l.asText()));
                        lags.put(new TopicPartition(p.path("topic").asText(), p.path("partition").asInt()), String.join(",", lag));
                    }
                }
            });
        }
        return lags;
    }

    /** What the oms node at {@code url} answers on /cluster; empty when none does (not a cluster node, or unreachable). */
    private static Optional<JsonNode> clusterDocument(String url) {
        var http = java.net.http.HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        try {
            return Optional.of(new com.fasterxml.jackson.databind.ObjectMapper().readTree(get(http, url + "/cluster")));
        } catch (Exception e) {
            return Optional.empty();
        }
    }

    private static String get(java.net.http.HttpClient http, String url) throws Exception {
        var response = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).timeout(Duration.ofSeconds(5))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IllegalStateException(url + " answered " + response.statusCode());
        }
        return response.body();
    }

    private int topicList(String brokers, Args a) throws Exception {
        try (Admin admin = admin(brokers)) {
            Set<String> names = admin.listTopics().names().get();
            Map<String, TopicDescription> topics = new TreeMap<>(admin.describeTopics(names).allTopicNames().get());
            Table table = new Table("topic", "partitions", "id");
            topics.values().forEach(t -> table.row(t.name(), t.partitions().size(), t.topicId()));
            table.print(out, a.flag("json"));
        }
        return 0;
    }

    private int topicDescribe(String brokers, Args a) throws Exception {
        String topic = a.required(2, "TOPIC");
        try (Admin admin = admin(brokers)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
            description.partitions().forEach(p -> specs.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest()));
            Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
            specs.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
            var ends = admin.listOffsets(specs).all().get();
            var starts = admin.listOffsets(earliest).all().get();
            Table table = new Table("partition", "leader", "log_start_offset", "high_watermark");
            for (var p : description.partitions()) {
                TopicPartition tp = new TopicPartition(topic, p.partition());
                table.row(p.partition(), p.leader() == null ? -1 : p.leader().id(), starts.get(tp).offset(), ends.get(tp).offset());
            }
            table.print(out, a.flag("json"));
            if (!a.flag("json")) {
                ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
                Config config = admin.describeConfigs(List.of(resource)).all().get().get(resource);
                Table configs = new Table("config", "value", "source");
                config.entries().forEach(e -> configs.row(e.name(), e.value(), e.source()));
                out.println();
                configs.print(out, false);
            }
        }
        return 0;
    }

    private int topicCreate(String brokers, Args a) throws Exception {
        String topic = a.required(2, "TOPIC");
        int partitions = Integer.parseInt(a.option("partitions").orElse("1"));
        Map<String, String> configs = new LinkedHashMap<>();
        for (String kv : a.options("config")) {
            int eq = kv.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--config takes KEY=VALUE, got '" + kv + "'");
            }
            configs.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
        try (Admin admin = admin(brokers)) {
            admin.createTopics(List.of(new NewTopic(topic, partitions, (short) -1).configs(configs))).all().get();
        }
        err.println("created topic " + topic + " with " + partitions + " partition(s)");
        return 0;
    }

    private int topicDelete(String brokers, Args a) throws Exception {
        String topic = a.required(2, "TOPIC");
        try (Admin admin = admin(brokers)) {
            admin.deleteTopics(List.of(topic)).all().get();
        }
        err.println("deleted topic " + topic);
        return 0;
    }

    private int topicProduce(String brokers, Args a) throws Exception {
        String topic = a.required(2, "TOPIC");
        String separator = a.option("key-separator").orElse(null);
        Properties props = new Properties();
        props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        long sent = 0;
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props, new StringSerializer(), new StringSerializer());
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
            for (String line; (line = lines.readLine()) != null; ) {
                String key = null;
                String value = line;
                int at = separator == null ? -1 : line.indexOf(separator);
                if (at >= 0) {
                    key = line.substring(0, at);
                    value = line.substring(at + separator.length());
                }
                acks.add(producer.send(new ProducerRecord<>(topic, key, value)));
                sent++;
            }
            producer.flush();
            for (var ack : acks) {
                ack.get();
            }
        }
        err.println("produced " + sent + " record(s) to " + topic);
        return 0;
    }

    private int topicConsume(String brokers, Args a) throws Exception {
        String topic = a.required(2, "TOPIC");
        long max = Long.parseLong(a.option("num").orElse(Long.toString(Long.MAX_VALUE)));
        long timeoutMs = Long.parseLong(a.option("timeout-ms").orElse("10000"));
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, a.flag("from-beginning") ? "earliest" : "latest");
        a.option("group").ifPresent(g -> props.put(ConsumerConfig.GROUP_ID_CONFIG, g));
        // Commit exactly what was printed, not what the last poll happened to fetch.
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        Map<TopicPartition, OffsetAndMetadata> processed = new HashMap<>();
        long consumed = 0;
        long lastProgress = System.currentTimeMillis();
        long idleSince = System.currentTimeMillis();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props, new StringDeserializer(), new StringDeserializer())) {
            if (a.option("group").isPresent()) {
                consumer.subscribe(List.of(topic));
            } else {
                List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                        .map(p -> new TopicPartition(topic, p.partition())).toList();
                consumer.assign(partitions);
                if (a.flag("from-beginning")) {
                    consumer.seekToBeginning(partitions);
                }
            }
            while (consumed < max && System.currentTimeMillis() - idleSince < timeoutMs) {
                var records = consumer.poll(Duration.ofMillis(200));
                if (!records.isEmpty()) {
                    idleSince = System.currentTimeMillis();
                }
                for (ConsumerRecord<String, String> record : records) {
                    if (a.flag("json")) {
                        out.println(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(Map.of(
                                "partition", record.partition(), "offset", record.offset(), "timestamp", record.timestamp(),
                                "key", String.valueOf(record.key()), "value", String.valueOf(record.value()))));
                    } else {
                        out.println(record.partition() + "\t" + record.offset() + "\t" + record.key() + "\t" + record.value());
                    }
                    processed.put(new TopicPartition(record.topic(), record.partition()), new OffsetAndMetadata(record.offset() + 1));
                    if (++consumed >= max) {
                        break;
                    }
                }
                if (System.currentTimeMillis() - lastProgress >= 1000) {
                    err.print("\rconsumed " + consumed + " record(s)");
                    lastProgress = System.currentTimeMillis();
                }
            }
            if (a.option("group").isPresent() && !processed.isEmpty()) {
                consumer.commitSync(processed);
            }
        }
        err.println("\rconsumed " + consumed + " record(s) from " + topic);
        return 0;
    }

    private int groupList(String brokers, Args a) throws Exception {
        try (Admin admin = admin(brokers)) {
            Table table = new Table("group", "state");
            List<ConsumerGroupListing> groups = new ArrayList<>(admin.listConsumerGroups().all().get());
            groups.sort(java.util.Comparator.comparing(ConsumerGroupListing::groupId));
            groups.forEach(g -> table.row(g.groupId(), g.groupState().map(Object::toString).orElse("")));
            table.print(out, a.flag("json"));
        }
        return 0;
    }

    private int groupDescribe(String brokers, Args a) throws Exception {
        String group = a.required(2, "GROUP");
        try (Admin admin = admin(brokers)) {
            ConsumerGroupDescription description = admin.describeConsumerGroups(List.of(group)).all().get().get(group);
            Map<TopicPartition, OffsetAndMetadata> committed =
                    admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, String> owners = new HashMap<>();
            for (MemberDescription m : description.members()) {
                m.assignment().topicPartitions().forEach(tp -> owners.put(tp, m.consumerId()));
            }
            Set<TopicPartition> partitions = new java.util.TreeSet<>(java.util.Comparator.comparing(TopicPartition::toString));
            partitions.addAll(committed.keySet());
            partitions.addAll(owners.keySet());
            Map<TopicPartition, OffsetSpec> latest = partitions.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest()));
            var ends = admin.listOffsets(latest).all().get();
            Table table = new Table("group", "state", "topic", "partition", "committed_offset", "log_end_offset", "lag", "member");
            for (TopicPartition tp : partitions) {
                OffsetAndMetadata c = committed.get(tp);
                long end = ends.get(tp).offset();
                table.row(group, description.groupState(), tp.topic(), tp.partition(), c == null ? "-" : c.offset(), end,
                        c == null ? "-" : Math.max(0, end - c.offset()), owners.getOrDefault(tp, "-"));
            }
            table.print(out, a.flag("json"));
        }
        return 0;
    }

    private int groupDelete(String brokers, Args a) throws Exception {
        String group = a.required(2, "GROUP");
        try (Admin admin = admin(brokers)) {
            admin.deleteConsumerGroups(List.of(group)).all().get();
        }
        err.println("deleted group " + group);
        return 0;
    }

    private int groupResetOffsets(String brokers, Args a) throws Exception {
        String group = a.required(2, "GROUP");
        String topic = a.option("topic").orElseThrow(() -> new IllegalArgumentException("reset-offsets needs --topic TOPIC"));
        try (Admin admin = admin(brokers)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic);
            Map<TopicPartition, OffsetSpec> specs = new LinkedHashMap<>();
            OffsetSpec spec = a.flag("to-earliest") ? OffsetSpec.earliest() : a.flag("to-latest") ? OffsetSpec.latest() : null;
            for (var p : description.partitions()) {
                specs.put(new TopicPartition(topic, p.partition()), spec == null ? OffsetSpec.latest() : spec);
            }
            Map<TopicPartition, OffsetAndMetadata> target = new LinkedHashMap<>();
            if (spec == null) {
                long offset = Long.parseLong(a.option("to-offset").orElseThrow(() ->
                        new IllegalArgumentException("say where to: --to-earliest, --to-latest or --to-offset N")));
                // Within each partition's log, as Kafka's tool clamps it: past the end, the group's lag read 0.
                Map<TopicPartition, OffsetSpec> earliest = new LinkedHashMap<>();
                specs.keySet().forEach(tp -> earliest.put(tp, OffsetSpec.earliest()));
                var starts = admin.listOffsets(earliest).all().get();
                var ends = admin.listOffsets(specs).all().get();
                specs.keySet().forEach(tp -> target.put(tp, new OffsetAndMetadata(
                        Math.max(starts.get(tp).offset(), Math.min(offset, ends.get(tp).offset())))));
            } else {
                admin.listOffsets(specs).all().get().forEach((tp, r) -> target.put(tp, new OffsetAndMetadata(r.offset())));
            }
            Table table = new Table("group", "topic", "partition", "new_offset");
            target.forEach((tp, o) -> table.row(group, tp.topic(), tp.partition(), o.offset()));
            table.print(out, a.flag("json"));
            if (!a.flag("execute")) {
                err.println("dry run: add --execute to apply (the group must have no members)");
                return 0;
            }
            try {
                admin.alterConsumerGroupOffsets(group, target).all().get();
            } catch (ExecutionException e) {
                throw new KafkaException("cannot reset the offsets of " + group + ": " + e.getCause().getMessage()
                        + " (stop its consumers first)", e.getCause());
            }
            err.println("reset offsets of group " + group + " on " + topic);
        }
        return 0;
    }
}
