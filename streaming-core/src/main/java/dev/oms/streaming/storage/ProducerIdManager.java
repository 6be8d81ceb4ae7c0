package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Hands out producer ids (InitProducerId) that are never reused, across restarts and crashes:
 * ids are taken in blocks, and a block is recorded durably before its first id is handed out.
 *
 * <p>Threads: any; {@link #next} is synchronized (it runs once per producer, not per record).
 */
public final class ProducerIdManager {
    private static final long BLOCK = 1000;

    private final Path file;
    private long next;
    private long blockEnd;

    public ProducerIdManager(Path file) throws IOException {
        this.file = file;
        long reserved = 0;
        if (Files.exists(file)) {
            String text = Files.readString(file).trim();
            try {
                reserved = Long.parseLong(text);
            } catch (NumberFormatException e) {
                throw new IOException(file + " holds '" + text + "', not a producer id; restore it or delete it "
                        + "(idempotent producers will then need to reconnect)", e);
            }
        }
        next = reserved;
        blockEnd = reserved;
    }

    public synchronized long next() throws IOException {
        if (next == blockEnd) {
            reserve(blockEnd + BLOCK);
        }
        return next++;
    }

    private void reserve(long end) throws IOException {
        // Durably, rename included: ids handed out from a block a power loss forgot would be handed out again.
        Directories.writeDurably(file, ByteBuffer.wrap((end + "\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        blockEnd = end;
    }
}
