package dev.oms.engine.book;

import java.util.Arrays;

/**
 * The price levels of one side of a book, kept in an array sorted from the worst price to the best, so
 * the best level sits at the end: taking it, emptying it and adding near it, the common cases, move
 * nothing or almost nothing. Lookups by price are binary searches. Emptied levels go back to a pool.
 * Engine worker only.
 */
final class BookSide {
    private final boolean bids;
    private PriceLevel[] levels = new PriceLevel[64];
    private int size;
    private PriceLevel freeLevels;

    BookSide(boolean bids) {
        this.bids = bids;
    }

    int size() {
        return size;
    }

    /** The best level, or null when the side is empty. */
    PriceLevel best() {
        return size == 0 ? null : levels[size - 1];
    }

    /** The level {@code depth} places behind the best; 0 is the best. */
    PriceLevel level(int depth) {
        return levels[size - 1 - depth];
    }

    /** The level at {@code priceTicks}, created empty where there is none. */
    PriceLevel levelAt(long priceTicks) {
        int index = indexOf(priceTicks);
        if (index >= 0) {
            return levels[index];
        }
        int insertAt = -index - 1;
        if (size == levels.length) {
            levels = Arrays.copyOf(levels, size * 2);
        }
        System.arraycopy(levels, insertAt, levels, insertAt + 1, size - insertAt);
        PriceLevel level = freeLevels;
        if (level == null) {
            level = new PriceLevel();
        } else {
            freeLevels = level.nextFree;
            level.nextFree = null;
        }
        level.priceTicks = priceTicks;
        levels[insertAt] = level;
        size++;
        return level;
    }

    /** Drops an empty level and pools it. */
    void remove(PriceLevel level) {
        int index = indexOf(level.priceTicks);
        System.arraycopy(levels, index + 1, levels, index, size - index - 1);
        levels[--size] = null;
        level.totalQuantity = 0;
        level.orderCount = 0;
        level.nextFree = freeLevels;
        freeLevels = level;
    }

    private int indexOf(long priceTicks) {
        long rank = rank(priceTicks);
        int low = 0;
        int high = size - 1;
        while (low <= high) {
            int mid = (low + high) >>> 1;
            long midRank = rank(levels[mid].priceTicks);
            if (midRank < rank) {
                low = mid + 1;
            } else if (midRank > rank) {
                high = mid - 1;
            } else {
                return mid;
            }
        }
        return -(low + 1);
    }

    /** Higher rank is a better price: the highest bid, the lowest ask. Prices are positive, so negation is safe. */
    private long rank(long priceTicks) {
        return bids ? priceTicks : -priceTicks;
    }
}
