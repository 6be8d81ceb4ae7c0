package dev.oms.engine.state;

import java.util.Arrays;

import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import net.openhft.chronicle.bytes.RandomDataInput;

/**
 * One partition's open orders as a restart puts them back into their books: only what a book
 * holds, in columns, each account and symbol string shared, read in queue order (the order the
 * orders joined their price levels) once {@link #sortByQueue} has run.
 *
 * <p>Why columns and not {@code Order} objects: a restart with millions of open orders spent its
 * time on them — decoding strings no book needs, chasing pointers to scattered objects, and GC
 * copying them while the scan went on. And why columns of numbers only (strings and enums by
 * index): a column of references is an old object pointing at young ones, which every young
 * collection during the scan then visited reference by reference (0.8 s pauses at 6M orders).
 */
public final class OpenOrders {
    /** Bits of a sort key that hold a row: 2^23 orders per partition, over 2^40 offsets. */
    private static final int ROW_BITS = 23;

    private static final Side[] SIDES = Side.values();
    private static final TimeInForce[] TIMES_IN_FORCE = TimeInForce.values();

    /** Each distinct account or symbol once, by id; looked up by its encoded bytes (open addressing, slot to id). */
    private String[] strings = new String[64];
    private int stringCount;
    private byte[][] slotBytes = new byte[64][];
    private int[] slotHashes = new int[64];
    private int[] slotIds = new int[64];
    private long[] keys = new long[1024];
    private long[] queuedAt = new long[1024];
    private long[] prices = new long[1024];
    private long[] quantities = new long[1024];
    private long[] filled = new long[1024];
    private long[] createdAt = new long[1024];
    private byte[] sides = new byte[1024];
    private byte[] timesInForce = new byte[1024];
    private int[] accounts = new int[1024];
    private int[] symbols = new int[1024];
    private int size;

    /** {@code account} and {@code symbol} are ids {@link #string} gave. */
    void add(long key, int account, int symbol, Side side, TimeInForce timeInForce, long priceTicks,
             long quantity, long filledQuantity, long created, long queued) {
        if (size == keys.length) {
            grow();
        }
        keys[size] = key;
        accounts[size] = account;
        symbols[size] = symbol;
        sides[size] = (byte) side.ordinal();
        timesInForce[size] = (byte) timeInForce.ordinal();
        prices[size] = priceTicks;
        quantities[size] = quantity;
        filled[size] = filledQuantity;
        createdAt[size] = created;
        queuedAt[size] = queued;
        size++;
    }

    /**
     * The id of the string encoded in UTF-8 at {@code at} of {@code in}, {@code length} bytes:
     * decoded the first time those bytes are seen, the same id after that.
     */
    int string(RandomDataInput in, long at, int length) {
        int hash = length;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + in.readByte(at + i);
        }
        for (int slot = hash & (slotBytes.length - 1); ; slot = (slot + 1) & (slotBytes.length - 1)) {
            byte[] bytes = slotBytes[slot];
            if (bytes == null) {
                bytes = new byte[length];
                in.read(at, bytes, 0, length);
                if (stringCount == strings.length) {
                    strings = Arrays.copyOf(strings, stringCount * 2);
                }
                int id = stringCount++;
                strings[id] = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                slotBytes[slot] = bytes;
                slotHashes[slot] = hash;
                slotIds[slot] = id;
                if (stringCount * 2 > slotBytes.length) {
                    rehashStrings();
                }
                return id;
            }
            if (slotHashes[slot] == hash && bytes.length == length && sameBytes(bytes, in, at)) {
                return slotIds[slot];
            }
        }
    }

    private static boolean sameBytes(byte[] bytes, RandomDataInput in, long at) {
        for (int i = 0; i < bytes.length; i++) {
            if (bytes[i] != in.readByte(at + i)) {
                return false;
            }
        }
        return true;
    }

    private void rehashStrings() {
        byte[][] oldBytes = slotBytes;
        int[] oldHashes = slotHashes;
        int[] oldIds = slotIds;
        slotBytes = new byte[oldBytes.length * 2][];
        slotHashes = new int[oldHashes.length * 2];
        slotIds = new int[oldIds.length * 2];
        for (int i = 0; i < oldBytes.length; i++) {
            if (oldBytes[i] != null) {
                int slot = oldHashes[i] & (slotBytes.length - 1);
                while (slotBytes[slot] != null) {
                    slot = (slot + 1) & (slotBytes.length - 1);
                }
                slotBytes[slot] = oldBytes[i];
                slotHashes[slot] = oldHashes[i];
                slotIds[slot] = oldIds[i];
            }
        }
    }

    private void grow() {
        int capacity = keys.length * 2;
        keys = Arrays.copyOf(keys, capacity);
        queuedAt = Arrays.copyOf(queuedAt, capacity);
        prices = Arrays.copyOf(prices, capacity);
        quantities = Arrays.copyOf(quantities, capacity);
        filled = Arrays.copyOf(filled, capacity);
        createdAt = Arrays.copyOf(createdAt, capacity);
        sides = Arrays.copyOf(sides, capacity);
        timesInForce = Arrays.copyOf(timesInForce, capacity);
        accounts = Arrays.copyOf(accounts, capacity);
        symbols = Arrays.copyOf(symbols, capacity);
    }

    /**
     * Puts the rows in queue order: by {@code queuedAt}, the offset of the command that queued the
     * order, then by id. Sorts packed primitive keys (queue position above row), not objects through
     * a comparator, which dominated restarts with millions of open orders; then moves every column
     * into that order, so that the books are filled from memory read in sequence (read through a
     * permutation, each order cost a cache miss per column).
     */
    void sortByQueue() {
        int[] queue = queueOrder();
        keys = gather(keys, queue);
        queuedAt = gather(queuedAt, queue);
        prices = gather(prices, queue);
        quantities = gather(quantities, queue);
        filled = gather(filled, queue);
        createdAt = gather(createdAt, queue);
        sides = gather(sides, queue);
        timesInForce = gather(timesInForce, queue);
        accounts = gather(accounts, queue);
        symbols = gather(symbols, queue);
    }

    private int[] queueOrder() {
        int[] queue = new int[size];
        if (size < 1 << ROW_BITS) {
            long[] sortKeys = new long[size];
            for (int row = 0; row < size; row++) {
                sortKeys[row] = queuedAt[row] << ROW_BITS | row;
            }
            Arrays.sort(sortKeys);
            boolean distinct = true;
            for (int i = 0; i < size; i++) {
                queue[i] = (int) (sortKeys[i] & ((1 << ROW_BITS) - 1));
                distinct &= i == 0 || sortKeys[i] >>> ROW_BITS != sortKeys[i - 1] >>> ROW_BITS;
            }
            if (distinct) {
                return queue;
            }
        }
        // One command queues one order, so positions are distinct; were it otherwise, the id decides.
        return java.util.stream.IntStream.range(0, size).boxed()
                .sorted(java.util.Comparator.<Integer>comparingLong(row -> queuedAt[row])
                        .thenComparingLong(row -> keys[row])) // one partition: by offset
                .mapToInt(Integer::intValue).toArray();
    }

    private long[] gather(long[] column, int[] queue) {
        long[] inQueue = new long[size];
        for (int i = 0; i < size; i++) {
            inQueue[i] = column[queue[i]];
        }
        return inQueue;
    }

    private int[] gather(int[] column, int[] queue) {
        int[] inQueue = new int[size];
        for (int i = 0; i < size; i++) {
            inQueue[i] = column[queue[i]];
        }
        return inQueue;
    }

    private byte[] gather(byte[] column, int[] queue) {
        byte[] inQueue = new byte[size];
        for (int i = 0; i < size; i++) {
            inQueue[i] = column[queue[i]];
        }
        return inQueue;
    }

    /** How many open orders. */
    public int size() {
        return size;
    }

    // The i-th order: in queue order once sortByQueue has run.

    public long key(int i) {
        return keys[i];
    }

    /** The same instance for every order of the account. */
    public String account(int i) {
        return string(accounts[i]);
    }

    /** The same instance for every order of the symbol. */
    public String symbol(int i) {
        return string(symbols[i]);
    }

    /** The id of the i-th order's account: one per distinct account. */
    public int accountId(int i) {
        return accounts[i];
    }

    /** The id of the i-th order's symbol: one per distinct symbol. */
    public int symbolId(int i) {
        return symbols[i];
    }

    /** The account or symbol whose id is {@code id}. */
    public String string(int id) {
        return strings[id];
    }

    public Side side(int i) {
        return SIDES[sides[i]];
    }

    public TimeInForce timeInForce(int i) {
        return TIMES_IN_FORCE[timesInForce[i]];
    }

    public long priceTicks(int i) {
        return prices[i];
    }

    public long quantity(int i) {
        return quantities[i];
    }

    public long filledQuantity(int i) {
        return filled[i];
    }

    public long createdAt(int i) {
        return createdAt[i];
    }

    long queuedAt(int i) {
        return queuedAt[i];
    }
}
