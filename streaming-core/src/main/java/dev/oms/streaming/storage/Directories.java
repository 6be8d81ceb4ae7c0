package dev.oms.streaming.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.UUID;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deleting what is found by its directory's name (a partition, a Raft group) so that a crash
 * halfway never leaves a part of it to be opened again: the directory is first renamed aside in
 * one atomic step, made durable, then deleted; the next start finishes what a crash interrupted.
 */
public final class Directories {
    private static final Logger LOG = LoggerFactory.getLogger(Directories.class);
    /** Ends the name of a file or directory being deleted (no partition's or group's name ends so). */
    public static final String DELETED_SUFFIX = ".deleted";

    private Directories() {
    }

    /**
     * Puts {@code from} in place of {@code to} in one atomic step, and makes the rename itself
     * survive a power loss (its directory forced): how a rewritten file replaces the old one.
     */
    public static void replaceDurably(Path from, Path to) throws IOException {
        Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel parent = FileChannel.open(to.getParent(), StandardOpenOption.READ)) {
            parent.force(true);
        }
    }

    /**
     * Replaces {@code file} with {@code content} so that a crash or a power loss leaves either the
     * old file or the new one, whole: written to {@code <file>.tmp}, forced, renamed in place durably.
     */
    public static void writeDurably(Path file, ByteBuffer content) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            while (content.hasRemaining()) {
                channel.write(content);
            }
            channel.force(true);
        }
        replaceDurably(tmp, file);
    }

    /** Creates the empty file {@code file} (if missing), and makes its name survive a power loss. */
    public static void createDurably(Path file) throws IOException {
        if (!Files.exists(file)) {
            Files.createFile(file);
        }
        sync(file.getParent());
    }

    /** Makes the names in {@code directory} (files created, renamed or deleted) survive a power loss. */
    public static void sync(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** Renames {@code directory} aside atomically and durably, then deletes it and everything in it. */
    public static void delete(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        // Not named after the directory: a name near the 255-byte limit (Kafka allows 249) could not grow.
        Path doomed = directory.resolveSibling("." + UUID.randomUUID() + DELETED_SUFFIX);
        Files.move(directory, doomed, StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel parent = FileChannel.open(directory.getParent(), StandardOpenOption.READ)) {
            parent.force(true);
        }
        deleteTree(doomed);
    }

    /** Finishes the deletions a crash interrupted: every directory under {@code parent} renamed aside. */
    public static void deleteLeftovers(Path parent) throws IOException {
        if (!Files.isDirectory(parent)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(parent)) {
            for (Path dir : dirs.filter(d -> Files.isDirectory(d) && d.getFileName().toString().endsWith(DELETED_SUFFIX)).toList()) {
                LOG.info("finishing the deletion of {}", dir);
                deleteTree(dir);
            }
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
