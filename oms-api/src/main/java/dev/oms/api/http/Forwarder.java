package dev.oms.api.http;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import dev.oms.engine.Engine;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Where an HTTP request is served in a cluster. A request about one {@code orders} partition (an
 * order, a symbol's book, a new order for a symbol) is served by the node whose engine applies the
 * partition, its Raft leader: another node forwards it there and relays the answer. A query over
 * every partition (the order list, an account's positions) is asked of every node, each answering
 * for the partitions it serves, and the answers merged. On one node nothing is forwarded.
 *
 * <p>A forwarded request carries {@link #FORWARDED}; a node that gets one for a partition it does
 * not lead (leadership moved on the way) answers 503 rather than forward it again.
 *
 * <p>Threads: any request thread; it blocks while the other node answers.
 */
public final class Forwarder {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Forwarder.class);
    /** Marks a request one node sent another: serve it here, do not forward it again. */
    public static final HeaderName FORWARDED = HeaderNames.create("Oms-Forwarded");
    /** On a node-local answer to a fan-out query: the partitions it covers. */
    public static final HeaderName PARTITIONS = HeaderNames.create("Oms-Partitions");
    private static final List<HeaderName> REQUEST_HEADERS = List.of(HeaderNames.CONTENT_TYPE, HeaderNames.ACCEPT,
            HeaderNames.create("Prefer"), HeaderNames.create("traceparent"), HeaderNames.create("tracestate"));
    private static final List<String> RESPONSE_HEADERS = List.of("Content-Type", "Location", "Retry-After");

    /** The HTTP base address ({@code http://host:port}, no path) of a cluster's nodes. */
    public interface Nodes {
        /** The node leading {@code orders-partition}, if one is elected. */
        Optional<URI> leaderOf(int partition);

        /** Every node of the cluster. */
        List<URI> all();
    }

    private final Engine engine;
    private final Nodes nodes;
    private final int selfId;
    private final Duration timeout;
    private final HttpClient http;

    /** {@code nodes}: null on a single node. {@code timeout}: how long another node may take to answer. */
    public Forwarder(Engine engine, Nodes nodes, int selfId, Duration timeout) {
        this.engine = engine;
        this.nodes = nodes;
        this.selfId = selfId;
        this.timeout = timeout;
        this.http = nodes == null ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2)).build();
    }

    /** For one node: serves everything here. */
    public static Forwarder local(Engine engine) {
        return new Forwarder(engine, null, 0, Duration.ZERO);
    }

    /** True on a node of a cluster. */
    public boolean clustered() {
        return nodes != null;
    }

    /** True when the request came from another node (a forward or a node-local fan-out query). */
    private static boolean fromPeer(ServerRequest req) {
        return req.headers().contains(FORWARDED);
    }

    /**
     * Forwards the request to the leader of {@code partition} and relays its answer, unless this
     * node applies the partition (or runs alone): then it returns false and the caller serves it.
     * {@code body}: the request's body, already read (null for none).
     */
    public boolean forwarded(ServerRequest req, ServerResponse res, byte[] body, int partition) {
        if (!forwards(partition)) {
            return false;
        }
        forward(req, res, body, partition);
        return true;
    }

    /**
     * Like {@link #forwarded}, for a request that reads the partition's state (an order, a book,
     * a cancel or replace of an order): on a cluster node that leads the partition but is still
     * replaying what the previous leader applied, 503 rather than an answer from old state.
     */
    public boolean forwardedOrCurrent(ServerRequest req, ServerResponse res, byte[] body, int partition) {
        if (forwarded(req, res, body, partition)) {
            return true;
        }
        if (nodes != null && partition >= 0 && !engine.serves(partition)) {
            throw moving(partition, "it is catching up with what the previous leader applied");
        }
        return false;
    }

    /** True on one node; on a cluster node, once every orders partition has a leader (readiness). */
    public boolean everyPartitionLed() {
        if (nodes == null) {
            return true;
        }
        for (int p = 0; p < engine.partitionCount(); p++) {
            if (!engine.leads(p) && nodes.leaderOf(p).isEmpty()) {
                return false;
            }
        }
        return true;
    }

    /** True when a request about {@code partition} (-1: none) is served by another node. */
    private boolean forwards(int partition) {
        return nodes != null && partition >= 0 && !engine.leads(partition);
    }

    /** Sends the request to the leader of {@code partition} and relays its answer. */
    private void forward(ServerRequest req, ServerResponse res, byte[] body, int partition) {
        if (fromPeer(req)) {
            throw moving(partition, "its leadership moved while the request was on its way");
        }
        URI leader = nodes.leaderOf(partition).orElseThrow(() -> moving(partition, "it has no leader now (an election)"));
        HttpResponse<byte[]> answer;
        try {
            answer = http.send(request(req, leader, body), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw unreachable(partition, leader, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw unreachable(partition, leader, e);
        }
        res.status(Status.create(answer.statusCode()));
        for (String name : RESPONSE_HEADERS) {
            answer.headers().firstValue(name).ifPresent(value -> res.header(HeaderNames.create(name), value));
        }
        res.send(answer.body());
    }

    /**
     * A query over every partition: asks every node (each answers for the partitions it serves,
     * see {@link #served}) and hands their bodies to the caller to merge. Empty on a single node
     * and for a request that is itself one node's part: the caller answers from here.
     */
    public Optional<List<byte[]>> fanOut(ServerRequest req) {
        if (nodes == null || fromPeer(req)) {
            return Optional.empty();
        }
        List<CompletableFuture<HttpResponse<byte[]>>> asked = new ArrayList<>();
        List<URI> all = nodes.all();
        for (URI node : all) {
            asked.add(http.sendAsync(request(req, node, null), HttpResponse.BodyHandlers.ofByteArray()));
        }
        BitSet covered = new BitSet();
        List<byte[]> parts = new ArrayList<>();
        for (int i = 0; i < asked.size(); i++) {
            try {
                HttpResponse<byte[]> part = asked.get(i).join();
                if (part.statusCode() == 200) {
                    part.headers().firstValue(PARTITIONS.defaultCase()).ifPresent(list -> {
                        for (String p : list.split(",")) {
                            if (!p.isBlank()) {
                                covered.set(Integer.parseInt(p.trim()));
                            }
                        }
                    });
                    parts.add(part.body());
                } else {
                    LOG.debug("{} answered {} with {}: {}", all.get(i), req.path().absolute().path(), part.statusCode(),
                            new String(part.body(), java.nio.charset.StandardCharsets.UTF_8));
                }
            } catch (RuntimeException e) {
                // A node down: its partitions are covered by their new leaders, or not at all (below).
                LOG.debug("{} did not answer {}: {}", all.get(i), req.path().absolute().path(), e.toString());
            }
        }
        if (covered.cardinality() < engine.partitionCount()) {
            BitSet missing = new BitSet();
            missing.set(0, engine.partitionCount());
            missing.andNot(covered);
            throw moving("no node serves orders partitions " + missing + " right now (a leader being elected or"
                    + " catching up); retry");
        }
        return Optional.of(parts);
    }

    /**
     * For a node's part of a fan-out query: the partitions it answers for (those it leads, caught
     * up), named in the answer's {@link #PARTITIONS} header. Every partition on a single node.
     */
    public java.util.function.IntPredicate served(ServerRequest req, ServerResponse res) {
        if (nodes == null || !fromPeer(req)) {
            return p -> true;
        }
        StringBuilder list = new StringBuilder();
        BitSet served = new BitSet();
        for (int p = 0; p < engine.partitionCount(); p++) {
            if (engine.serves(p)) {
                served.set(p);
                list.append(list.isEmpty() ? "" : ",").append(p);
            }
        }
        res.header(PARTITIONS, list.toString());
        return served::get;
    }

    private HttpRequest request(ServerRequest req, URI node, byte[] body) {
        String query = req.query().rawValue();
        HttpRequest.Builder out = HttpRequest.newBuilder(URI.create(node + req.path().absolute().rawPath()
                        + (query == null || query.isEmpty() ? "" : "?" + query)))
                .timeout(timeout)
                .header(FORWARDED.defaultCase(), Integer.toString(selfId))
                .method(req.prologue().method().text(), body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        for (HeaderName name : REQUEST_HEADERS) {
            req.headers().first(name).ifPresent(value -> out.header(name.defaultCase(), value));
        }
        return out.build();
    }

    private static ProblemException moving(int partition, String why) {
        return moving("orders-" + partition + " is not served here and " + why + "; retry");
    }

    /** 503 with Retry-After: a partition's leadership is moving, which takes a few seconds. */
    private static ProblemException moving(String detail) {
        return new ProblemException(Problem.of(Status.SERVICE_UNAVAILABLE_503, "/problems/partition-moving",
                "Partition moving", detail).withRetryAfter(1).withReason("PARTITION_MOVING"));
    }

    private static ProblemException unreachable(int partition, URI leader, Exception e) {
        return moving(partition, "its leader, " + leader + ", did not answer (" + e + "): an order placed again with the"
                + " same clientOrderId is applied once, for a cancel or replace read the order first");
    }
}
