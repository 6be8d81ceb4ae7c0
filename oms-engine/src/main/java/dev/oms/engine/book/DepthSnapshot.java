package dev.oms.engine.book;

import dev.oms.engine.order.Side;

/**
 * The top levels of both sides of a book (price, total open quantity, order count), best first, filled
 * by {@link OrderBook#depth}. Reusable: a caller keeps one and refills it, so taking a snapshot
 * allocates nothing. Owned by whoever filled it; the engine worker's, like the book.
 */
public final class DepthSnapshot {
    private final int maxLevels;
    private final long[] priceTicks;
    private final long[] quantities;
    private final int[] orderCounts;
    private final int[] levelCounts = new int[2];

    public DepthSnapshot(int maxLevels) {
        if (maxLevels <= 0) {
            throw new IllegalArgumentException("a depth snapshot needs at least one level, got " + maxLevels);
        }
        this.maxLevels = maxLevels;
        this.priceTicks = new long[2 * maxLevels];
        this.quantities = new long[2 * maxLevels];
        this.orderCounts = new int[2 * maxLevels];
    }

    public int maxLevels() {
        return maxLevels;
    }

    /** How many levels of {@code side} the snapshot holds, at most {@link #maxLevels()}. */
    public int levels(Side side) {
        return levelCounts[side.ordinal()];
    }

    /** The price of the level {@code depth} places behind the best (0 is the best). */
    public long priceTicks(Side side, int depth) {
        return priceTicks[index(side, depth)];
    }

    public long quantity(Side side, int depth) {
        return quantities[index(side, depth)];
    }

    public int orderCount(Side side, int depth) {
        return orderCounts[index(side, depth)];
    }

    void clear() {
        levelCounts[0] = 0;
        levelCounts[1] = 0;
    }

    void add(Side side, long price, long quantity, int orderCount) {
        int i = side.ordinal() * maxLevels + levelCounts[side.ordinal()]++;
        priceTicks[i] = price;
        quantities[i] = quantity;
        orderCounts[i] = orderCount;
    }

    private int index(Side side, int depth) {
        if (depth < 0 || depth >= levelCounts[side.ordinal()]) {
            throw new IndexOutOfBoundsException("depth " + depth + " of " + side + ", which has "
                    + levelCounts[side.ordinal()] + " levels in this snapshot");
        }
        return side.ordinal() * maxLevels + depth;
    }
}
