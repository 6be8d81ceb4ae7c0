package dev.oms.api;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import dev.oms.api.config.OmsConfig;
import dev.oms.api.http.AccountService;
import dev.oms.api.observe.Telemetry;
import dev.oms.api.observe.TracingFilter;
import dev.oms.api.http.DeadLetterService;
import dev.oms.api.http.Forwarder;
import dev.oms.api.http.HealthService;
import dev.oms.api.http.MarketDataService;
import dev.oms.api.http.MetricsService;
import dev.oms.api.http.OrderMetrics;
import dev.oms.api.http.OrderService;
import dev.oms.api.http.Problem;
import dev.oms.api.http.ProblemDirectHandler;
import dev.oms.api.http.ProblemException;
import dev.oms.api.http.RouteTable;
import dev.oms.deadletter.DeadLetterQueue;
import dev.oms.engine.Engine;
import dev.oms.engine.EngineConfig;
import dev.oms.engine.log.EmbeddedOrderLog;
import dev.oms.engine.log.KafkaOrderLog;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.PriceScale;
import dev.oms.streaming.BrokerMetrics;
import dev.oms.streaming.EmbeddedBroker;
import dev.oms.streaming.cluster.ReplicatedLog;
import dev.oms.streaming.group.GroupCoordinator;
import dev.oms.streaming.kafka.KafkaServer;
import io.helidon.http.DirectHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.helidon.http.Status;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.http.HttpRouting;
import io.helidon.webserver.http.HttpRules;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The single binary: the embedded log with its Kafka listener, the engine and the HTTP API in one
 * process, wired in the order data flows. {@link #start} brings them up; {@link #close} stops them
 * in reverse (HTTP and Kafka first, so nothing new arrives, then the workers, then the log).
 *
 * <p>Threads: start and close from one thread (main, or the shutdown hook).
 */
public final class Oms implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Oms.class);
    private static final List<String> TOPICS = List.of(Topics.ORDERS, Topics.ORDER_EVENTS, Topics.TRADES, Topics.ORDERS_DLT);

    private final FileChannel lockFile;
    private final EmbeddedBroker broker;
    private final GroupCoordinator groups;
    private final KafkaOrderLog external;
    private final DeadLetterQueue deadLetters;
    private final KafkaServer kafka;
    private final Engine engine;
    private final WebServer server;
    private final Telemetry telemetry;
    private final RouteTable routes;
    private boolean closed;

    private Oms(FileChannel lockFile, EmbeddedBroker broker, GroupCoordinator groups, KafkaServer kafka,
                KafkaOrderLog external, Engine engine, DeadLetterQueue deadLetters, WebServer server, Telemetry telemetry,
                RouteTable routes) {
        this.routes = routes;
        this.telemetry = telemetry;
        this.deadLetters = deadLetters;
        this.lockFile = lockFile;
        this.broker = broker;
        this.groups = groups;
        this.external = external;
        this.kafka = kafka;
        this.engine = engine;
        this.server = server;
    }

    public static Oms start(OmsConfig config) throws IOException {
        Path data = config.dataDir().toAbsolutePath().normalize();
        FileChannel lock = lockDataDir(data);
        EmbeddedBroker broker = null;
        GroupCoordinator groups = null;
        KafkaServer kafka = null;
        KafkaOrderLog external = null;
        Engine engine = null;
        DeadLetterQueue deadLetters = null;
        Telemetry telemetry = Telemetry.OFF;
        try {
            telemetry = Telemetry.start(config.tracing());
            PrometheusRegistry registry = new PrometheusRegistry();
            OrderLog log;
            if (config.brokers().isEmpty()) {
                BrokerMetrics brokerMetrics = new BrokerMetrics(registry);
                // A cluster node's topics are created through the cluster (on any node, once).
                broker = EmbeddedBroker.open(data.resolve("log"), config.broker(), brokerMetrics, config.cluster());
                for (String topic : TOPICS) {
                    broker.createTopic(topic, config.partitions());
                }
                groups = new GroupCoordinator(broker, config.offsetsPartitions(), config.initialRebalanceDelayMs());
                GroupCoordinator coordinator = groups;
                brokerMetrics.registerGroupGauges(() -> coordinator);
                log = new EmbeddedOrderLog(broker, Topics.ORDERS); // protects its topics before clients connect
                kafka = KafkaServer.start(broker, groups, config.kafka());
            } else {
                external = new KafkaOrderLog(config.brokers(), Topics.ORDERS, config.partitions());
                log = external;
            }
            engine = Engine.start(new EngineConfig(data.resolve("state"), config.engineWorkers(), config.pinWorkers(),
                    config.maxOrders(), new PriceScale(config.priceDecimals()), config.riskLimits(),
                    config.selfTradePrevention(), config.retryPolicy(), config.failureInjection()), log,
                    telemetry.logTracing());
            OmsMetrics.register(registry, engine);
            deadLetters = new DeadLetterQueue(kafka != null ? kafka.bootstrap() : config.brokers(), Topics.ORDERS_DLT);
            ReplicatedLog cluster = broker == null ? null : broker.cluster().orElse(null);
            RouteTable routes = new RouteTable();
            WebServer server = httpServer(config, engine, registry, deadLetters, telemetry, broker, routes).start();
            if (!server.isRunning()) {
                // Helidon logs a listener that cannot bind (a port in use) and returns a stopped server.
                throw new IOException("the HTTP server could not listen on " + config.httpHost() + ":" + config.httpPort()
                        + " (its error is logged above)");
            }
            if (cluster != null) {
                cluster.register(config.kafka().advertisedHost(),
                        config.kafka().advertisedPort() > 0 ? config.kafka().advertisedPort() : kafka.port(), server.port());
            }
            LOG.info("oms {}started: HTTP on {}:{}, {}, data in {}, workers {}",
                    cluster == null ? "" : "cluster node " + cluster.nodeId() + " ", config.httpHost(), server.port(),
                    kafka != null ? "Kafka on " + config.kafka().host() + ":" + kafka.port() : "against " + log,
                    data, engine.workerNames());
            return new Oms(lock, broker, groups, kafka, external, engine, deadLetters, server, telemetry, routes);
        } catch (IOException | RuntimeException | InterruptedException e) {
            closeAfterFailedStart(e, deadLetters, engine, kafka, groups, broker, external);
            telemetry.close();
            lock.close();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting", e);
            }
            if (e instanceof IOException io) {
                throw io;
            }
            throw (RuntimeException) e;
        }
    }

    /** Closes what a failed start had opened, in order; their own failures go with the cause. */
    private static void closeAfterFailedStart(Exception cause, AutoCloseable... opened) {
        for (AutoCloseable part : opened) {
            if (part != null) {
                try {
                    part.close();
                } catch (Exception e) {
                    cause.addSuppressed(e);
                }
            }
        }
    }

    private static WebServer httpServer(OmsConfig config, Engine engine, PrometheusRegistry registry,
                                        DeadLetterQueue deadLetters, Telemetry telemetry, EmbeddedBroker broker,
                                        RouteTable routes) {
        DirectHandler problems = new ProblemDirectHandler();
        return WebServer.builder()
                .host(config.httpHost())
                .port(config.httpPort())
                .maxPayloadSize(drainLimit(config.maxBodyBytes()))
                // Bounded, so that idle or half-sent connections cannot take every descriptor:
                // Helidon's listener ends for good when an accept fails for want of one.
                .maxTcpConnections(config.httpMaxConnections())
                .idleConnectionTimeout(java.time.Duration.ofMillis(config.httpIdleTimeoutMs()))
                .idleConnectionPeriod(java.time.Duration.ofMillis(Math.min(config.httpIdleTimeoutMs() / 2, 30_000)))
                .shutdownHook(false)
                // Nagle's algorithm held the last segment of any answer over one segment (a page of
                // orders, /metrics) until the client's delayed ACK came: 40 ms a request on a
                // keep-alive connection (bench/http.sh's query runs: 44 ms, 22 requests/s per connection).
                .connectionOptions(socket -> socket.tcpNoDelay(true))
                .directHandlers(handlers -> {
                    for (DirectHandler.EventType type : DirectHandler.EventType.values()) {
                        handlers.addHandler(type, problems);
                    }
                })
                .routing(routing -> routes(routing, routes, config, engine, registry, deadLetters, telemetry, broker))
                .build();
    }

    /**
     * The most a request body may hold before Helidon refuses it at its headers and closes the
     * connection. Routes answer 413 past {@code http.max-body-bytes} themselves; up to this larger
     * bound Helidon then reads the rest of the body and drops it, so that a client still sending
     * it reads the 413 on a connection that stays open. Closing with unread bytes would make the
     * kernel reset the connection, which can destroy the answer before the client reads it
     * (no lingering close in Helidon).
     */
    static long drainLimit(int maxBodyBytes) {
        return Math.max(16L << 20, 4L * maxBodyBytes);
    }

    /** Filters and error handlers go on {@code routing}; every route through {@code table}'s rules, which list it. */
    private static void routes(HttpRouting.Builder routing, RouteTable table, OmsConfig config, Engine engine,
                               PrometheusRegistry registry, DeadLetterQueue deadLetters, Telemetry telemetry,
                               EmbeddedBroker broker) {
        HttpRules rules = table.rules(routing);
        MetricsService metrics = new MetricsService(registry);
        ReplicatedLog cluster = broker == null ? null : broker.cluster().orElse(null);
        Forwarder forwarder = cluster == null ? Forwarder.local(engine)
                : new Forwarder(engine, new ClusterNodes(cluster), cluster.nodeId(),
                        java.time.Duration.ofMillis(config.verdictTimeoutMs() + 10_000));
        if (cluster != null) {
            rules.get("/cluster", (req, res) -> {
                res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/json");
                res.send(ClusterInfo.of(broker).toJson());
            });
        }
        if (telemetry.enabled()) {
            // First, so that the request's span is current for the timing filter (exemplars) and the handlers.
            routing.addFilter(new TracingFilter(telemetry.openTelemetry()));
        }
        routing.addFilter(metrics);
        rules.register("/metrics", metrics)
                .register("/health", new HealthService(() -> engine.caughtUp() && forwarder.everyPartitionLed(),
                        engine::stoppedPartitions))
                .register("/accounts", new AccountService(engine, forwarder))
                .register(new MarketDataService(engine, forwarder))
                .register("/dlq", new DeadLetterService(deadLetters, registry, config.maxBodyBytes()))
                .get("/openapi", (req, res) -> {
                    res.header(io.helidon.http.HeaderNames.CONTENT_TYPE, "application/yaml");
                    try (var in = Oms.class.getResourceAsStream("/openapi.yaml")) {
                        res.send(in.readAllBytes());
                    }
                })
                .register("/orders", new OrderService(engine, config.maxBodyBytes(), config.verdictTimeoutMs(),
                        new OrderMetrics(registry), forwarder))
                .any((req, res) -> {
                    java.util.SortedSet<String> allowed = table.methodsAt(req.path());
                    // A HEAD answer has no content (RFC 9110 9.3.2): bytes sent after it would be read
                    // as the start of the next answer on the connection. No route takes HEAD.
                    boolean head = req.prologue().method() == io.helidon.http.Method.HEAD;
                    if (allowed.isEmpty() && head) {
                        res.status(Status.NOT_FOUND_404).send();
                        return;
                    }
                    if (allowed.isEmpty()) {
                        Problem.of(Status.NOT_FOUND_404, "about:blank", "Not Found",
                                "no resource at " + req.prologue().method().text() + " " + req.path().path()).send(res);
                        return;
                    }
                    String allow = String.join(", ", allowed);
                    res.header(io.helidon.http.HeaderNames.ALLOW, allow);
                    if (req.prologue().method() == io.helidon.http.Method.OPTIONS) {
                        res.status(Status.NO_CONTENT_204).send();
                        return;
                    }
                    if (head) {
                        res.status(Status.METHOD_NOT_ALLOWED_405).send();
                        return;
                    }
                    Problem.of(Status.METHOD_NOT_ALLOWED_405, "about:blank", "Method Not Allowed", req.prologue().method().text()
                            + " is not served at " + req.path().path() + "; it takes " + allow).send(res);
                });
        routing.error(ProblemException.class, (req, res, e) -> e.problem().send(res))
                .error(Exception.class, (req, res, e) -> {
                    LOG.error("{} {} failed", req.prologue().method().text(), req.path().path(), e);
                    boolean read = req.prologue().method() == io.helidon.http.Method.GET;
                    Problem.of(Status.INTERNAL_SERVER_ERROR_500, "about:blank", "Internal Server Error",
                            "the request failed inside the server (" + e.getClass().getSimpleName() + ")"
                                    + (read ? "" : "; nothing was acknowledged") + ". The server log has the details.").send(res);
                });
    }

    /** One process per data directory: two would corrupt each other's files. */
    private static FileChannel lockDataDir(Path data) throws IOException {
        Files.createDirectories(data);
        FileChannel channel = FileChannel.open(data.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
            throw new IOException("data directory " + data + " is in use by another oms process");
        }
        return channel;
    }

    public int httpPort() {
        return server.port();
    }

    /** The routes this process serves, {@code "GET /orders/{id}"}…, as its routing registered them. */
    public java.util.SortedSet<String> routes() {
        return routes.routes();
    }

    /** The embedded Kafka listener's port; -1 when running against an external cluster. */
    public int kafkaPort() {
        return kafka == null ? -1 : kafka.port();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.stop();
        if (deadLetters != null) {
            deadLetters.close();
        }
        if (kafka != null) {
            kafka.close();
            groups.close();
        }
        try {
            if (engine != null) {
                engine.close();
            }
        } catch (IOException e) {
            LOG.error("closing the engine state", e);
        }
        if (broker != null) {
            broker.close();
        }
        if (external != null) {
            external.close();
        }
        telemetry.close();
        try {
            lockFile.close();
        } catch (IOException e) {
            LOG.error("releasing the data directory lock", e);
        }
    }
}
