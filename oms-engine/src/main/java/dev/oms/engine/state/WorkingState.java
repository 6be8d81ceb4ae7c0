package dev.oms.engine.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderId;
import org.agrona.collections.Long2LongHashMap;
import org.agrona.collections.Long2ObjectHashMap;
import org.agrona.collections.LongHashSet;
import org.agrona.collections.Object2LongHashMap;

/**
 * One engine worker's view of the {@link OrderStore}: group commit for state. The commands of a
 * polled batch read and write here, on the heap; {@link #flush} then writes what they changed to
 * the Chronicle Maps at once — each order once however often it was touched — and moves the
 * partition's checkpoint past the batch. Open orders stay cached here while they are open: the
 * books touch them on every match, and decoding them from the map each time was most of the cost
 * of a command.
 *
 * <p>Crash consistency: the maps change only inside {@link #flush}, which is marked in progress in
 * the store first. A stop between flushes leaves the store exactly at its checkpoint, and the
 * commands after it are applied again; a stop inside a flush is seen at start and the partition is
 * rebuilt from its log.
 *
 * <p>Threads: the owning worker only. Other threads read the store, which holds every batch once
 * its verdicts are out (the worker answers after the flush).
 */
public final class WorkingState {
    /**
     * Open orders kept on the heap at most (beyond, they are read from the store when touched):
     * about 300 MB of heap at this size.
     */
    static final int MAX_CACHED = 1_000_000;

    private final OrderStore store;
    /** Orders written since the last flush, and open orders read or written, up to {@link #MAX_CACHED} besides those. */
    private final Long2ObjectHashMap<Order> orders = new Long2ObjectHashMap<>();
    private final LongHashSet dirty = new LongHashSet();
    private final Map<String, Long> clientOrderIds = new HashMap<>();
    private final Object2LongHashMap<String> positions = new Object2LongHashMap<>(Long.MIN_VALUE);
    private final Long2LongHashMap deadLettered = new Long2LongHashMap(Long.MIN_VALUE);
    /**
     * Each partition may hold this many orders: the store's capacity shared evenly, so that whether
     * an order finds room depends on its own partition's log alone and a replay decides the same.
     */
    private final long partitionQuota;
    /** Orders each owned partition holds, counted at restore and with every new order. */
    private final org.agrona.collections.Int2ObjectHashMap<long[]> orderCounts = new org.agrona.collections.Int2ObjectHashMap<>();

    /** A worker's state over {@code store}, shared by the workers of {@code partitions} partitions. */
    public WorkingState(OrderStore store, int partitions) {
        this.store = store;
        this.partitionQuota = store.maxOrders() / partitions;
    }

    public Optional<Order> order(OrderId id) {
        long key = id.packed();
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
    }

    /**
     * Claims room for one more order in {@code partition}, or refuses when its share of the store is
     * used up: a command that would outgrow it goes to the dead-letter topic and the partition goes
     * on, rather than failing a whole batch at the flush.
     */
    public void claimRoomForOrder(int partition) {
        long[] count = orderCounts.get(partition);
        if (count == null) {
            throw new IllegalStateException("orders-" + partition + " was not restored by this worker");
        }
        if (count[0] >= partitionQuota) {
            throw new dev.oms.deadletter.PermanentFailure(dev.oms.deadletter.FailureReason.STORE_FULL,
                    "the order store is full: orders-" + partition + " holds its share, " + partitionQuota
                            + " orders (engine.max-orders / log.partitions)", null);
        }
        count[0]++;
    }

    public Optional<OrderId> byClientOrderId(String account, String clientOrderId) {
        Long packed = clientOrderIds.get(OrderStore.clientKey(account, clientOrderId));
        return packed != null ? Optional.of(OrderId.unpack(packed)) : store.byClientOrderId(account, clientOrderId);
    }

    public void indexClientOrderId(String account, String clientOrderId, OrderId id) {
        clientOrderIds.put(OrderStore.clientKey(account, clientOrderId), id.packed());
    }

    public long position(String account, String symbol) {
        long pending = positions.getValue(OrderStore.clientKey(account, symbol));
        return pending != Long.MIN_VALUE ? pending : store.position(account, symbol);
    }

    public void addPosition(String account, String symbol, long delta) {
        positions.put(OrderStore.clientKey(account, symbol), position(account, symbol) + delta);
    }

    public void markDeadLettered(OrderId id, long failedAt) {
        deadLettered.put(id.packed(), failedAt);
    }

    public boolean isDeadLettered(OrderId id) {
        return deadLettered.containsKey(id.packed()) || store.isDeadLettered(id);
    }

    /**
     * Restores {@code partitions} from the store: their open orders in queue order and their order
     * counts. The orders are cached as commands touch them, not here (a restart with millions of
     * open orders would spend its time filling the cache).
     */
    public Map<Integer, OpenOrders> restore(int[] partitions) {
        OrderStore.Restored restored = store.openOrders(partitions);
        restored.orderCounts().forEach((partition, count) -> orderCounts.put(partition.intValue(), new long[] {count}));
        return restored.open();
    }

    /** Keeps an open order on the heap, while the cache has room (beyond it, reads go to the store). */
    private void cache(Order order) {
        if (orders.size() < MAX_CACHED) {
            orders.put(order.id().packed(), order);
        }
    }

    /** Forgets the changes since the last flush (they could not be written). */
    public void discard() {
        for (LongHashSet.LongIterator keys = dirty.iterator(); keys.hasNext(); ) {
            orders.remove(keys.nextValue()); // newer than the store: read again from it
        }
        dirty.clear();
        clientOrderIds.clear();
        positions.clear();
        deadLettered.clear();
    }

    /** True when commands since the last flush changed something. */
    private boolean changed() {
        return !dirty.isEmpty() || !clientOrderIds.isEmpty() || !positions.isEmpty() || !deadLettered.isEmpty();
    }

    /**
     * Writes the batch of {@code partition} that started at {@code fromOffset} to the store and
     * moves its checkpoint to {@code nextOffset}.
     */
    public void flush(int partition, long fromOffset, long nextOffset) {
        if (!changed()) {
            store.checkpoint(partition, nextOffset);
            return;
        }
        List<Order> changed = new ArrayList<>(dirty.size());
        for (LongHashSet.LongIterator keys = dirty.iterator(); keys.hasNext(); ) {
            changed.add(orders.get(keys.nextValue()));
        }
        Map<String, Long> positionValues = new HashMap<>();
        positions.forEachLong(positionValues::put);
        Map<Long, Long> deadLetteredAt = new HashMap<>();
        deadLettered.forEachLong(deadLetteredAt::put);
        try {
            store.commit(partition, fromOffset, nextOffset, changed, clientOrderIds, positionValues, deadLetteredAt);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("writing the state of orders-" + partition, e);
        }
        int cached = orders.size();
        for (Order order : changed) {
            if (!order.isOpen() || cached > MAX_CACHED) {
                orders.remove(order.id().packed()); // closed, or past the cache's room: the store has it now
                cached--;
            }
        }
        dirty.clear();
        clientOrderIds.clear();
        positions.clear();
        deadLettered.clear();
    }
}
