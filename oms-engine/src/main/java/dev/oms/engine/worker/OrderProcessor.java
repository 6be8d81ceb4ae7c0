package dev.oms.engine.worker;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.oms.engine.book.BookListener;
import dev.oms.engine.book.BookResult;
import dev.oms.engine.book.CancelReason;
import dev.oms.engine.book.OrderBook;
import dev.oms.engine.command.CancelOrder;
import dev.oms.engine.command.Command;
import dev.oms.engine.command.CommandCodec;
import dev.oms.engine.command.OrderCommand;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.command.ReplaceOrder;
import dev.oms.engine.command.SetRules;
import dev.oms.engine.event.EventCodec;
import dev.oms.engine.log.OrderLog;
import dev.oms.engine.log.Topics;
import dev.oms.engine.order.OrdStatus;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.risk.RejectReason;
import dev.oms.engine.risk.RiskCheck;
import dev.oms.engine.state.OpenOrders;
import dev.oms.engine.state.RulesHistory;
import dev.oms.engine.state.WorkingState;
import org.agrona.collections.LongHashSet;

/**
 * Applies commands to the state, one partition at a time and in offset order: risk, then the
 * symbol's book, then the orders, positions and output records the book's events call for. A pure
 * function of the store and the record: no clock (time is the record's), no randomness, no
 * hash-order iteration. Applying a NewOrder again (a replay) finds the order and changes nothing.
 *
 * <p>Risk limits on open orders and positions apply per account and symbol, and a repeated
 * clientOrderId is one of the same symbol, and the rules (limits, self-trade prevention) are those
 * the partition's last {@link SetRules} record set, so every input of a decision lives in the
 * command's own partition and a replay decides the same.
 *
 * <p>Threads: one engine worker, which owns the partitions of every book here.
 */
final class OrderProcessor implements BookListener {
    private final WorkingState store;
    private final OrderLog log;
    private final EventCodec events;
    /** Where each partition's rules records are noted as they are applied (a resume reads them back). */
    private final RulesHistory rulesHistory;
    private final CommandCodec codec;
    /** Per partition, the rules in effect: the last {@link SetRules} applied, else {@link SetRules#INITIAL}. */
    private final org.agrona.collections.Int2ObjectHashMap<SetRules> rulesByPartition = new org.agrona.collections.Int2ObjectHashMap<>();
    /** The rules of the command being applied (its partition's). */
    private SetRules rules = SetRules.INITIAL;
    private final EngineStats stats;
    private final Map<String, OrderBook> books = new HashMap<>();
    private final Map<String, Long> lastDayBySymbol = new HashMap<>();
    /** Orders resting in a book, which count toward their account's open orders. */
    private LongHashSet resting = new LongHashSet();
    private static final int NO_HOME = -1;
    /** Each symbol's partition (murmur2 of it, modulo the count), as the commands' check needs it. */
    private final org.agrona.collections.Object2IntHashMap<String> homes = new org.agrona.collections.Object2IntHashMap<>(NO_HOME);
    /** By account and symbol ({@link #accountSymbol}), the resting orders; none stored empty. */
    private final Map<String, Exposure> exposures = new HashMap<>();

    /**
     * An account's resting orders in a symbol: how many (the open-order limit), and what they would
     * still buy and sell (the position limit counts them as filled).
     */
    private static final class Exposure {
        int orders;
        long buying;
        long selling;
    }

    /** Output records appended but not yet known durable. */
    private final java.util.List<java.util.concurrent.CompletableFuture<Long>> published = new java.util.ArrayList<>();

    /** Per partition, the offset below which output records were published before a rebuild. */
    private final org.agrona.collections.Int2ObjectHashMap<Long> publishFrom = new org.agrona.collections.Int2ObjectHashMap<>();

    // The command being applied: output records are stamped with its coordinates.
    private int partition;
    private long offset;
    private long timestamp;
    private int sequence;

    OrderProcessor(WorkingState store, OrderLog log, EventCodec events, RulesHistory rulesHistory, CommandCodec codec,
                   EngineStats stats) {
        this.stats = stats;
        this.store = store;
        this.log = log;
        this.events = events;
        this.rulesHistory = rulesHistory;
        this.codec = codec;
    }

    /**
     * The rules in effect where {@code partition} resumes ({@code offset}, its checkpoint): the last
     * rules record before it. Before the books are restored, which take their self-trade prevention.
     */
    void resumeRules(int partition, long offset) {
        SetRules resumed = rulesHistory.resumeAt(partition, offset)
                .map(entry -> (SetRules) codec.decode(entry.value())).orElse(SetRules.INITIAL);
        inEffect(partition, resumed);
    }

    /** The rules in effect in {@code partition} after what was applied. */
    SetRules rules(int partition) {
        SetRules in = rulesByPartition.get(partition);
        return in == null ? SetRules.INITIAL : in;
    }

    /** From the record at {@code offset} on, {@code partition}'s commands are decided by {@code next}. */
    private Verdict setRules(int partition, long offset, SetRules next) {
        rulesApplied.add(new RulesApplied(partition, offset, codec.encode(next)));
        inEffect(partition, next);
        return new Verdict(null, null);
    }

    /** A rules record applied in the batch being applied, to be noted in the history when the batch is written. */
    record RulesApplied(int partition, long offset, byte[] value) {
    }

    private java.util.List<RulesApplied> rulesApplied = new java.util.ArrayList<>();

    /**
     * The rules records applied since the last call. The worker notes them in the history with the
     * batch's state (a failure there stops the partition like any failed write of its state, rather
     * than sending the record to the dead-letter topic, which a replay would not do) or, when the
     * batch does not stick, drops them.
     */
    java.util.List<RulesApplied> takeRulesApplied() {
        if (rulesApplied.isEmpty()) {
            return java.util.List.of();
        }
        java.util.List<RulesApplied> taken = rulesApplied;
        rulesApplied = new java.util.ArrayList<>();
        return taken;
    }

    /** Notes in the history, ahead of the checkpoint, the rules records a batch applied. */
    void noteRules(java.util.List<RulesApplied> applied) {
        for (RulesApplied a : applied) {
            rulesHistory.applied(a.partition(), a.offset(), a.value());
        }
    }

    private void inEffect(int partition, SetRules next) {
        rulesByPartition.put(partition, next);
        for (OrderBook book : books.values()) {
            if (home(book.symbol()) == partition) {
                book.selfTradePrevention(next.selfTradePrevention());
            }
        }
    }

    /** The symbol's partition: murmur2 of it, modulo the count (Kafka's default partitioner). */
    private int home(String symbol) {
        int home = homes.getValue(symbol);
        if (home == NO_HOME) { // once a symbol: no bytes and no hash per command
            home = log.partitionFor(symbol.getBytes(StandardCharsets.UTF_8));
            homes.put(symbol, home);
        }
        return home;
    }

    /** Puts the open orders of {@code partitions} back into their books, in queue order. */
    void restore(int[] partitions) {
        java.util.Collection<OpenOrders> restored = store.restore(partitions).values();
        if (resting.isEmpty()) { // sized once, not rehashed a score of times over millions of orders
            resting = new LongHashSet(OrderBook.slotsFor(restored.stream().mapToLong(OpenOrders::size).sum()));
        }
        for (OpenOrders open : restored) {
            restore(open);
        }
    }

    private void restore(OpenOrders open) {
        // A first pass counts, by the ids OpenOrders gives its strings: orders per symbol (to size
        // each book's key map once) and per account and symbol (the open-order counts).
        org.agrona.collections.Int2IntHashMap perSymbol = new org.agrona.collections.Int2IntHashMap(0);
        org.agrona.collections.Long2LongHashMap perAccountSymbol = new org.agrona.collections.Long2LongHashMap(0);
        org.agrona.collections.Long2LongHashMap buying = new org.agrona.collections.Long2LongHashMap(0);
        org.agrona.collections.Long2LongHashMap selling = new org.agrona.collections.Long2LongHashMap(0);
        for (int i = 0; i < open.size(); i++) {
            perSymbol.merge(open.symbolId(i), 1, Integer::sum);
        }
        perSymbol.forEachInt((symbolId, count) -> book(open.string(symbolId)).reserve(count));
        int symbolId = -1;
        OrderBook book = null;
        for (int i = 0; i < open.size(); i++) {
            if (open.symbolId(i) != symbolId) { // orders of a symbol come in runs: look its book up once a run
                symbolId = open.symbolId(i);
                book = book(open.string(symbolId));
            }
            long key = open.key(i);
            BookResult result = book.restore(key, open.account(i), open.side(i), open.timeInForce(i),
                    open.priceTicks(i), open.quantity(i), open.filledQuantity(i), open.createdAt(i));
            if (result == BookResult.OK) {
                resting.add(key);
                long pair = (long) open.accountId(i) << 32 | symbolId;
                perAccountSymbol.merge(pair, 1, Long::sum);
                (open.side(i) == Side.BUY ? buying : selling).merge(pair, open.quantity(i) - open.filledQuantity(i), Long::sum);
            }
        }
        perAccountSymbol.forEachLong((pair, count) -> {
            String account = open.string((int) (pair >>> 32));
            String symbol = open.string((int) pair);
            adjustExposure(account, symbol, (int) count, Side.BUY, buying.get(pair));
            adjustExposure(account, symbol, 0, Side.SELL, selling.get(pair));
        });
    }


    /**
     * Puts the books of {@code partition} back as the store has them (its last checkpoint): after a
     * batch was applied here but did not stick, its partition having moved to another node.
     */
    void reload(int partition) {
        java.util.function.Predicate<String> inPartition = symbol ->
                log.partitionFor(symbol.getBytes(StandardCharsets.UTF_8)) == partition;
        books.keySet().removeIf(inPartition);
        lastDayBySymbol.keySet().removeIf(inPartition);
        exposures.keySet().removeIf(key -> inPartition.test(key.substring(key.lastIndexOf('\u0000') + 1)));
        for (var ids = resting.iterator(); ids.hasNext(); ) {
            if (OrderId.unpack(ids.nextValue()).partition() == partition) {
                ids.remove();
            }
        }
        restore(new int[] {partition});
    }

    /** Completes when every output record published since the last call is durable (or one failed). */
    java.util.concurrent.CompletableFuture<Void> takePublished() {
        var all = java.util.concurrent.CompletableFuture.allOf(published.toArray(java.util.concurrent.CompletableFuture[]::new));
        published.clear();
        return all;
    }

    /**
     * Output records already on the log, per partition: {offset, sequence} of the last one on
     * {@code order-events}, then on {@code trades}. A command applied again (a new leader resuming
     * from its checkpoint, a restart after a crash) publishes only the records that come after.
     */
    private final org.agrona.collections.Int2ObjectHashMap<long[]> lastOut = new org.agrona.collections.Int2ObjectHashMap<>();
    private static final int EVENTS = 0;
    private static final int TRADES = 2;

    /** The ids of the last records of the partition's order-events and trades (null when none). */
    void resumeAfter(int partition, String lastEventId, String lastTradeId) {
        long[] last = {-1, -1, -1, -1};
        parseId(lastEventId, partition, last, EVENTS);
        parseId(lastTradeId, partition, last, TRADES);
        lastOut.put(partition, last);
    }

    /** An output id is {@code partition-offset-sequence} (see {@link #nextId}). */
    private static void parseId(String id, int partition, long[] into, int at) {
        if (id == null) {
            return;
        }
        String[] parts = id.split("-");
        if (parts.length == 3 && parts[0].equals(Integer.toString(partition))) {
            try {
                into[at] = Long.parseLong(parts[1]);
                into[at + 1] = Long.parseLong(parts[2]);
            } catch (NumberFormatException e) {
                // not ours: publish everything
            }
        }
    }

    /** True when the output record numbered {@code sequence} of the current command is on {@code output} already. */
    private boolean out(int output, int sequence) {
        long[] last = lastOut.get(partition);
        return last != null && (offset < last[output] || offset == last[output] && sequence <= last[output + 1]);
    }

    /** While the partition replays up to {@code offset}, its output records are not published again. */
    void publishFrom(int partition, long offset) {
        publishFrom.put(partition, Long.valueOf(offset));
    }

    Verdict apply(int partition, long offset, long timestamp, Command any) {
        if (any instanceof SetRules next) {
            return setRules(partition, offset, next);
        }
        OrderCommand command = (OrderCommand) any;
        int home = home(command.symbol());
        if (home != partition) {
            // A client with another partitioner (librdkafka's default is CRC32): applied here, the
            // symbol would have a second book, which the first never meets.
            throw new dev.oms.engine.command.PoisonRecordException("a command for " + command.symbol() + " on orders-"
                    + partition + ", which belongs on orders-" + home + " (murmur2 of the symbol, Kafka's default"
                    + " partitioner; librdkafka clients such as kcat need -X partitioner=murmur2_random)", null);
        }
        this.partition = partition;
        this.offset = offset;
        this.timestamp = timestamp;
        this.sequence = 0;
        this.rules = rules(partition);
        expireDayOrders(command.symbol());
        return switch (command) {
            case NewOrder order -> place(order);
            case CancelOrder cancel -> cancel(cancel);
            case ReplaceOrder replace -> replace(replace);
        };
    }

    private Verdict place(NewOrder command) {
        OrderId id = new OrderId(partition, offset);
        Optional<Order> original = store.byClientOrderId(command.account(), command.symbol(), command.clientOrderId()).flatMap(store::order);
        if (original.isPresent()) {
            // A repeated submit (or the replay of this very record) returns the original order, as it
            // is now; the same client order id with other terms than it was placed with (a replace
            // since does not count) is a client's mistake, refused with the original.
            Order o = original.get();
            boolean same = o.id().equals(id) || (o.symbol().equals(command.symbol()) && o.side() == command.side()
                    && o.type() == command.type() && o.timeInForce() == command.timeInForce()
                    && o.placedPriceTicks() == command.priceTicks() && o.placedQuantity() == command.quantity());
            return new Verdict(o, same ? null : "DUPLICATE_CLIENT_ORDER_ID");
        }
        OrderBook book = book(command.symbol());
        Order order = new Order(id, command.account(), command.clientOrderId(), command.symbol(), command.side(),
                command.type(), command.timeInForce(), command.priceTicks(), command.quantity(), 0, OrdStatus.NEW,
                timestamp, offset, null);
        Exposure exposure = exposures.get(accountSymbol(command.account(), command.symbol()));
        RejectReason risk = RiskCheck.check(rules.risk(), command.side(), command.type(), command.priceTicks(),
                command.quantity(), reference(book, command.side()), exposure == null ? 0 : exposure.orders,
                worstPosition(store.position(command.account(), command.symbol()), exposure, command.side(), 0));
        // Room is claimed where the order is saved: nothing between the two can fail and leave the
        // partition's count one above what a restore would find.
        store.claimRoomForOrder(partition);
        if (risk != RejectReason.OK) {
            Order rejected = order.withStatus(OrdStatus.REJECTED, risk.name());
            save(rejected);
            store.indexClientOrderId(command.account(), command.symbol(), command.clientOrderId(), id);
            report("Rejected", rejected, 0, 0, risk.name());
            return new Verdict(rejected, risk.name());
        }
        // Order first, index second: a crash between the two replays into the same state.
        save(order);
        store.indexClientOrderId(command.account(), command.symbol(), command.clientOrderId(), id);
        report("Accepted", order, 0, 0, null);
        book.submit(id.packed(), command.account(), command.side(), command.type(), command.timeInForce(),
                command.priceTicks(), command.quantity(), timestamp);
        return new Verdict(store.order(id).orElseThrow(), null);
    }

    /**
     * The order a cancel or replace names, if it is the account's and of the command's symbol: a
     * command of another symbol (on another partition, for a client with its own partitioner)
     * would change a book this partition does not own.
     */
    private Optional<Order> ownOrder(OrderId id, String account, String symbol) {
        return store.order(id).filter(o -> o.account().equals(account) && o.symbol().equals(symbol));
    }

    /** A cancel or replace of an order whose placement was dead-lettered must not overtake it. */
    private void requireNotDeadLettered(OrderId id) {
        if (store.order(id).isEmpty() && store.isDeadLettered(id)) {
            throw new dev.oms.deadletter.PermanentFailure(dev.oms.deadletter.FailureReason.DEPENDS_ON_DEAD_LETTERED,
                    "order " + id + " was dead-lettered; this command waits with it", null);
        }
    }

    private Verdict cancel(CancelOrder command) {
        requireNotDeadLettered(command.orderId());
        Optional<Order> found = ownOrder(command.orderId(), command.account(), command.symbol());
        if (found.isEmpty()) {
            return new Verdict(null, "UNKNOWN_ORDER");
        }
        Order order = found.get();
        if (!resting.contains(order.id().packed())) {
            report("CancelRejected", order, 0, 0, "TOO_LATE_TO_CANCEL");
            return new Verdict(order, "TOO_LATE_TO_CANCEL");
        }
        book(order.symbol()).cancel(order.id().packed());
        return new Verdict(store.order(order.id()).orElseThrow(), null);
    }

    private Verdict replace(ReplaceOrder command) {
        requireNotDeadLettered(command.orderId());
        Optional<Order> found = ownOrder(command.orderId(), command.account(), command.symbol());
        if (found.isEmpty()) {
            return new Verdict(null, "UNKNOWN_ORDER");
        }
        Order order = found.get();
        String refusal = null;
        if (!resting.contains(order.id().packed())) {
            refusal = "TOO_LATE_TO_REPLACE";
        } else if (order.type() != OrderType.LIMIT) {
            refusal = "NOT_REPLACEABLE";
        } else if (command.quantity() <= order.filledQuantity()) {
            refusal = BookResult.QUANTITY_AT_OR_BELOW_FILLED.name(); // before the risk check, which sees no quantity left
        } else {
            OrderBook book = book(order.symbol());
            Exposure exposure = exposures.get(accountSymbol(order.account(), order.symbol())); // the order's among them
            RejectReason risk = RiskCheck.check(rules.risk(), order.side(), OrderType.LIMIT, command.priceTicks(),
                    command.quantity() - order.filledQuantity(), reference(book, order.side()), exposure.orders - 1,
                    worstPosition(store.position(order.account(), order.symbol()), exposure, order.side(),
                            order.leavesQuantity()));
            if (risk != RejectReason.OK) {
                refusal = risk.name();
            } else {
                BookResult result = book.replace(order.id().packed(), command.priceTicks(), command.quantity());
                if (result != BookResult.OK) {
                    refusal = result.name();
                }
            }
        }
        if (refusal != null) {
            report("CancelRejected", order, 0, 0, refusal);
            return new Verdict(order, refusal);
        }
        return new Verdict(store.order(order.id()).orElseThrow(), null);
    }

    /** DAY orders expire at the first command of a new trading day on their symbol. */
    private void expireDayOrders(String symbol) {
        long day = dev.oms.engine.order.TradingDay.of(timestamp);
        Long last = lastDayBySymbol.put(symbol, day);
        if (last == null || last < day) {
            OrderBook book = books.get(symbol);
            if (book != null) {
                book.expireDayOrders(dev.oms.engine.order.TradingDay.start(day));
            }
        }
    }

    // ---- the book's events ---------------------------------------------------------------------

    @Override
    public void onTrade(long aggressorKey, long restingKey, Side aggressorSide, long priceTicks, long quantity,
                        long aggressorLeaves, long restingLeaves) {
        Order aggressor = order(aggressorKey).withFill(quantity);
        Order restingOrder = order(restingKey).withFill(quantity);
        save(aggressor);
        save(restingOrder);
        adjustExposure(restingOrder.account(), restingOrder.symbol(), 0, restingOrder.side(), -quantity);
        if (restingLeaves == 0) {
            leaveBook(restingOrder);
        }
        Order buy = aggressorSide == Side.BUY ? aggressor : restingOrder;
        Order sell = aggressorSide == Side.BUY ? restingOrder : aggressor;
        store.addPosition(buy.account(), buy.symbol(), quantity);
        store.addPosition(sell.account(), sell.symbol(), -quantity);
        int tradeSequence = sequence;
        String tradeId = nextId();
        if (publishing() && !out(TRADES, tradeSequence)) {
            stats.onTrade();
            if (aggressorLeaves == 0) {
                stats.onFilled();
            }
            if (restingLeaves == 0) {
                stats.onFilled();
            }
            published.add(log.publish(Topics.TRADES, partition, buy.symbol().getBytes(StandardCharsets.UTF_8),
                    events.trade(tradeId, buy.symbol(), priceTicks, quantity, buy.id().toString(), sell.id().toString(),
                            aggressorSide, timestamp), timestamp, Map.of()));
        }
        report("Trade", aggressor, quantity, priceTicks, null);
        report("Trade", restingOrder, quantity, priceTicks, null);
    }

    @Override
    public void onRested(long orderKey, Side side, long priceTicks, long leavesQuantity) {
        Order order = order(orderKey);
        resting.add(orderKey);
        adjustExposure(order.account(), order.symbol(), 1, side, leavesQuantity);
    }

    @Override
    public void onReplaced(long orderKey, long priceTicks, long quantity, long leavesQuantity, boolean keptPriority) {
        Order order = order(orderKey);
        if (!keptPriority) {
            leaveBook(order); // it rejoins through onRested, or fills
        } else {
            adjustExposure(order.account(), order.symbol(), 0, order.side(), leavesQuantity - order.leavesQuantity());
        }
        Order replaced = order.replaced(priceTicks, quantity, keptPriority ? order.queuedAt() : offset);
        save(replaced);
        report("Replaced", replaced, 0, 0, null);
    }

    @Override
    public void onCanceled(long orderKey, long canceledQuantity, CancelReason reason) {
        Order order = order(orderKey);
        leaveBook(order);
        Order canceled = order.withStatus(OrdStatus.CANCELED, reason.name());
        save(canceled);
        report("Canceled", canceled, 0, 0, reason.name());
    }

    @Override
    public void onExpired(long orderKey, long expiredQuantity) {
        Order order = order(orderKey);
        leaveBook(order);
        Order expired = order.withStatus(OrdStatus.EXPIRED, "DAY_ENDED");
        save(expired);
        report("Expired", expired, 0, 0, "DAY_ENDED");
    }

    // ---- helpers -------------------------------------------------------------------------------

    private void leaveBook(Order order) {
        if (resting.remove(order.id().packed())) {
            adjustExposure(order.account(), order.symbol(), -1, order.side(), -order.leavesQuantity());
        }
    }

    /** Adds {@code orders} resting orders and {@code leaves} open quantity on {@code side}. */
    private void adjustExposure(String account, String symbol, int orders, Side side, long leaves) {
        String key = accountSymbol(account, symbol);
        Exposure exposure = exposures.get(key);
        if (exposure == null) {
            exposure = new Exposure();
            exposures.put(key, exposure);
        }
        exposure.orders += orders;
        if (side == Side.BUY) {
            exposure.buying += leaves;
        } else {
            exposure.selling += leaves;
        }
        if (exposure.orders == 0) {
            exposures.remove(key); // nothing rests: nothing is open either
        }
    }

    /**
     * The account's net position if its resting orders on {@code side} all filled (but for {@code
     * excluded} of it: a replaced order's own open quantity, which the replace's new one takes the
     * place of). An order whose full fill would take this past the limit is refused: resting orders
     * fill later, without another check. Saturates rather than overflow.
     */
    private static long worstPosition(long position, Exposure exposure, Side side, long excluded) {
        long open = exposure == null ? 0 : (side == Side.BUY ? exposure.buying : exposure.selling) - excluded;
        long worst = side == Side.BUY ? position + open : position - open;
        boolean overflowed = side == Side.BUY ? worst < position : worst > position;
        return overflowed ? (side == Side.BUY ? Long.MAX_VALUE : Long.MIN_VALUE) : worst;
    }

    private boolean publishing() {
        return !replaying(partition, offset);
    }

    /** True for a command applied again to rebuild state whose output records were already published. */
    boolean replaying(int partition, long offset) {
        Long from = publishFrom.get(partition);
        return from != null && offset < from;
    }

    private void report(String type, Order order, long lastQuantity, long lastPriceTicks, String reason) {
        int eventSequence = sequence;
        String id = nextId();
        if (!publishing() || out(EVENTS, eventSequence)) {
            return;
        }
        published.add(log.publish(Topics.ORDER_EVENTS, partition, order.id().toString().getBytes(StandardCharsets.UTF_8),
                events.executionReport(id, type, order, lastQuantity, lastPriceTicks, reason, timestamp), timestamp, Map.of()));
    }

    private String nextId() {
        return partition + "-" + offset + "-" + sequence++;
    }

    private Order order(long key) {
        return store.order(OrderId.unpack(key)).orElseThrow(() ->
                new IllegalStateException("the book holds order " + OrderId.unpack(key) + " that the store does not"));
    }

    private void save(Order order) {
        store.put(order);
    }

    private OrderBook book(String symbol) {
        return books.computeIfAbsent(symbol, s -> new OrderBook(s, rules(home(s)).selfTradePrevention(), this));
    }

    /** The price band's reference: the best price on the side the order would trade against. */
    private static long reference(OrderBook book, Side side) {
        return side == Side.BUY ? book.bestAsk() : book.bestBid();
    }

    private static String accountSymbol(String account, String symbol) {
        return account + '\u0000' + symbol;
    }

    /** The top {@code depth} levels of a symbol's book. Worker thread only. */
    dev.oms.engine.book.BookView view(String symbol, int depth) {
        OrderBook book = books.get(symbol);
        return book == null ? dev.oms.engine.book.BookView.empty(symbol) : dev.oms.engine.book.BookView.of(book, depth);
    }

    /** For tests and diagnostics: open orders counted for an account in a symbol. */
    int openOrderCount(String account, String symbol) {
        Exposure exposure = exposures.get(accountSymbol(account, symbol));
        return exposure == null ? 0 : exposure.orders;
    }
}
