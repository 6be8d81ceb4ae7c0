package dev.oms.streaming.storage;

import java.util.Arrays;

/**
 * A segment's sparse index, kept in memory and rebuilt from the segment on recovery: one entry
 * every {@code intervalBytes} of log with the batch's base offset, the largest timestamp of the
 * batches before it, and its file position. A read from any offset or timestamp then scans at most
 * one interval. Entries are added by the owning shard only; lookups may come from any thread.
 * Publication is through the volatile {@code count}, written after the entry.
 */
final class SegmentIndex {
    private final int intervalBytes;
    private volatile long[] offsets = new long[16];
    private volatile long[] timestampsBefore = new long[16];
    private volatile int[] positions = new int[16];
    private volatile int count;
    private int bytesSinceLastEntry;

    SegmentIndex(int intervalBytes) {
        this.intervalBytes = intervalBytes;
    }

    /** Notes a batch at {@code position}; {@code maxTimestampBefore} covers the batches before it. */
    void onBatch(long baseOffset, long maxTimestampBefore, int position, int sizeInBytes) {
        if (count == 0 || bytesSinceLastEntry >= intervalBytes) {
            add(baseOffset, maxTimestampBefore, position);
            bytesSinceLastEntry = 0;
        }
        bytesSinceLastEntry += sizeInBytes;
    }

    /** Where to start scanning for {@code offset}: the last entry at or before it, or 0. */
    int positionForOffset(long offset) {
        return floor(true, offset);
    }

    /** Where to start scanning for the first record at or after {@code timestamp}. */
    int positionForTimestamp(long timestamp) {
        // No batch before an entry whose predecessors all end before the timestamp can match.
        return floor(false, timestamp - 1);
    }

    private int floor(boolean byOffset, long key) {
        int n = count; // read before the arrays: any array seen afterwards holds at least n entries
        long[] keys = byOffset ? offsets : timestampsBefore;
        int[] p = positions;
        int lo = 0, hi = n - 1, found = -1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (keys[mid] <= key) {
                found = mid;
                lo = mid + 1;
            } else {
                hi = mid - 1;
            }
        }
        return found < 0 ? 0 : p[found];
    }

    /** Forgets the entries at or after {@code position} (the file is cut there). */
    void truncateTo(int position) {
        int n = count;
        while (n > 0 && positions[n - 1] >= position) {
            n--;
        }
        count = n;
        bytesSinceLastEntry = intervalBytes; // the next batch gets an entry
    }

    private void add(long offset, long timestampBefore, int position) {
        int n = count;
        if (n == positions.length) {
            // Grow by copying, then swap: readers holding the old arrays stay valid up to count.
            offsets = Arrays.copyOf(offsets, n * 2);
            timestampsBefore = Arrays.copyOf(timestampsBefore, n * 2);
            positions = Arrays.copyOf(positions, n * 2);
        }
        offsets[n] = offset;
        timestampsBefore[n] = timestampBefore;
        positions[n] = position;
        count = n + 1;
    }
}
