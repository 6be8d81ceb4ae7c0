package dev.oms.api.http;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import dev.oms.engine.Engine;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.command.ReplaceOrder;
import dev.oms.engine.worker.PartitionStoppedException;
import dev.oms.engine.worker.Verdict;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.streaming.shard.ShardBusyException;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * The order resource, {@code /orders}. {@code POST} validates the order, appends it durably and, by
 * default, answers with the engine's verdict (201 with the order; 200 with the original for a
 * repeated {@code clientOrderId}); with {@code Prefer: respond-async} it answers 202 as soon as
 * the order is durable. {@code GET /orders/{id}} reads one order.
 *
 * <p>Threads: handlers run on Helidon's virtual threads and block while they wait.
 */
public final class OrderService implements HttpService {
    private static final HeaderName PREFER = HeaderNames.create("Prefer");

    private final Engine engine;
    private final int maxBodyBytes;
    private final long verdictTimeoutMs;
    private final OrderMetrics metrics;
    private final Forwarder forwarder;
    /**
     * Per order identity, the first submission not applied yet, completed with its id once durable.
     * A submission that finds one is appended after it and waits for the engine's verdict, which
     * answers it as a repeat of that one (never 202 with an id that would not become an order).
     */
    private final java.util.concurrent.ConcurrentHashMap<ClientOrderKey, CompletableFuture<OrderId>> inFlight =
            new java.util.concurrent.ConcurrentHashMap<>();

    /** An order's identity: a repeated submission of it is answered with the original. */
    private record ClientOrderKey(String account, String symbol, String clientOrderId) {
    }

    public OrderService(Engine engine, int maxBodyBytes, long verdictTimeoutMs, OrderMetrics metrics, Forwarder forwarder) {
        this.metrics = metrics;
        this.forwarder = forwarder;
        this.engine = engine;
        this.maxBodyBytes = maxBodyBytes;
        this.verdictTimeoutMs = verdictTimeoutMs;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::place)
                .get("/", this::list)
                .get("/{id}", this::get)
                .delete("/{id}", this::cancel)
                .patch("/{id}", this::replace);
    }

    private void place(ServerRequest req, ServerResponse res) throws Exception {
        long start = System.nanoTime();
        metrics.received.inc();
        NewOrder command;
        byte[] body;
        try {
            RequestBody.requireJson(req);
            body = RequestBody.read(req, maxBodyBytes);
            command = OrderRequest.parse(body, engine.priceScale());
        } catch (ProblemException e) {
            metrics.invalid.inc();
            throw e;
        }
        if (forwarder.forwarded(req, res, body, engine.partitionOf(command.symbol()))) {
            return;
        }
        // A repeat of an order already applied, or of one submitted and not applied yet, is
        // answered as without the header (200 with the original, or 409): a 202 would name a new
        // id that never becomes an order. A repeat of one on its way to the log is appended after
        // it, so the engine applies that one first.
        ClientOrderKey key = new ClientOrderKey(command.account(), command.symbol(), command.clientOrderId());
        CompletableFuture<OrderId> submission = new CompletableFuture<>();
        CompletableFuture<OrderId> earlier = inFlight.putIfAbsent(key, submission);
        boolean first = earlier == null;
        OrderId original = null; // the earlier submission's id, once durable: the order this one repeats
        boolean async;
        long receivedAt;
        OrderId id;
        try {
            if (!first) {
                original = durableOrNull(earlier);
            }
            async = first && req.headers().first(PREFER)
                    .map(p -> p.toLowerCase(java.util.Locale.ROOT).contains("respond-async")).orElse(false)
                    && engine.byClientOrderId(command.account(), command.symbol(), command.clientOrderId()).isEmpty();
            receivedAt = System.currentTimeMillis();
            id = durable(engine.submit(command, receivedAt));
            submission.complete(id);
        } catch (Throwable notDurable) {
            submission.completeExceptionally(notDurable);
            inFlight.remove(key, submission);
            throw notDurable;
        }
        if (async) {
            releaseWhenApplied(key, submission, id, command);
            metrics.accepted.labelValues("async").inc();
            respond(res, Status.ACCEPTED_202, pending(id, command, receivedAt));
            return;
        }
        Optional<Verdict> answered;
        try {
            answered = awaitVerdict(id, command);
        } catch (RuntimeException | InterruptedException failed) {
            inFlight.remove(key, submission); // stopped or dead-lettered: not to be waited for
            throw failed;
        }
        if (answered.isEmpty()) {
            if (first) {
                releaseWhenApplied(key, submission, id, command);
            }
            // Durable already, so it will be applied: say so rather than fail; a repeat names the order it repeats.
            metrics.accepted.labelValues("async").inc();
            respond(res, Status.ACCEPTED_202, pending(original != null ? original : id, command, receivedAt));
            return;
        }
        inFlight.remove(key, submission);
        Verdict verdict = answered.get();
        metrics.verdictSeconds.observe((System.nanoTime() - start) / 1e9);
        Order order = verdict.order();
        boolean repeat = !order.id().equals(id);
        if ("DUPLICATE_CLIENT_ORDER_ID".equals(verdict.reason())) {
            throw new ProblemException(Problem.of(Status.CONFLICT_409, "/problems/client-order-id-reused",
                    "Client order id reused", "clientOrderId '" + order.clientOrderId() + "' of account '" + order.account()
                            + "' for " + order.symbol() + " is order " + order.id() + ", with other terms; use a new clientOrderId")
                    .withReason(verdict.reason()).withOrderId(order.id().toString()));
        }
        if (!repeat && !verdict.accepted()) {
            metrics.rejected.labelValues(verdict.reason()).inc();
            throw new ProblemException(rejected("Order rejected", order, verdict.reason()));
        }
        metrics.accepted.labelValues(repeat ? "repeat" : "verdict").inc();
        respond(res, repeat ? Status.OK_200 : Status.CREATED_201, order);
    }

    /** GET /orders?account=&symbol=&status=&limit=&after=: a page of orders in id order. */
    private void list(ServerRequest req, ServerResponse res) throws java.io.IOException {
        OrdStatus status = null;
        String statusText = req.query().first("status").orElse(null);
        if (statusText != null) {
            try {
                status = OrdStatus.valueOf(statusText);
            } catch (IllegalArgumentException e) {
                throw new ProblemException(Problem.invalidParameters(java.util.List.of(new Problem.FieldError("status",
                        "must be one of " + java.util.Arrays.toString(OrdStatus.values()) + ", got '" + statusText + "'"))));
            }
        }
        OrderId after = req.query().first("after").map(text -> OrderId.parse(text).orElseThrow(() -> new ProblemException(
                Problem.invalidParameters(java.util.List.of(new Problem.FieldError("after", "must be an order id, got '" + text + "'"))))))
                .orElse(null);
        int limit = MarketDataService.intParam(req, "limit", 100, 1, 1000);
        String account = req.query().first("account").map(MarketDataService::validAccount).orElse(null);
        String symbol = req.query().first("symbol").map(MarketDataService::validSymbol).orElse(null);
        Optional<java.util.List<byte[]>> parts = forwarder.fanOut(req);
        if (parts.isPresent()) {
            res.header(HeaderNames.CONTENT_TYPE, "application/json");
            res.send(mergePages(parts.get(), limit));
            return;
        }
        java.util.List<Order> page = engine.orders(account, symbol, status, after, limit, forwarder.served(req, res));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write("{\"orders\":[".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        for (int i = 0; i < page.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(OrderJson.write(page.get(i), engine.priceScale()));
        }
        String next = page.size() == limit ? "\"" + page.getLast().id() + "\"" : "null";
        out.write(("],\"next\":" + next + "}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
    }

    /** Pages of the same query from every node, each in id order: the first {@code limit} of them all. */
    private static byte[] mergePages(java.util.List<byte[]> pages, int limit) throws IOException {
        java.util.TreeMap<Long, com.fasterxml.jackson.databind.JsonNode> all = new java.util.TreeMap<>();
        for (byte[] page : pages) {
            for (com.fasterxml.jackson.databind.JsonNode order : MAPPER.readTree(page).path("orders")) {
                OrderId.parse(order.path("id").asText()).ifPresent(id -> all.put(id.packed(), order));
            }
        }
        com.fasterxml.jackson.databind.node.ObjectNode merged = MAPPER.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode orders = merged.putArray("orders");
        all.values().stream().limit(limit).forEach(orders::add);
        if (orders.size() == limit) {
            merged.put("next", orders.get(limit - 1).path("id").asText());
        } else {
            merged.putNull("next");
        }
        return MAPPER.writeValueAsBytes(merged);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    private void get(ServerRequest req, ServerResponse res) {
        if (forwarder.forwardedOrCurrent(req, res, null, partitionOf(req))) {
            return;
        }
        respond(res, Status.OK_200, existing(req));
    }

    /** The partition an order id in the path names; -1 when it is no order id (answered as unknown here). */
    private int partitionOf(ServerRequest req) {
        return OrderId.parse(req.path().pathParameters().get("id")).map(OrderId::partition)
                .filter(p -> p < engine.partitionCount()).orElse(-1);
    }

    /** DELETE /orders/{id}: cancels the open quantity; 422 when the order is no longer open. */
    private void cancel(ServerRequest req, ServerResponse res) throws Exception {
        if (forwarder.forwardedOrCurrent(req, res, null, partitionOf(req))) {
            return;
        }
        Order order = existing(req);
        decide(res, new CancelOrder(order.id(), order.account(), order.symbol()), "Cancel rejected");
    }

    /** PATCH /orders/{id} with {@code price} and/or {@code quantity} (the new total): a cancel/replace. */
    private void replace(ServerRequest req, ServerResponse res) throws Exception {
        // In a cluster the body is read first: the request may be forwarded with it.
        byte[] body = forwarder.clustered() ? jsonBody(req) : null;
        if (forwarder.forwardedOrCurrent(req, res, body, partitionOf(req))) {
            return;
        }
        Order order = existing(req);
        ReplaceRequest change = ReplaceRequest.parse(body != null ? body : jsonBody(req), engine.priceScale());
        decide(res, new ReplaceOrder(order.id(), order.account(), order.symbol(),
                change.priceTicks() > 0 ? change.priceTicks() : order.priceTicks(),
                change.quantity() > 0 ? change.quantity() : order.quantity()), "Replace rejected");
    }

    private void decide(ServerResponse res, OrderCommand command, String refusedTitle) throws Exception {
        OrderId id = durable(engine.submit(command, System.currentTimeMillis()));
        Verdict verdict = awaitVerdict(id, command).orElseThrow(() -> new ProblemException(Problem.of(
                Status.SERVICE_UNAVAILABLE_503, "/problems/busy", "Busy", "the request is durable but the engine did not "
                        + "answer within " + verdictTimeoutMs + " ms; read the order again")));
        if (!verdict.accepted()) {
            throw new ProblemException(rejected(refusedTitle, verdict.order(), verdict.reason()));
        }
        respond(res, Status.OK_200, verdict.order());
    }

    /**
     * The engine's verdict on the durable command at {@code id}, or empty when it does not come
     * within the verdict timeout; a command that could not be processed is a 500 naming the DLT.
     */
    private Optional<Verdict> awaitVerdict(OrderId id, OrderCommand command) throws InterruptedException {
        try {
            return Optional.of(engine.verdict(id, command).get(verdictTimeoutMs, TimeUnit.MILLISECONDS));
        } catch (ExecutionException e) {
            if (e.getCause() instanceof PartitionStoppedException stopped) {
                throw partitionStopped(id, stopped.getMessage());
            }
            if (e.getCause() instanceof dev.oms.engine.worker.PartitionMovedException) {
                return Optional.empty(); // durable: the partition's new leader applies it
            }
            throw deadLettered(id, e.getCause());
        } catch (TimeoutException e) {
            engine.forgetVerdict(id);
            return Optional.empty();
        }
    }

    /** The command is durable, but the engine stopped applying its partition until a restart rebuilds it. */
    private static ProblemException partitionStopped(OrderId id, String reason) {
        return new ProblemException(Problem.partitionStopped("the request is durable as " + id + " and will be applied"
                + " once oms restarts and rebuilds the partition (" + reason + "); GET it then").withOrderId(id.toString()));
    }

    /** The command is durable but could not be processed: it went to the dead-letter topic. */
    private static ProblemException deadLettered(OrderId id, Throwable cause) {
        return new ProblemException(Problem.of(Status.INTERNAL_SERVER_ERROR_500, "/problems/dead-lettered",
                "Not processed", "the request is durable as " + id + " but could not be processed (" + cause.getMessage()
                        + "); it is in the dead-letter topic, see GET /dlq").withReason("DEAD_LETTERED")
                .withOrderId(id.toString()));
    }

    private Order existing(ServerRequest req) {
        String text = req.path().pathParameters().get("id");
        Optional<OrderId> id = OrderId.parse(text);
        return id.flatMap(engine::order).orElseThrow(() -> {
            int partition = id.map(OrderId::partition).orElse(-1);
            if (partition >= 0 && partition < engine.partitionCount() && engine.stopped(partition)) {
                return new ProblemException(Problem.partitionStopped(partition)); // it may be a command not applied yet
            }
            return new ProblemException(Problem.of(Status.NOT_FOUND_404, "/problems/order-not-found", "Order not found",
                    "no order has the id '" + text + "' (a done order leaves the store when its partition's next"
                            + " trading day begins; its history stays on order-events)"));
        });
    }

    /** 422: a business rule said no. The reason is a stable code; the order shows its state. */
    private static Problem rejected(String title, Order order, String reason) {
        Problem problem = Problem.of(Status.UNPROCESSABLE_CONTENT_422, "/problems/rejected", title,
                reason + (order == null ? "" : " (order " + order.id() + ")")).withReason(reason);
        return order == null ? problem : problem.withOrderId(order.id().toString());
    }

    private void respond(ServerResponse res, Status status, Order order) {
        res.status(status);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.header(HeaderNames.LOCATION, "/orders/" + order.id());
        res.send(OrderJson.write(order, engine.priceScale()));
    }

    /**
     * Keeps the submission in flight until the engine has applied it (or no longer will here): a
     * repeat meanwhile is appended after it and answered as its repeat.
     */
    private void releaseWhenApplied(ClientOrderKey key, CompletableFuture<OrderId> submission, OrderId id, OrderCommand command) {
        engine.verdict(id, command).whenComplete((verdict, failure) -> inFlight.remove(key, submission));
    }

    /** The id of an earlier submission once it is durable; null if it fails or takes longer than a verdict may. */
    private OrderId durableOrNull(CompletableFuture<OrderId> earlier) throws InterruptedException {
        try {
            return earlier.get(verdictTimeoutMs, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException notDurable) {
            return null; // this submission goes on, answered by its own verdict
        }
    }

    private static Order pending(OrderId id, NewOrder c, long receivedAt) {
        return new Order(id, c.account(), c.clientOrderId(), c.symbol(), c.side(), c.type(), c.timeInForce(),
                c.priceTicks(), c.quantity(), 0, OrdStatus.PENDING_NEW, receivedAt, id.offset(), null);
    }

    /**
     * Waits until the command is durable. When the log does not confirm it — a full shard, a
     * cluster that does not answer in time, a disk that refuses the write — the answer is 503 with
     * Retry-After. Nothing was acknowledged, but a timed-out write may still land: a placement
     * retried with the same clientOrderId is applied once; a cancel or replace is best retried
     * after reading the order.
     */
    private static OrderId durable(java.util.concurrent.CompletableFuture<OrderId> append) throws Exception {
        try {
            return append.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof ShardBusyException || cause instanceof org.apache.kafka.common.errors.RetriableException
                    || cause instanceof IOException || cause instanceof java.io.UncheckedIOException) {
                throw new ProblemException(Problem.of(Status.SERVICE_UNAVAILABLE_503, "/problems/log-unavailable",
                        "Log unavailable", "the log did not confirm the write (" + cause.getMessage()
                                + "); nothing was acknowledged. Retry: an order placed again with the same clientOrderId"
                                + " is applied once; for a cancel or replace, read the order first").withRetryAfter(1));
            }
            throw cause instanceof Exception exception ? exception : e;
        }
    }

    private byte[] jsonBody(ServerRequest req) throws IOException {
        RequestBody.requireJson(req);
        return RequestBody.read(req, maxBodyBytes);
    }
}
