package dev.oms.api.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import dev.oms.deadletter.RetryPolicy;
import dev.oms.api.observe.TracingConfig;
import dev.oms.engine.FailureInjection;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.risk.RiskLimits;
import dev.oms.streaming.BrokerConfig;
import dev.oms.streaming.cluster.ClusterConfig;
import dev.oms.streaming.kafka.KafkaListenerConfig;
import dev.oms.streaming.storage.TopicConfig;
import io.helidon.config.Config;
import io.helidon.config.ConfigSources;
import io.helidon.config.spi.ConfigSource;

/**
 * The configuration of one oms process. Keys, defaults and their documentation live in one
 * place, {@code oms.yaml} on the class path; a file given with {@code --config}, environment
 * variables ({@code OMS_HTTP_PORT} for {@code http.port}) and command-line flags override them,
 * in that order of increasing precedence.
 */
public record OmsConfig(Path dataDir, String brokers, String httpHost, int httpPort, int maxBodyBytes, long verdictTimeoutMs,
                        int httpMaxConnections, long httpIdleTimeoutMs,
                        KafkaListenerConfig kafka, BrokerConfig broker, int offsetsPartitions,
                        long initialRebalanceDelayMs, int partitions, int engineWorkers,
                        boolean pinWorkers, long maxOrders, int priceDecimals, RiskLimits riskLimits,
                        SelfTradePrevention selfTradePrevention, RetryPolicy retryPolicy,
                        FailureInjection failureInjection, TracingConfig tracing, String logFormat,
                        ClusterConfig cluster) {

    public static final String DEFAULTS = "oms.yaml";

    /** The flags the binary accepts, each the short form of one key. */
    private static final Map<String, String> FLAGS = Map.of(
            "--data-dir", "data-dir",
            "--brokers", "brokers",
            "--http-port", "http.port",
            "--kafka-port", "kafka.port",
            "--node-id", "cluster.node-id",
            "--peers", "cluster.peers");

    public static final String USAGE = """
            usage: oms [--data-dir DIR] [--http-port N] [--kafka-port N] [--brokers HOSTS] [--config FILE]
                       [--node-id N --peers ID@HOST:PORT,...]
              --data-dir DIR    where the log and the state live (OMS_DATA_DIR, default ./data)
              --brokers HOSTS   run against an external Kafka/Redpanda cluster instead of the embedded log (OMS_BROKERS)
              --http-port N     HTTP API port (OMS_HTTP_PORT, default 8080; 0 picks a free port)
              --kafka-port N    Kafka protocol port (OMS_KAFKA_PORT, default 9092)
              --config FILE     a YAML file overriding any key of oms.yaml (OMS_CONFIG)
              --node-id N       this node's id in a cluster (OMS_CLUSTER_NODE_ID)
              --peers LIST      every cluster node's Raft address, id@host:port,… (OMS_CLUSTER_PEERS)
            Every key of oms.yaml is also settable as OMS_<KEY> in the environment.""";

    /** Reads the configuration from {@code args} and {@code env} over the file and the defaults. */
    public static OmsConfig load(String[] args, Map<String, String> env) {
        Map<String, String> flags = new HashMap<>();
        String configFile = env.get("OMS_CONFIG");
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            if (!name.equals("--config") && !FLAGS.containsKey(name)) {
                throw new ConfigException("unknown argument '" + arg + "'\n" + USAGE);
            }
            if (value == null) {
                if (i + 1 >= args.length) {
                    throw new ConfigException(name + " needs a value\n" + USAGE);
                }
                value = args[++i];
            }
            if (name.equals("--config")) {
                configFile = value;
            } else {
                flags.put(FLAGS.get(name), value);
            }
        }

        Config defaults = Config.just(ConfigSources.classpath(DEFAULTS));
        Map<String, String> fromEnv = new HashMap<>();
        defaults.traverse().filter(Config::isLeaf).forEach(node -> {
            String key = node.key().toString();
            String value = env.get(envName(key));
            if (value != null) {
                fromEnv.put(key, value);
            }
        });

        List<Supplier<? extends ConfigSource>> sources = new ArrayList<>();
        sources.add(ConfigSources.create(flags));
        sources.add(ConfigSources.create(fromEnv));
        if (configFile != null) {
            Path file = Path.of(configFile);
            if (!Files.isReadable(file)) {
                throw new ConfigException("config file " + file.toAbsolutePath() + " does not exist or cannot be read");
            }
            sources.add(ConfigSources.file(file));
        }
        sources.add(ConfigSources.classpath(DEFAULTS));
        Config config = Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .sources(sources)
                .build();

        int cores = Runtime.getRuntime().availableProcessors();
        int partitions = intIn(config, "log.partitions", 1, 4096);
        ClusterConfig cluster = cluster(config);
        KafkaListenerConfig kafka = new KafkaListenerConfig(string(config, "kafka.host"),
                intIn(config, "kafka.port", 0, 65535), advertisedHost(config, cluster),
                intIn(config, "kafka.advertised-port", 0, 65535), bool(config, "kafka.auto-create-topics"),
                partitions, intIn(config, "kafka.max-request-bytes", 1024, Integer.MAX_VALUE),
                intIn(config, "kafka.max-connections", 1, 1_000_000),
                longIn(config, "kafka.connections-max-idle-ms", 1_000, 86_400_000));
        return new OmsConfig(
                Path.of(string(config, "data-dir")),
                config.get("brokers").asString().orElse("").trim(),
                string(config, "http.host"),
                intIn(config, "http.port", 0, 65535),
                intIn(config, "http.max-body-bytes", 1024, 64 << 20),
                intIn(config, "http.verdict-timeout-ms", 1, 600_000),
                intIn(config, "http.max-connections", 1, 1_000_000),
                longIn(config, "http.idle-timeout-ms", 1_000, 86_400_000),
                kafka,
                new BrokerConfig(orCores(intIn(config, "log.shards", 0, 1024), cores),
                        intIn(config, "log.queue-capacity", 2, 1 << 20),
                        new TopicConfig(intIn(config, "log.segment-bytes", 1024, Integer.MAX_VALUE),
                                longIn(config, "log.segment-ms", 1, Long.MAX_VALUE),
                                longIn(config, "log.retention-ms", -1, Long.MAX_VALUE),
                                longIn(config, "log.retention-bytes", -1, Long.MAX_VALUE),
                                bool(config, "log.preallocate"), "delete", TopicConfig.DEFAULTS.deleteRetentionMs(),
                                intIn(config, "log.max-message-bytes", 0, Integer.MAX_VALUE),
                                longIn(config, "log.message-timestamp-after-max-ms", 0, Long.MAX_VALUE),
                                longIn(config, "log.message-timestamp-before-max-ms", 0, Long.MAX_VALUE)),
                        bool(config, "log.write-caching"),
                        longIn(config, "log.flush-interval-ms", 1, 3_600_000),
                        bool(config, "log.pin-shards"),
                        intIn(config, "log.max-partitions", 1, 1_000_000)),
                intIn(config, "groups.offsets-partitions", 1, 1024),
                longIn(config, "groups.initial-rebalance-delay-ms", 0, 300_000),
                partitions,
                orCores(intIn(config, "engine.workers", 0, 1024), cores),
                bool(config, "engine.pin-workers"),
                intIn(config, "engine.max-orders", 1, Integer.MAX_VALUE),
                intIn(config, "engine.price-decimals", 0, 9),
                riskLimits(config, intIn(config, "engine.price-decimals", 0, 9)),
                selfTradePrevention(string(config, "engine.self-trade-prevention")),
                new RetryPolicy(intIn(config, "engine.retry.max-attempts", 1, 100),
                        longIn(config, "engine.retry.initial-backoff-ms", 0, 60_000),
                        longIn(config, "engine.retry.max-backoff-ms", 0, 600_000), 2),
                failureInjection(config),
                new TracingConfig(bool(config, "tracing.enabled"), string(config, "tracing.service-name"),
                        string(config, "tracing.otlp-endpoint"), ratio(config, "tracing.sample-ratio")),
                oneOf(config, "logging.format", "text", "json"),
                cluster);
    }

    /**
     * The host Kafka clients (and, in a cluster, the other nodes forwarding HTTP) are told to reach
     * this node at: {@code kafka.advertised-host}, or when it is empty, the host {@code --peers}
     * names for this node in a cluster (the others reach it there already), localhost on a single node.
     */
    private static String advertisedHost(Config config, ClusterConfig cluster) {
        String host = config.get("kafka.advertised-host").asString().orElse("").trim();
        if (!host.isEmpty()) {
            return host;
        }
        return cluster != null ? cluster.self().host() : "localhost";
    }

    /** A cluster node when peers are given; a single node (null) otherwise. */
    private static ClusterConfig cluster(Config config) {
        String peers = config.get("cluster.peers").asString().orElse("").trim();
        if (peers.isEmpty()) {
            return null;
        }
        if (!config.get("brokers").asString().orElse("").isBlank()) {
            throw new ConfigException("cluster.peers (a cluster of oms nodes) and brokers (an external Kafka cluster)"
                    + " exclude each other");
        }
        int nodeId = intIn(config, "cluster.node-id", 0, Integer.MAX_VALUE);
        long replicaLagTimeMaxMs = longIn(config, "cluster.replica-lag-time-max-ms", 1_000, 3_600_000);
        try {
            return ClusterConfig.parse(nodeId, peers).withReplicaLagTimeMaxMs(replicaLagTimeMaxMs)
                    .withReplaceLostStorage(bool(config, "cluster.replace-lost-storage"));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("cluster.peers: " + e.getMessage() + " (OMS_CLUSTER_PEERS)");
        }
    }

    private static double ratio(Config config, String key) {
        String text = string(config, key);
        try {
            double value = Double.parseDouble(text);
            if (value >= 0 && value <= 1) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(key + " must be a number from 0 to 1, got '" + text + "' (" + envName(key) + ")");
    }

    private static String oneOf(Config config, String key, String... allowed) {
        String value = string(config, key);
        if (!List.of(allowed).contains(value)) {
            throw new ConfigException(key + " must be one of " + String.join(", ", allowed) + ", got '" + value + "' ("
                    + envName(key) + ")");
        }
        return value;
    }

    private static FailureInjection failureInjection(Config config) {
        FailureInjection injection = new FailureInjection(symbols(config, "engine.failure-injection.failing-symbols"),
                symbols(config, "engine.failure-injection.flaky-symbols"),
                intIn(config, "engine.failure-injection.flaky-attempts", 0, 100));
        String mode = string(config, "mode");
        if (!mode.equals("development") && !mode.equals("production")) {
            throw new ConfigException("mode must be development or production, got '" + mode + "' (OMS_MODE)");
        }
        if (injection.active() && mode.equals("production")) {
            throw new ConfigException("engine.failure-injection is for tests and demos and is refused in production mode");
        }
        return injection;
    }

    private static java.util.Set<String> symbols(Config config, String key) {
        String value = config.get(key).asString().orElse("");
        java.util.Set<String> symbols = new java.util.TreeSet<>();
        for (String symbol : value.split(",")) {
            if (!symbol.isBlank()) {
                symbols.add(symbol.trim());
            }
        }
        return symbols;
    }

    private static RiskLimits riskLimits(Config config, int priceDecimals) {
        long notional = longIn(config, "engine.risk.max-notional", 1, Long.MAX_VALUE);
        // The limit is in price units; the engine compares ticks x quantity.
        long notionalTicks = Math.multiplyHigh(notional, (long) Math.pow(10, priceDecimals)) != 0
                ? Long.MAX_VALUE : notional * (long) Math.pow(10, priceDecimals);
        return new RiskLimits(longIn(config, "engine.risk.max-order-quantity", 1, Long.MAX_VALUE), notionalTicks,
                longIn(config, "engine.risk.price-band-bps", 1, Long.MAX_VALUE),
                intIn(config, "engine.risk.max-open-orders", 1, Integer.MAX_VALUE),
                longIn(config, "engine.risk.max-position", 1, Long.MAX_VALUE));
    }

    private static SelfTradePrevention selfTradePrevention(String value) {
        try {
            return SelfTradePrevention.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new ConfigException("engine.self-trade-prevention must be none, cancel-newest, cancel-oldest or "
                    + "cancel-both, got '" + value + "' (OMS_ENGINE_SELF_TRADE_PREVENTION)");
        }
    }

    /** {@code http.port} is set by {@code OMS_HTTP_PORT}. */
    public static String envName(String key) {
        return "OMS_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static int orCores(int value, int cores) {
        return value == 0 ? cores : value;
    }

    private static String string(Config config, String key) {
        String value = config.get(key).asString().orElse("").trim();
        if (value.isEmpty()) {
            throw new ConfigException(key + " must not be empty (" + envName(key) + ")");
        }
        return value;
    }

    private static int intIn(Config config, String key, int min, int max) {
        return (int) longIn(config, key, min, max);
    }

    private static long longIn(Config config, String key, long min, long max) {
        String value = string(config, key);
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ConfigException(key + " must be a whole number from " + min + " to " + max + ", got '" + value
                + "' (" + envName(key) + ")");
    }

    private static boolean bool(Config config, String key) {
        String value = string(config, key);
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ConfigException(key + " must be true or false, got '" + value + "' (" + envName(key) + ")");
        };
    }
}
