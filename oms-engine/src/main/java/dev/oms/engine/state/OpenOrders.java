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
 * copying them while the scan went on.
 */
public final class OpenOrders {
    /** Bits of a sort key that hold a row: 2^23 orders per partition, over 2^40 offsets. */
    private static final int ROW_BITS = 23;

    /** One String per distinct account or symbol, looked up by its encoded bytes (open addressing). */
    private byte[][] stringBytes = new byte[64][];
    private String[] strings = new String[64];
    private int[] stringHashes = new int[64];
    private int stringCount;
    private long[] keys = new long[1024];
    private long[] queuedAt = new long[1024];
    private long[] prices = new long[1024];
    private long[] quantities = new long[1024];
    private long[] filled = new long[1024];
    private long[] createdAt = new long[1024];
    private Side[] sides = new Side[1024];
    private TimeInForce[] timesInForce = new TimeInForce[1024];
    private String[] accounts = new String[1024];
    private String[] symbols = new String[1024];
    private int size;

    void add(long key, String account, String symbol, Side side, TimeInForce timeInForce, long priceTicks,
             long quantity, long filledQuantity, long created, long queued) {
        if (size == keys.length) {
            grow();
        }
        keys[size] = key;
        accounts[size] = account;
        symbols[size] = symbol;
        sides[size] = side;
        timesInForce[size] = timeInForce;
        prices[size] = priceTicks;
        quantities[size] = quantity;
        filled[size] = filledQuantity;
        createdAt[size] = created;
        queuedAt[size] = queued;
        size++;
    }

    /**
     * The string encoded in UTF-8 at {@code at} of {@code in}, {@code length} bytes: decoded the
     * first time those bytes are seen, the same instance after that.
     */
    String string(RandomDataInput in, long at, int length) {
        int hash = length;
        for (int i = 0; i < length; i++) {
            hash = 31 * hash + in.readByte(at + i);
        }
        for (int slot = hash & (strings.length - 1); ; slot = (slot + 1) & (strings.length - 1)) {
            byte[] bytes = stringBytes[slot];
            if (bytes == null) {
                bytes = new byte[length];
                in.read(at, bytes, 0, length);
                String string = new String(bytes, java.nio.charset.StandardCharsets.UTF_8);
                stringBytes[slot] = bytes;
                strings[slot] = string;
                stringHashes[slot] = hash;
                if (++stringCount * 2 > strings.length) {
                    rehashStrings();
                }
                return string;
            }
            if (stringHashes[slot] == hash && bytes.length == length && sameBytes(bytes, in, at)) {
                return strings[slot];
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
        byte[][] oldBytes = stringBytes;
        String[] oldStrings = strings;
        int[] oldHashes = stringHashes;
        stringBytes = new byte[oldBytes.length * 2][];
        strings = new String[oldStrings.length * 2];
        stringHashes = new int[oldHashes.length * 2];
        for (int i = 0; i < oldBytes.length; i++) {
            if (oldBytes[i] != null) {
                int slot = oldHashes[i] & (strings.length - 1);
                while (stringBytes[slot] != null) {
                    slot = (slot + 1) & (strings.length - 1);
                }
                stringBytes[slot] = oldBytes[i];
                strings[slot] = oldStrings[i];
                stringHashes[slot] = oldHashes[i];
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

    private <T> T[] gather(T[] column, int[] queue) {
        T[] inQueue = Arrays.copyOf(column, size);
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

    public String account(int i) {
        return accounts[i];
    }

    public String symbol(int i) {
        return symbols[i];
    }

    public Side side(int i) {
        return sides[i];
    }

    public TimeInForce timeInForce(int i) {
        return timesInForce[i];
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
