package dev.oms.streaming.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import dev.oms.streaming.storage.PartitionLog;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The map from Raft entries to their bytes in a replicated partition's segment, on a real file. */
class RaftEntryIndexTest {
    @TempDir
    Path dir;

    /** Entry {@code i} (Raft indexes 2, 4, 6…: other entries are Raft's own) covers offsets 10i to 10i+10. */
    private static RaftEntryIndex.Entry entry(long i) {
        return new RaftEntryIndex.Entry(2 * i, 10 * i, (short) 0, new PartitionLog.End(10 * i, 0, (int) (100 * i)),
                new PartitionLog.End(10 * i + 10, 0, (int) (100 * i + 100)), i % 7 == 0 ? ("request " + i).getBytes() : null);
    }

    /** Entries 1 to {@code count}. */
    private static void appendEntries(RaftEntryIndex index, int count) throws IOException {
        appendEntries(index, 1, count);
    }

    /** Entries {@code from} to {@code to}. */
    private static void appendEntries(RaftEntryIndex index, int from, int to) throws IOException {
        for (long i = from; i <= to; i++) {
            index.append(entry(i));
        }
    }

    @Test
    void entriesOlderThanTheCacheAreReadBackFromTheFileAndAllSurviveAReopen() throws IOException {
        Path file = dir.resolve("raft-entries");
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, 50);
            index.sync();
            assertThat(index.get(2 * 3)).usingRecursiveComparison().isEqualTo(entry(3)); // from the file
            assertThat(index.get(2 * 49)).usingRecursiveComparison().isEqualTo(entry(49)); // from memory
            assertThat(index.get(7)).as("an index that is Raft's own").isNull();
            assertThat(index.ceiling(7).index()).isEqualTo(8);
        }
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file, 10)) {
            assertThat(reopened.last()).usingRecursiveComparison().isEqualTo(entry(50));
            assertThat(reopened.get(2 * 14)).usingRecursiveComparison().isEqualTo(entry(14));
        }
    }

    /**
     * Entries are written into zeros written ahead of them (a sync inside them need not record the
     * file's growth); a reopen reads every entry, stops at the zeros and drops them, and appends go
     * on from the last entry, into zeros written ahead again.
     */
    @Test
    void zerosWrittenAheadOfTheEntriesAreDroppedAtAReopenAndAppendsGoOnAfterTheLastEntry() throws IOException {
        Path file = dir.resolve("raft-entries");
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, 3);
            index.sync();
            assertThat(Files.size(file)).isGreaterThan(RaftEntryIndex.PREALLOCATE).isLessThan(RaftEntryIndex.PREALLOCATE + 1024);
        }
        long threeEntries;
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file, 10)) {
            assertThat(reopened.size()).isEqualTo(3);
            assertThat(reopened.last()).usingRecursiveComparison().isEqualTo(entry(3));
            threeEntries = Files.size(file);
            assertThat(threeEntries).isLessThan(1024);
            appendEntries(reopened, 4, 5);
            reopened.sync();
            assertThat(Files.size(file)).isGreaterThan(threeEntries + RaftEntryIndex.PREALLOCATE)
                    .isLessThan(threeEntries + RaftEntryIndex.PREALLOCATE + 1024);
        }
        try (RaftEntryIndex again = RaftEntryIndex.open(file, 10)) {
            assertThat(again.size()).isEqualTo(5);
            assertThat(again.get(2 * 4)).usingRecursiveComparison().isEqualTo(entry(4));
            assertThat(again.last()).usingRecursiveComparison().isEqualTo(entry(5));
        }
    }

    @Test
    void droppingWhatRaftPurgedShrinksTheFileAndKeepsEveryLaterEntryAcrossAReopen() throws IOException {
        Path file = dir.resolve("raft-entries");
        int count = 3 * RaftEntryIndex.MIN_DROP;
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, count);
            long before = Files.size(file);
            index.dropBefore(2 * (count - 99)); // Raft purged all but the last 100 entries
            assertThat(index.size()).isEqualTo(100);
            assertThat(Files.size(file)).isLessThan(before / 20);
            assertThat(index.get(2 * (count - 100))).as("dropped").isNull();
            assertThat(index.get(2 * (count - 99))).usingRecursiveComparison().isEqualTo(entry(count - 99)); // from the new file
            index.append(entry(count + 1));
            index.sync();
        }
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file, 10)) {
            assertThat(reopened.size()).isEqualTo(101);
            assertThat(reopened.get(2 * (count - 50))).usingRecursiveComparison().isEqualTo(entry(count - 50));
            assertThat(reopened.last()).usingRecursiveComparison().isEqualTo(entry(count + 1));
        }
    }

    /** A follower far behind reads old entries back from the file while Raft's purges drop others. */
    @Test
    void entriesReadFromTheFileDuringDropsAreTheOnesAskedFor() throws Exception {
        Path file = dir.resolve("raft-entries");
        int chunk = 2 * RaftEntryIndex.MIN_DROP;
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, chunk);
            java.util.concurrent.atomic.AtomicLong last = new java.util.concurrent.atomic.AtomicLong(chunk);
            java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread reader = Thread.ofPlatform().start(() -> {
                java.util.SplittableRandom random = new java.util.SplittableRandom(7);
                while (!done.get()) {
                    long i = last.get() - 10 - random.nextInt(RaftEntryIndex.MIN_DROP / 2); // kept, not cached
                    try {
                        RaftEntryIndex.Entry read = index.get(2 * i);
                        boolean droppedSince = i <= last.get() - RaftEntryIndex.MIN_DROP;
                        if (read == null ? !droppedSince : read.index() != 2 * i || read.ack() != 10 * i) {
                            throw new AssertionError("asked for entry " + i + ", got " + read);
                        }
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }
            });
            for (int round = 0; round < 100; round++) { // the writer appends; Raft purges all but the last 1,024
                appendEntries(index, (int) last.get() + 1, (int) last.get() + chunk);
                last.addAndGet(chunk);
                index.dropBefore(2 * (last.get() - RaftEntryIndex.MIN_DROP + 1));
                assertThat(index.size()).isEqualTo(RaftEntryIndex.MIN_DROP);
            }
            done.set(true);
            reader.join();
            assertThat(failure.get()).isNull();
        }
    }

    @Test
    void theLastEntryIsKeptWhateverRaftPurgedAndSmallDropsWait() throws IOException {
        Path file = dir.resolve("raft-entries");
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, RaftEntryIndex.MIN_DROP / 2);
            index.dropBefore(Long.MAX_VALUE);
            assertThat(index.size()).as("too few to rewrite the file for").isEqualTo(RaftEntryIndex.MIN_DROP / 2);
            appendEntries(index, RaftEntryIndex.MIN_DROP / 2 + 1, 3 * RaftEntryIndex.MIN_DROP);
            index.dropBefore(Long.MAX_VALUE); // a snapshot installed past every entry here
            assertThat(index.size()).isEqualTo(1);
            assertThat(index.last()).usingRecursiveComparison().isEqualTo(entry(3 * RaftEntryIndex.MIN_DROP));
        }
    }

    @Test
    void truncatingForgetsTheLaterEntriesInTheFileAndInMemory() throws IOException {
        Path file = dir.resolve("raft-entries");
        try (RaftEntryIndex index = RaftEntryIndex.open(file, 10)) {
            appendEntries(index, 30);
            index.truncateFrom(2 * 5 + 1); // a new leader replaced everything after entry 5
            assertThat(index.last().index()).isEqualTo(2 * 5);
            assertThat(index.get(2 * 20)).isNull();
            index.append(entry(6));
        }
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file, 10)) {
            assertThat(reopened.last()).usingRecursiveComparison().isEqualTo(entry(6));
            assertThat(reopened.ceiling(2 * 7)).isNull();
        }
    }

    @Test
    void aTornLastRecordIsDroppedAtOpen() throws IOException {
        Path file = dir.resolve("raft-entries");
        try (RaftEntryIndex index = RaftEntryIndex.open(file)) {
            appendEntries(index, 3);
        }
        long whole;
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file)) {
            whole = Files.size(file); // the three entries, the zeros after them dropped
        }
        try (var channel = java.nio.channels.FileChannel.open(file, StandardOpenOption.WRITE)) {
            // A fourth record cut short, in the zeros written ahead of it.
            channel.write(java.nio.ByteBuffer.allocate(RaftEntryIndex.PREALLOCATE), whole);
            channel.write(java.nio.ByteBuffer.wrap(new byte[] {0, 0, 0, 90, 1, 2, 3}), whole);
        }
        try (RaftEntryIndex reopened = RaftEntryIndex.open(file)) {
            assertThat(reopened.last()).usingRecursiveComparison().isEqualTo(entry(3));
        }
        assertThat(Files.size(file)).isEqualTo(whole);
    }
}
