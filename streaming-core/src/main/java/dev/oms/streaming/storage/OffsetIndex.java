package dev.oms.streaming.storage;

/**
 * Sparse, in-memory map from offset to file position: one entry every {@code intervalBytes} of log,
 * so that a read from any offset scans at most one interval. Entries are added by the owning shard
 * thread only; lookups may come from any thread. Publication is through the volatile {@code count}
 * written after the entry, so a reader never sees a half-written entry.
 */
final class OffsetIndex {
    private final int intervalBytes;
    private volatile long[] offsets = new long[64];
    private volatile int[] positions = new int[64];
    private volatile int count;
    private int bytesSinceLastEntry;

    OffsetIndex(int intervalBytes) {
        this.intervalBytes = intervalBytes;
    }

    /** Notes a batch starting at {@code position}; owner thread only. */
    void onBatch(long baseOffset, int position, int sizeInBytes) {
        if (count == 0 || bytesSinceLastEntry >= intervalBytes) {
            add(baseOffset, position);
            bytesSinceLastEntry = 0;
        }
        bytesSinceLastEntry += sizeInBytes;
    }

    /** The position of the last indexed batch at or before {@code offset}, or 0. */
    int floorPosition(long offset) {
        int n = count;
        long[] o = offsets;
        int[] p = positions;
        int lo = 0, hi = n - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (o[mid] <= offset) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : p[found];
    }

    /** Drops entries at or past {@code position} (after a truncation); owner thread only. */
    void truncateTo(int position) {
        int n = count;
        while (n > 0 && positions[n - 1] >= position) {
            n--;
        }
        count = n;
        bytesSinceLastEntry = intervalBytes;
    }

    private void add(long offset, int position) {
        int n = count;
        if (n == offsets.length) {
            // Grow copies first and swaps after, so readers holding the old arrays stay valid.
            long[] o = java.util.Arrays.copyOf(offsets, n * 2);
            int[] p = java.util.Arrays.copyOf(positions, n * 2);
            offsets = o;
            positions = p;
        }
        offsets[n] = offset;
        positions[n] = position;
        count = n + 1;
    }
}
