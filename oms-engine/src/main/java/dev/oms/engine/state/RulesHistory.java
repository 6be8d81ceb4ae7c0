package dev.oms.engine.state;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Per partition, the rules records applied and where ({@code state/rules-<partition>}, a line
 * {@code <offset> <record>} each): what a partition resuming from its checkpoint decides by, with no
 * scan of the log before it. Written when the engine applies such a record, ahead of the checkpoint;
 * a resume forgets what lies at or past its offset, which it applies again (a batch that did not
 * stick, a log a new leader cut), so an entry never outlives the record it came from.
 *
 * <p>Threads: a partition's from the one worker that applies it.
 */
public final class RulesHistory {
    private final Path dir;

    public RulesHistory(Path dir) {
        this.dir = dir;
    }

    /** An applied rules record: where it is in the partition, and its value. */
    public record Entry(long offset, byte[] value) {
    }

    /**
     * The last rules record before {@code offset}, where the partition resumes; forgets any at or
     * after it.
     */
    public Optional<Entry> resumeAt(int partition, long offset) {
        List<Entry> entries = read(partition);
        List<Entry> kept = entries.stream().filter(e -> e.offset() < offset).toList();
        if (kept.size() < entries.size()) {
            write(partition, kept);
        }
        return kept.isEmpty() ? Optional.empty() : Optional.of(kept.getLast());
    }

    /** The partition's record at {@code offset} was applied: the rules from there on. */
    public void applied(int partition, long offset, byte[] value) {
        List<Entry> entries = new ArrayList<>(read(partition).stream().filter(e -> e.offset() < offset).toList());
        entries.add(new Entry(offset, value));
        write(partition, entries);
    }

    private Path file(int partition) {
        return dir.resolve("rules-" + partition);
    }

    private List<Entry> read(int partition) {
        Path file = file(partition);
        if (!Files.exists(file)) {
            return List.of();
        }
        try {
            List<Entry> entries = new ArrayList<>();
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                int space = line.indexOf(' ');
                if (space > 0) {
                    entries.add(new Entry(Long.parseLong(line.substring(0, space)),
                            line.substring(space + 1).getBytes(StandardCharsets.UTF_8)));
                }
            }
            return entries;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + file, e);
        }
    }

    /** Whole or not at all: a temporary file, synced, then renamed over the old one. */
    private void write(int partition, List<Entry> entries) {
        Path file = file(partition);
        Path next = dir.resolve("rules-" + partition + ".next");
        StringBuilder text = new StringBuilder();
        for (Entry e : entries) {
            // The records are JSON objects on one line: the codec writes no line breaks.
            text.append(e.offset()).append(' ').append(new String(e.value(), StandardCharsets.UTF_8)).append('\n');
        }
        try {
            Files.writeString(next, text, StandardCharsets.UTF_8);
            try (var channel = java.nio.channels.FileChannel.open(next, StandardOpenOption.WRITE)) {
                channel.force(true);
            }
            Files.move(next, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("writing " + file, e);
        }
    }
}
