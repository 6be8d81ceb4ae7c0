package dev.oms.streaming.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import dev.oms.streaming.storage.PartitionLog;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * What a replica's entry index costs per Raft flush: one entry appended and made durable, as the
 * log worker does for each flush of a group under load. {@code preallocate} 0 is the file growing
 * with each entry (the baseline of the same run); otherwise zeros are written that far ahead.
 * bench/entry-index.sh runs it on the disk the data directory would use.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class EntryIndexSyncBenchmark {
    @Param({"0", "65536"})
    int preallocate;

    private Path dir;
    private RaftEntryIndex index;
    private long next;

    @Setup(Level.Iteration)
    public void open() throws IOException {
        dir = Files.createTempDirectory(Path.of(System.getProperty("bench.dir", System.getProperty("java.io.tmpdir"))),
                "entry-index");
        index = RaftEntryIndex.open(dir.resolve("raft-entries"), 1024, preallocate);
        next = 0;
    }

    @TearDown(Level.Iteration)
    public void close() throws IOException {
        index.close();
        dev.oms.streaming.storage.Directories.delete(dir);
    }

    @Benchmark
    public void appendAndSync() throws IOException {
        long i = next++;
        index.append(new RaftEntryIndex.Entry(i, 10 * i, (short) 0, new PartitionLog.End(10 * i, 0, (int) (100 * i)),
                new PartitionLog.End(10 * i + 10, 0, (int) (100 * i + 100)), null));
        index.sync();
    }
}
