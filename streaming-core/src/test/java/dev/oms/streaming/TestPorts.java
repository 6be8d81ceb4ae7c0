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
 * the kernel handed out, {@code new ServerSocket(0)}, can be). Random, and free when chosen.
 */
public final class TestPorts {
    private static final int FIRST = 20_000;
    private static final int COUNT = 12_000;

    private TestPorts() {
    }

    /** A port nothing listens on now, outside the ephemeral range. */
    public static int free() throws IOException {
        for (int attempt = 0; attempt < 1_000; attempt++) {
            int port = FIRST + ThreadLocalRandom.current().nextInt(COUNT);
            try (ServerSocket socket = new ServerSocket(port)) {
                return port;
            } catch (BindException taken) {
                // another one
            }
        }
        throw new IOException("no free port in " + FIRST + "-" + (FIRST + COUNT - 1));
    }
}
