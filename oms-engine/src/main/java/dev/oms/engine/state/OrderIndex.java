package dev.oms.engine.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongPredicate;

import dev.oms.engine.order.OrderId;

/**
 * The ids of the store's orders by partition, by account (per partition) and by symbol, ascending,
 * for {@code GET /orders}: without it every query scanned the whole store (60 ms at 200,000 orders, on
 * the cores the engine needs). Built on the first query that needs it, in the background, then kept
 * by the store's writes; until it is ready, queries scan.
 *
 * <p>Threads: changes come from the threads writing the store (one per partition at a time) and
 * the builder, one at a time under this object's monitor; queries read without locks, each list
 * through an immutable {@link View} (an append writes past every published view's end).
 *
 * <p>Changes made while the builder scans are kept aside and applied after its scan: an order id is
 * added once and removed at most once, so the index ends as (scanned ∪ added) − removed whatever
 * the scan saw of them. A partition rebuilt from its log adds its ids again: that drops the index,
 * and the next query builds it anew.
 */
final class OrderIndex {
    private enum State { NONE, BUILDING, READY }

    /** A list's ids at one moment: {@code ids[0..size)}, ascending. */
    private record View(long[] ids, int size) {
    }

    private static final class IdList {
        private volatile View view = new View(new long[4], 0);

        /** Adds {@code id}; writers hold the index's monitor. */
        void add(long id) {
            View v = view;
            long[] ids = v.ids;
            int n = v.size;
            if (n > 0 && ids[n - 1] >= id) { // out of order (a batch's new orders come in any order): a copy
                int at = Arrays.binarySearch(ids, 0, n, id);
                if (at >= 0) {
                    return;
                }
                at = -at - 1;
                long[] copy = new long[Math.max(ids.length, n + 1)];
                System.arraycopy(ids, 0, copy, 0, at);
                copy[at] = id;
                System.arraycopy(ids, at, copy, at + 1, n - at);
                view = new View(copy, n + 1);
                return;
            }
            if (n == ids.length) {
                ids = Arrays.copyOf(ids, n * 2);
            }
            ids[n] = id;
            view = new View(ids, n + 1);
        }

        /** Removes every id {@code removed} accepts; writers hold the index's monitor. */
        void removeIf(LongPredicate removed) {
            View v = view;
            long[] kept = new long[Math.max(4, v.size)];
            int n = 0;
            for (int i = 0; i < v.size; i++) {
                if (!removed.test(v.ids[i])) {
                    kept[n++] = v.ids[i];
                }
            }
            if (n < v.size) {
                view = new View(kept, n);
            }
        }
    }

    private final ConcurrentHashMap<String, IdList> lists = new ConcurrentHashMap<>();
    private volatile State state = State.NONE;
    /** Which build is under way: one a drop overtook must not install its scan. */
    private long generation;
    /** One past the highest partition indexed: where account queries stop. */
    private volatile int partitions;
    // While the builder scans: the changes made meanwhile.
    private List<Entry> addedWhileBuilding = new ArrayList<>();
    private org.agrona.collections.LongHashSet removedWhileBuilding = new org.agrona.collections.LongHashSet();

    /** An order's id with what it is indexed by. */
    record Entry(long id, String account, String symbol) {
    }

    boolean ready() {
        return state == State.READY;
    }

    /**
     * False until a query asks for the index: writers then skip making its entries. A build that
     * starts after the check scans what the writer stored before it, so nothing is missed.
     */
    boolean wanted() {
        return state != State.NONE;
    }

    /**
     * Starts building the index from {@code scan} (every order of the store) on a thread of its
     * own, unless it is built or being built.
     */
    synchronized void buildIfAbsent(java.util.function.Supplier<List<Entry>> scan) {
        if (state != State.NONE) {
            return;
        }
        state = State.BUILDING;
        long build = ++generation;
        Thread.ofPlatform().daemon().name("oms-order-index").start(() -> {
            List<Entry> scanned;
            try {
                scanned = new ArrayList<>(scan.get());
            } catch (RuntimeException e) { // the store closed, or a record it cannot read: queries go on scanning
                synchronized (this) {
                    if (generation == build) {
                        drop();
                    }
                }
                return;
            }
            scanned.sort(BY_ID); // appends, not copies
            synchronized (this) {
                if (generation != build) {
                    return; // dropped meanwhile
                }
                scanned.forEach(this::index);
                addedWhileBuilding.sort(BY_ID);
                addedWhileBuilding.forEach(this::index);
                org.agrona.collections.LongHashSet removed = removedWhileBuilding;
                lists.values().forEach(list -> list.removeIf(removed::contains));
                addedWhileBuilding = new ArrayList<>();
                removedWhileBuilding = new org.agrona.collections.LongHashSet();
                state = State.READY;
            }
        });
    }

    private static final java.util.Comparator<Entry> BY_ID = java.util.Comparator.comparingLong(Entry::id);

    /** Indexes new orders; a batch's come in any order, and are sorted so that each list appends. */
    synchronized void add(List<Entry> added) {
        if (state == State.BUILDING) {
            addedWhileBuilding.addAll(added);
        } else if (state == State.READY) {
            List<Entry> sorted = new ArrayList<>(added);
            sorted.sort(BY_ID);
            sorted.forEach(this::index);
        }
    }

    synchronized void remove(List<Entry> removed) {
        if (state == State.BUILDING) {
            removed.forEach(e -> removedWhileBuilding.add(e.id()));
        } else if (state == State.READY) {
            org.agrona.collections.LongHashSet ids = new org.agrona.collections.LongHashSet();
            java.util.Set<IdList> touched = new java.util.HashSet<>();
            for (Entry e : removed) {
                ids.add(e.id());
                int partition = OrderId.partitionOf(e.id());
                for (String key : List.of(partitionKey(partition), accountKey(e.account(), partition), e.symbol())) {
                    IdList list = lists.get(key); // none: the order was never indexed (placed before a drop)
                    if (list != null) {
                        touched.add(list);
                    }
                }
            }
            touched.forEach(list -> list.removeIf(ids::contains)); // each list rewritten once, however many leave it
        }
    }

    /** Forgets everything: the next query builds the index again. */
    synchronized void drop() {
        generation++;
        lists.clear();
        addedWhileBuilding = new ArrayList<>();
        removedWhileBuilding = new org.agrona.collections.LongHashSet();
        state = State.NONE;
    }

    private void index(Entry e) {
        int partition = OrderId.partitionOf(e.id());
        list(partitionKey(partition)).add(e.id());
        list(accountKey(e.account(), partition)).add(e.id());
        list(e.symbol()).add(e.id());
        if (partition >= partitions) {
            partitions = partition + 1;
        }
    }

    private IdList list(String key) {
        return lists.computeIfAbsent(key, k -> new IdList());
    }

    // U+0000 cannot appear in an account or symbol (the API refuses control characters), nor a
    // symbol key begin with it.
    private static String accountKey(String account, int partition) {
        return '\u0000' + account + '\u0000' + partition;
    }

    private static String partitionKey(int partition) {
        return "\u0000\u0000" + partition;
    }

    /**
     * Feeds {@code visit} the ids after {@code after} of the account's orders (null: of the
     * symbol's; both null: every order's), ascending, until it returns false. Ready indexes only.
     */
    void forEach(String account, String symbol, long after, LongPredicate visit) {
        if (account == null && symbol != null) {
            visitFrom(lists.get(symbol), after, visit);
            return;
        }
        int end = partitions;
        for (int p = Math.max(0, OrderId.partitionOf(Math.max(after, 0))); p < end; p++) {
            if (!visitFrom(lists.get(account == null ? partitionKey(p) : accountKey(account, p)), after, visit)) {
                return;
            }
        }
    }

    private static boolean visitFrom(IdList list, long after, LongPredicate visit) {
        if (list == null) {
            return true;
        }
        View v = list.view;
        int at = Arrays.binarySearch(v.ids, 0, v.size, after);
        for (int i = at >= 0 ? at + 1 : -at - 1; i < v.size; i++) {
            if (!visit.test(v.ids[i])) {
                return false;
            }
        }
        return true;
    }
}
