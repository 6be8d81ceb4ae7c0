package dev.oms.streaming;

import java.io.IOException;
import java.net.BindException;
import java.net.ServerSocket;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Ports for servers a test starts itself, and may stop and start again on the same port. Taken
 * below Linux's ephemeral range (32768-60999 unless configured otherwise), from which the kernel
 * picks the local port of every outgoing connection: a port freed while a node is down, or between
 * choosing it and binding it, is not taken meanwhile by a client connecting elsewhere (a port
 * the kernel handed out, {@code new ServerSocket(0)}, can be). Random, free when chosen, and
 * never handed out twice in a JVM: two draws of one port for two nodes of a cluster (1 in 4,000
 * for three) made the second node's Raft server fail to bind, and Ratis ends the JVM then.
 *
 * <p>Surefire runs test classes in parallel JVMs ({@code forkCount}); each draws from its own slice
 * of the range (system property {@code oms.test.fork}, surefire's fork number), so that two JVMs
 * never choose one port between one's check and its bind.
 */
public final class TestPorts {
    private static final int SLICES = 4;
    private static final int COUNT = 12_000 / SLICES;
    private static final int FIRST = 20_000 + (Math.max(1, Integer.getInteger("oms.test.fork", 1)) - 1) % SLICES * COUNT;
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private TestPorts() {
    }

    /** A port nothing listens on now, outside the ephemeral range. */
    public static int free() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = FIRST + ThreadLocalRandom.current().nextInt(COUNT);
            if (!HANDED_OUT.add(port)) {
                continue; // given to an earlier caller, which may not have bound it yet
            }
            try (ServerSocket socket = new ServerSocket(port)) {
                return port;
            } catch (BindException taken) {
                // another one
            }
        }
        throw new IOException("no free port in " + FIRST + "-" + (FIRST + COUNT - 1));
    }
}
