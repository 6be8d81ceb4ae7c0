package dev.oms.engine.book;

import java.util.Arrays;
import java.util.Objects;

import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import org.agrona.collections.Hashing;
import org.agrona.collections.Long2ObjectHashMap;

/**
 * The limit order book of one symbol: owns its resting orders and matches incoming ones by price-time
 * priority, always at the resting order's price. Pure and deterministic: no clock (time comes with the
 * command), no I/O, and no hash-map iteration deciding what happens, so replaying the same commands
 * yields the same events. Everything it does is reported, in order, to its {@link BookListener}.
 *
 * <p>Orders are identified by a {@code long} key, the packed {@code OrderId}. The book knows only
 * resting orders; remembering finished ones (and so idempotency) is the engine's job.
 *
 * <p>Steady state allocates nothing: order nodes and price levels are pooled, queues are intrusive
 * and the key index is a primitive map. Quantities are assumed far from overflow: the risk stage's
 * size limit keeps every order, and so every level's total, small.
 *
 * <p>Threads: not thread safe; only the engine worker that owns the symbol's partition touches it.
 */
public final class OrderBook {
    /** What {@link #bestBid()} and {@link #bestAsk()} answer for an empty side. Real prices are positive. */
    public static final long NO_PRICE = 0;

    private final String symbol;
    private SelfTradePrevention selfTradePrevention;
    private final BookListener listener;
    private final BookSide bids = new BookSide(true);
    private final BookSide asks = new BookSide(false);
    private Long2ObjectHashMap<RestingOrder> restingByKey = new Long2ObjectHashMap<>();
    private RestingOrder freeOrders;
    private long[] expiring = new long[64];

    public OrderBook(String symbol, SelfTradePrevention selfTradePrevention, BookListener listener) {
        this.symbol = Objects.requireNonNull(symbol, "symbol");
        this.selfTradePrevention = Objects.requireNonNull(selfTradePrevention, "selfTradePrevention");
        this.listener = Objects.requireNonNull(listener, "listener");
    }

    public String symbol() {
        return symbol;
    }

    public SelfTradePrevention selfTradePrevention() {
        return selfTradePrevention;
    }

    /** From the next incoming order on (the rules a record of the log sets); resting orders stay as they are. */
    public void selfTradePrevention(SelfTradePrevention selfTradePrevention) {
        this.selfTradePrevention = Objects.requireNonNull(selfTradePrevention, "selfTradePrevention");
    }

    /**
     * Matches a new order against the opposite side, then rests what is left if it is a LIMIT GTC or
     * DAY order; any other remainder is canceled. A FOK order that cannot fill whole right now is
     * canceled before anything changes. A MARKET order's {@code priceTicks} is ignored.
     *
     * @param timestamp the NewOrder's record time; DAY orders expire by it
     * @return {@link BookResult#OK}, or why the order was refused with nothing changed and nothing reported
     */
    public BookResult submit(long orderKey, String account, Side side, OrderType type, TimeInForce timeInForce,
                             long priceTicks, long quantity, long timestamp) {
        boolean market = type == OrderType.MARKET;
        if (quantity <= 0) {
            return BookResult.INVALID_QUANTITY;
        }
        if (!market && priceTicks <= 0) {
            return BookResult.INVALID_PRICE;
        }
        if (restingByKey.containsKey(orderKey)) {
            return BookResult.DUPLICATE_ORDER_KEY;
        }
        if (timeInForce == TimeInForce.FOK && !canFillWhole(account, side, market, priceTicks, quantity)) {
            listener.onCanceled(orderKey, quantity, CancelReason.FILL_OR_KILL);
            return BookResult.OK;
        }
        RestingOrder order = newOrder();
        order.key = orderKey;
        order.account = account;
        order.side = side;
        order.timeInForce = timeInForce;
        order.priceTicks = market ? NO_PRICE : priceTicks;
        order.quantity = quantity;
        order.filled = 0;
        order.timestamp = timestamp;
        match(order, market);
        return BookResult.OK;
    }

    /**
     * Makes room for {@code orders} resting orders at once, before a recovery restores them into an
     * empty book (the key map then never grows, which over millions of orders rehashes it a score
     * of times). Does nothing to a book that holds orders.
     */
    public void reserve(int orders) {
        if (restingByKey.isEmpty()) {
            restingByKey = new Long2ObjectHashMap<>(slotsFor(orders), Hashing.DEFAULT_LOAD_FACTOR);
        }
    }

    /** Slots for {@code entries} in an Agrona hash map or set at its default load factor, so that it never grows. */
    public static int slotsFor(long entries) {
        return (int) Math.min((long) (entries / (double) Hashing.DEFAULT_LOAD_FACTOR) + 1, 1 << 30);
    }

    /**
     * Puts a resting order back as it was, for recovery: no matching, no events, at the back of its
     * price level. Restoring orders in the order they joined their queues rebuilds the book exactly.
     */
    public BookResult restore(long orderKey, String account, Side side, TimeInForce timeInForce, long priceTicks,
                              long quantity, long filled, long timestamp) {
        if (priceTicks <= 0) {
            return BookResult.INVALID_PRICE;
        }
        if (quantity <= 0 || filled < 0 || filled >= quantity) {
            return BookResult.INVALID_QUANTITY;
        }
        RestingOrder order = newOrder();
        // One probe of the key map, not a lookup and then a put: with millions of orders restored
        // each probe is a cache miss.
        if (restingByKey.putIfAbsent(orderKey, order) != null) {
            release(order);
            return BookResult.DUPLICATE_ORDER_KEY;
        }
        order.key = orderKey;
        order.account = account;
        order.side = side;
        order.timeInForce = timeInForce;
        order.priceTicks = priceTicks;
        order.quantity = quantity;
        order.filled = filled;
        order.timestamp = timestamp;
        (side == Side.BUY ? bids : asks).levelAt(priceTicks).append(order);
        return BookResult.OK;
    }

    /** Cancels a resting order's open quantity (an OrderCancelRequest). */
    public BookResult cancel(long orderKey) {
        RestingOrder order = restingByKey.get(orderKey);
        if (order == null) {
            return BookResult.UNKNOWN_ORDER;
        }
        long leaves = order.leaves();
        remove(order);
        listener.onCanceled(orderKey, leaves, CancelReason.CANCEL_REQUESTED);
        return BookResult.OK;
    }

    /**
     * Gives a resting order a new price and total quantity (an OrderCancelReplaceRequest; the quantity
     * includes what already filled). Lowering the quantity at the same price keeps the order's place in
     * its queue; a new price or a larger quantity sends it to the back of its new level, and a new
     * price that crosses the book matches first, like a new order.
     */
    public BookResult replace(long orderKey, long newPriceTicks, long newQuantity) {
        RestingOrder order = restingByKey.get(orderKey);
        if (order == null) {
            return BookResult.UNKNOWN_ORDER;
        }
        if (newPriceTicks <= 0) {
            return BookResult.INVALID_PRICE;
        }
        if (newQuantity <= 0) {
            return BookResult.INVALID_QUANTITY;
        }
        if (newQuantity <= order.filled) {
            return BookResult.QUANTITY_AT_OR_BELOW_FILLED;
        }
        if (newPriceTicks == order.priceTicks && newQuantity <= order.quantity) {
            order.level.totalQuantity -= order.quantity - newQuantity;
            order.quantity = newQuantity;
            listener.onReplaced(orderKey, newPriceTicks, newQuantity, order.leaves(), true);
            return BookResult.OK;
        }
        // Losing priority: leave the book entirely, then come back in as an aggressor would.
        unlinkFromLevel(order);
        restingByKey.remove(orderKey);
        order.priceTicks = newPriceTicks;
        order.quantity = newQuantity;
        listener.onReplaced(orderKey, newPriceTicks, newQuantity, order.leaves(), false);
        match(order, false);
        return BookResult.OK;
    }

    /**
     * Expires every resting DAY order placed before {@code beforeTimestamp} (record time), in order key
     * order so that the events do not depend on how the book happens to be laid out.
     *
     * @return how many orders expired
     */
    public int expireDayOrders(long beforeTimestamp) {
        int count = collectDayOrders(bids, beforeTimestamp, 0);
        count = collectDayOrders(asks, beforeTimestamp, count);
        Arrays.sort(expiring, 0, count);
        for (int i = 0; i < count; i++) {
            RestingOrder order = restingByKey.get(expiring[i]);
            long leaves = order.leaves();
            remove(order);
            listener.onExpired(expiring[i], leaves);
        }
        return count;
    }

    /** The highest bid, or {@link #NO_PRICE}. */
    public long bestBid() {
        PriceLevel best = bids.best();
        return best == null ? NO_PRICE : best.priceTicks;
    }

    /** The lowest ask, or {@link #NO_PRICE}. */
    public long bestAsk() {
        PriceLevel best = asks.best();
        return best == null ? NO_PRICE : best.priceTicks;
    }

    /** The open quantity of a resting order; 0 when no order with this key rests. */
    public long leavesQuantity(long orderKey) {
        RestingOrder order = restingByKey.get(orderKey);
        return order == null ? 0 : order.leaves();
    }

    public boolean isResting(long orderKey) {
        return restingByKey.containsKey(orderKey);
    }

    public int restingOrderCount() {
        return restingByKey.size();
    }

    /** Fills {@code into} with the top {@link DepthSnapshot#maxLevels()} levels of each side, best first. */
    public void depth(DepthSnapshot into) {
        into.clear();
        addLevels(bids, Side.BUY, into);
        addLevels(asks, Side.SELL, into);
    }

    private static void addLevels(BookSide side, Side name, DepthSnapshot into) {
        int levels = Math.min(side.size(), into.maxLevels());
        for (int depth = 0; depth < levels; depth++) {
            PriceLevel level = side.level(depth);
            into.add(name, level.priceTicks, level.totalQuantity, level.orderCount);
        }
    }

    /** Trades the aggressor down the opposite side, then rests or cancels what is left of it. */
    private void match(RestingOrder aggressor, boolean market) {
        BookSide opposite = aggressor.side == Side.BUY ? asks : bids;
        while (aggressor.leaves() > 0) {
            PriceLevel level = opposite.best();
            if (level == null || !(market || crosses(aggressor.side, aggressor.priceTicks, level.priceTicks))) {
                break;
            }
            RestingOrder resting = level.head;
            if (selfTradePrevention != SelfTradePrevention.NONE && resting.account.equals(aggressor.account)) {
                if (selfTradePrevention != SelfTradePrevention.CANCEL_NEWEST) {
                    long restingKey = resting.key;
                    long restingLeaves = resting.leaves();
                    remove(resting);
                    listener.onCanceled(restingKey, restingLeaves, CancelReason.SELF_TRADE_PREVENTION);
                }
                if (selfTradePrevention != SelfTradePrevention.CANCEL_OLDEST) {
                    cancelAggressor(aggressor, CancelReason.SELF_TRADE_PREVENTION);
                    return;
                }
                continue;
            }
            long quantity = Math.min(aggressor.leaves(), resting.leaves());
            long priceTicks = level.priceTicks;
            long restingKey = resting.key;
            aggressor.filled += quantity;
            resting.filled += quantity;
            level.totalQuantity -= quantity;
            long restingLeaves = resting.leaves();
            if (restingLeaves == 0) {
                remove(resting);
            }
            listener.onTrade(aggressor.key, restingKey, aggressor.side, priceTicks, quantity, aggressor.leaves(),
                    restingLeaves);
        }
        if (aggressor.leaves() == 0) {
            release(aggressor);
        } else if (market || aggressor.timeInForce == TimeInForce.IOC || aggressor.timeInForce == TimeInForce.FOK) {
            cancelAggressor(aggressor, CancelReason.IMMEDIATE_OR_CANCEL);
        } else {
            (aggressor.side == Side.BUY ? bids : asks).levelAt(aggressor.priceTicks).append(aggressor);
            restingByKey.put(aggressor.key, aggressor);
            listener.onRested(aggressor.key, aggressor.side, aggressor.priceTicks, aggressor.leaves());
        }
    }

    /**
     * Whether the order would fill whole against the opposite side right now, walking it exactly as
     * {@link #match} would, self-trade prevention included, but changing nothing.
     */
    private boolean canFillWhole(String account, Side side, boolean market, long priceTicks, long quantity) {
        BookSide opposite = side == Side.BUY ? asks : bids;
        long needed = quantity;
        for (int depth = 0; depth < opposite.size(); depth++) {
            PriceLevel level = opposite.level(depth);
            if (!market && !crosses(side, priceTicks, level.priceTicks)) {
                return false;
            }
            if (selfTradePrevention == SelfTradePrevention.NONE) {
                needed -= Math.min(needed, level.totalQuantity);
            } else {
                for (RestingOrder resting = level.head; resting != null && needed > 0; resting = resting.next) {
                    if (resting.account.equals(account)) {
                        if (selfTradePrevention != SelfTradePrevention.CANCEL_OLDEST) {
                            return false; // matching would stop here and cancel the incoming order
                        }
                        continue; // matching would cancel it, not trade with it
                    }
                    needed -= Math.min(needed, resting.leaves());
                }
            }
            if (needed == 0) {
                return true;
            }
        }
        return false;
    }

    private static boolean crosses(Side aggressorSide, long limitTicks, long restingTicks) {
        return aggressorSide == Side.BUY ? restingTicks <= limitTicks : restingTicks >= limitTicks;
    }

    private void cancelAggressor(RestingOrder aggressor, CancelReason reason) {
        long key = aggressor.key;
        long leaves = aggressor.leaves();
        release(aggressor);
        listener.onCanceled(key, leaves, reason);
    }

    private int collectDayOrders(BookSide side, long beforeTimestamp, int count) {
        for (int depth = 0; depth < side.size(); depth++) {
            for (RestingOrder order = side.level(depth).head; order != null; order = order.next) {
                if (order.timeInForce == TimeInForce.DAY && order.timestamp < beforeTimestamp) {
                    if (count == expiring.length) {
                        expiring = Arrays.copyOf(expiring, count * 2);
                    }
                    expiring[count++] = order.key;
                }
            }
        }
        return count;
    }

    /** Takes a resting order out of the book and pools its node. */
    private void remove(RestingOrder order) {
        unlinkFromLevel(order);
        restingByKey.remove(order.key);
        release(order);
    }

    private void unlinkFromLevel(RestingOrder order) {
        PriceLevel level = order.level;
        level.unlink(order);
        if (level.orderCount == 0) {
            (order.side == Side.BUY ? bids : asks).remove(level);
        }
    }

    private RestingOrder newOrder() {
        RestingOrder order = freeOrders;
        if (order == null) {
            return new RestingOrder();
        }
        freeOrders = order.next;
        order.next = null;
        return order;
    }

    private void release(RestingOrder order) {
        order.account = null;
        order.next = freeOrders;
        freeOrders = order;
    }

    @Override
    public String toString() {
        return "OrderBook[" + symbol + ", bid " + bestBid() + ", ask " + bestAsk() + ", " + restingByKey.size()
                + " resting]";
    }
}
