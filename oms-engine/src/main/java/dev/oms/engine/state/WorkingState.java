package dev.oms.engine.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import dev.oms.engine.order.TradingDay;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongArrayList;
import org.agrona.collections.LongHashSet;
import org.agrona.collections.Object2LongHashMap;

/**
 * One engine worker's view of the {@link OrderStore}: group commit for state. The commands of a
 * polled batch read and write here, on the heap; {@link #seal} then takes what they changed — each
 * order once however often it was touched — as a {@link Batch}, which {@link #commit} writes to the
 * Chronicle Maps at once, moving the partition's checkpoint past it. Open orders stay cached here
 * while they are open: the books touch them on every match, and decoding them from the map each
 * time was most of the cost of a command.
 *
 * <p>Write-behind: the worker may apply its next batch while another thread commits the last one
 * (the maps' writes are most of a command's cost, and cache misses, not work). Until
 * {@link #settle} says that batch is in the store, reads here see its changes, so the next batch
 * decides as if it were; at most one batch waits so.
 *
 * <p>Crash consistency: the maps change only inside {@link #commit}, which is marked in progress in
 * the store first. A stop between commits leaves the store exactly at its checkpoint, and the
 * commands after it are applied again; a stop inside one is finished from its redo file at start.
 *
 * <p>Threads: the owning worker, but {@link #commit}, which the worker hands to one writer thread
 * at a time with a happens-before edge (an executor), and which touches only the batch and the store.
 * Other threads read the store, which holds every batch once its verdicts are out (they are given
 * after the commit).
 */
public final class WorkingState {
    /**
     * Open orders kept on the heap at most (beyond, they are read from the store when touched):
     * about 300 MB of heap at this size.
     */
    static final int MAX_CACHED = 1_000_000;

    private final OrderStore store;
    /**
     * Orders written since the last seal and those of the batch not yet settled, and open orders
     * read or written, up to {@link #MAX_CACHED} besides those.
     */
    private final Long2ObjectHashMap<Order> orders = new Long2ObjectHashMap<>();
    private final LongHashSet dirty = new LongHashSet();
    private Map<String, Long> clientOrderIds = new HashMap<>();
    private final Object2LongHashMap<String> positions = new Object2LongHashMap<>(Long.MIN_VALUE);
    private final Long2LongHashMap deadLettered = new Long2LongHashMap(Long.MIN_VALUE);
    /** The batch sealed but not yet known to be in the store (null: none). */
    private Batch unsettled;
    /**
     * Each partition may hold this many orders: the store's capacity shared evenly, so that whether
     * an order finds room depends on its own partition's log alone and a replay decides the same.
     */
    private final long partitionQuota;
    /** Each owned partition's count of orders, trading day and done orders, as of the last batch sealed. */
    private final org.agrona.collections.Int2ObjectHashMap<Owned> owned = new org.agrona.collections.Int2ObjectHashMap<>();

    private static final class Owned {
        /** Orders the partition holds: counted at restore, with every new order and every order removed. */
        long orders;
        long tradingDay;
        /** The partition's done orders: they leave the store when its next trading day begins. */
        final LongArrayList done;

        Owned(long orders, long tradingDay, LongArrayList done) {
            this.orders = orders;
            this.tradingDay = tradingDay;
            this.done = done;
        }
    }

    // What the batch being applied changed besides orders and indexes: the trading day it began
    // (NO_DAY: none), the orders it removed, whether its partition's done list was among them, and
    // the orders it left done (after its last new day, if any).
    private long beganDay = OrderStore.NO_DAY;
    private int dayPartition;
    private LongHashSet removed = new LongHashSet();
    private boolean doneRemoved;
    private final LongArrayList newlyDone = new LongArrayList();

    /** A worker's state over {@code store}, shared by the workers of {@code partitions} partitions. */
    public WorkingState(OrderStore store, int partitions) {
        this.store = store;
        this.partitionQuota = store.maxOrders() / partitions;
    }

    public Optional<Order> order(OrderId id) {
        long key = id.packed();
        if (isRemoved(key)) {
            return Optional.empty();
        }
        Order cached = orders.get(key);
        if (cached != null) {
            return Optional.of(cached);
        }
        Optional<Order> stored = store.order(id);
        stored.filter(Order::isOpen).ifPresent(this::cache);
        return stored;
    }

    public void put(Order order) {
        long key = order.id().packed();
        orders.put(key, order);
        dirty.add(key);
        if (order.isDone()) {
            newlyDone.addLong(key);
        }
    }

    /** Removed by the batch being applied or the one being written: still in the store, but gone. */
    private boolean isRemoved(long key) {
        return removed.contains(key) || unsettled != null && unsettled.removed.contains(key);
    }

    /**
     * Called for each record of {@code partition}, in offset order, with its record time: when that
     * falls on a later {@link TradingDay} than the partition's, the day begins, and every order of
     * the partition done by then leaves the state with its clientOrderId entry (FIX asks a
     * ClOrdID to be unique within a trading day; an order's history stays on {@code order-events}).
     * The day is state, so a replay from any checkpoint begins each day at the same record and
     * removes the same orders. A record of an earlier day (record times need not rise) begins none.
     */
    public void beginTradingDay(int partition, long timestamp) {
        long day = TradingDay.of(timestamp);
        Owned p = owned(partition);
        long current = beganDay != OrderStore.NO_DAY ? beganDay : p.tradingDay;
        if (day <= current) {
            return;
        }
        beganDay = day;
        dayPartition = partition;
        deadLettered.clear(); // the partition's dead-letter marks go with its done orders (OrderStore#commit)
        if (current == OrderStore.NO_DAY) {
            return; // the partition's first record (or a store of a build before trading days: from the next day on)
        }
        if (!doneRemoved) {
            for (int i = 0; i < p.done.size(); i++) {
                remove(p, p.done.getLong(i));
            }
            doneRemoved = true;
        }
        for (int i = 0; i < newlyDone.size(); i++) {
            remove(p, newlyDone.getLong(i));
        }
        newlyDone.clear();
    }

    private void remove(Owned partition, long key) {
        if (removed.add(key)) {
            partition.orders--;
            Order order = orders.remove(key);
            if (dirty.remove(key)) {
                // Placed in this batch, it never reaches the store, and neither may its index entry.
                clientOrderIds.remove(OrderStore.submissionKey(order.account(), order.symbol(), order.clientOrderId()), key);
            }
        }
    }

    private Owned owned(int partition) {
        Owned p = owned.get(partition);
        if (p == null) {
            throw new IllegalStateException("orders-" + partition + " was not restored by this worker");
        }
        return p;
    }

    /**
     * Claims room for one more order in {@code partition}, or refuses when its share of the store is
     * used up: a command that would outgrow it goes to the dead-letter topic and the partition goes
     * on, rather than failing a whole batch when it is written.
     */
    public void claimRoomForOrder(int partition) {
        Owned p = owned(partition);
        if (p.orders >= partitionQuota) {
            throw new dev.oms.deadletter.PermanentFailure(dev.oms.deadletter.FailureReason.STORE_FULL,
                    "the order store is full: orders-" + partition + " holds its share, " + partitionQuota
                            + " orders (engine.max-orders / log.partitions) that are open or were done on its trading day", null);
        }
        p.orders++;
    }

    public Optional<OrderId> byClientOrderId(String account, String symbol, String clientOrderId) {
        String key = OrderStore.submissionKey(account, symbol, clientOrderId);
        Long packed = clientOrderIds.get(key);
        if (packed == null && unsettled != null) {
            packed = unsettled.clientOrderIds.get(key);
        }
        Optional<OrderId> id = packed != null ? Optional.of(OrderId.unpack(packed)) : store.byClientOrderId(account, symbol, clientOrderId);
        return id.filter(found -> !isRemoved(found.packed()));
    }

    public void indexClientOrderId(String account, String symbol, String clientOrderId, OrderId id) {
        clientOrderIds.put(OrderStore.submissionKey(account, symbol, clientOrderId), id.packed());
    }

    public long position(String account, String symbol) {
        String key = OrderStore.positionKey(account, symbol);
        long pending = positions.getValue(key);
        if (pending == Long.MIN_VALUE && unsettled != null) {
            Long sealed = unsettled.positions.get(key);
            pending = sealed == null ? Long.MIN_VALUE : sealed;
        }
        return pending != Long.MIN_VALUE ? pending : store.position(account, symbol);
    }

    public void addPosition(String account, String symbol, long delta) {
        positions.put(OrderStore.positionKey(account, symbol), position(account, symbol) + delta);
    }

    public void markDeadLettered(OrderId id, long failedAt) {
        deadLettered.put(id.packed(), failedAt);
    }

    public boolean isDeadLettered(OrderId id) {
        long key = id.packed();
        if (deadLettered.containsKey(key)) {
            return true;
        }
        int partition = OrderId.partitionOf(key);
        if (beganDay != OrderStore.NO_DAY && partition == dayPartition) {
            return false; // a day began in this batch: the marks before it are gone
        }
        if (unsettled != null && unsettled.partition == partition) {
            if (unsettled.deadLettered.containsKey(key)) {
                return true;
            }
            if (unsettled.tradingDay != OrderStore.NO_DAY) {
                return false;
            }
        }
        return store.isDeadLettered(id);
    }

    /**
     * Restores {@code partitions} from the store: their open orders in queue order, their order
     * counts, trading days and done orders. The orders are cached as commands touch them, not here
     * (a restart with millions of open orders would spend its time filling the cache).
     */
    public Map<Integer, OpenOrders> restore(int[] partitions) {
        OrderStore.Restored restored = store.openOrders(partitions);
        restored.orderCounts().forEach((partition, count) -> owned.put(partition.intValue(),
                new Owned(count, store.tradingDay(partition), restored.done().get(partition))));
        return restored.open();
    }

    /** Keeps an open order on the heap, while the cache has room (beyond it, reads go to the store). */
    private void cache(Order order) {
        if (orders.size() < MAX_CACHED) {
            orders.put(order.id().packed(), order);
        }
    }

    /**
     * Forgets the changes of the batch being applied (it could not be made to stick). Call once
     * the sealed batch before it, if any, is settled: its orders are then read from the store.
     */
    public void discard() {
        requireSettled();
        for (LongHashSet.LongIterator keys = dirty.iterator(); keys.hasNext(); ) {
            orders.remove(keys.nextValue()); // newer than the store: read again from it
        }
        dirty.clear();
        clientOrderIds.clear();
        positions.clear();
        deadLettered.clear();
        removed.clear(); // the counts it changed are restored with its partition, which a discard always precedes
        newlyDone.clear();
        doneRemoved = false;
        beganDay = OrderStore.NO_DAY;
    }

    /**
     * What the commands of one batch changed, taken by {@link #seal}: each order as the batch left
     * it, the client order ids it indexed, positions and dead letters as absolute values.
     */
    public static final class Batch {
        private final int partition;
        private final long fromOffset;
        private final long nextOffset;
        private final List<Order> orders;
        private final Map<String, Long> clientOrderIds;
        private final Map<String, Long> positions;
        private final Map<Long, Long> deadLettered;
        private final LongHashSet removed;
        private final long tradingDay;

        private Batch(int partition, long fromOffset, long nextOffset, List<Order> orders, Map<String, Long> clientOrderIds,
                      Map<String, Long> positions, Map<Long, Long> deadLettered, LongHashSet removed, long tradingDay) {
            this.removed = removed;
            this.tradingDay = tradingDay;
            this.partition = partition;
            this.fromOffset = fromOffset;
            this.nextOffset = nextOffset;
            this.orders = orders;
            this.clientOrderIds = clientOrderIds;
            this.positions = positions;
            this.deadLettered = deadLettered;
        }

        public int partition() {
            return partition;
        }

        public long fromOffset() {
            return fromOffset;
        }

        public long nextOffset() {
            return nextOffset;
        }

        boolean changed() {
            return !orders.isEmpty() || !clientOrderIds.isEmpty() || !positions.isEmpty() || !deadLettered.isEmpty()
                    || !removed.isEmpty() || tradingDay != OrderStore.NO_DAY;
        }
    }

    /**
     * Takes the changes of the batch of {@code partition} from {@code fromOffset} to
     * {@code nextOffset} for {@link #commit}; reads here go on seeing them until {@link #settle}.
     * The batch sealed before must be settled.
     */
    public Batch seal(int partition, long fromOffset, long nextOffset) {
        requireSettled();
        List<Order> changed = new ArrayList<>(dirty.size());
        for (LongHashSet.LongIterator keys = dirty.iterator(); keys.hasNext(); ) {
            changed.add(orders.get(keys.nextValue()));
        }
        Map<String, Long> positionValues = new HashMap<>();
        positions.forEachLong(positionValues::put);
        Map<Long, Long> deadLetteredAt = new HashMap<>();
        deadLettered.forEachLong(deadLetteredAt::put);
        Batch batch = new Batch(partition, fromOffset, nextOffset, changed, clientOrderIds, positionValues, deadLetteredAt,
                removed, beganDay);
        Owned p = owned(partition);
        if (doneRemoved) {
            p.done.clear();
        }
        p.done.addAll(newlyDone);
        if (beganDay != OrderStore.NO_DAY) {
            p.tradingDay = beganDay;
        }
        removed = new LongHashSet(); // the batch keeps the set it filled
        newlyDone.clear();
        doneRemoved = false;
        beganDay = OrderStore.NO_DAY;
        dirty.clear();
        clientOrderIds = new HashMap<>(); // the batch keeps the map it filled
        positions.clear();
        deadLettered.clear();
        unsettled = batch;
        return batch;
    }

    /**
     * Writes a sealed batch to the store and moves its partition's checkpoint. Any thread, one
     * batch at a time: it reads only the batch, which nothing changes once sealed.
     */
    public void commit(Batch batch) {
        if (!batch.changed()) {
            store.checkpoint(batch.partition, batch.nextOffset);
            return;
        }
        try {
            long[] removed = new long[batch.removed.size()];
            int i = 0;
            for (LongHashSet.LongIterator keys = batch.removed.iterator(); keys.hasNext(); ) {
                removed[i++] = keys.nextValue();
            }
            store.commit(batch.partition, batch.fromOffset, batch.nextOffset, batch.orders, batch.clientOrderIds,
                    batch.positions, batch.deadLettered, removed, batch.tradingDay);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("writing the state of orders-" + batch.partition, e);
        }
    }

    /**
     * The sealed batch is in the store ({@code committed}) or will never be ({@code false}: its
     * orders are forgotten here and read again from the store, and so must any change a later batch
     * of its partition made: {@link #discard} it).
     */
    public void settle(Batch batch, boolean committed) {
        if (batch != unsettled) {
            throw new IllegalStateException("settling a batch that is not the one sealed last");
        }
        unsettled = null;
        int cached = orders.size();
        for (Order order : batch.orders) {
            long key = order.id().packed();
            // Still this version here (a later batch did not change it): closed, or past the cache's
            // room, it is left to the store now; after a failed commit, the store is what counts.
            boolean unchangedSince = orders.get(key) == order && !dirty.contains(key);
            if (unchangedSince && (!committed || !order.isOpen() || cached > MAX_CACHED)) {
                orders.remove(key);
                cached--;
            }
        }
    }

    private void requireSettled() {
        if (unsettled != null) {
            throw new IllegalStateException("the batch of orders-" + unsettled.partition + " from offset "
                    + unsettled.fromOffset + " is not settled");
        }
    }
}
