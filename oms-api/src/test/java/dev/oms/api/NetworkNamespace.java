package dev.oms.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Assumptions;

/**
 * A network namespace joined to this one by a veth pair (iproute2): a process started inside it
 * is reachable at {@link #innerAddress()} and reaches this side at {@link #hostAddress()}, until
 * {@link #cut()} takes its end of the link down — a real partition of the network, not a stopped
 * process. Needs root (CAP_NET_ADMIN); without it the test that asks is skipped, saying why.
 */
final class NetworkNamespace implements AutoCloseable {
    private final String name;
    private final String hostLink;
    private final String innerLink;
    private final String subnet;

    private NetworkNamespace(String name, String hostLink, String innerLink, String subnet) {
        this.name = name;
        this.hostLink = hostLink;
        this.innerLink = innerLink;
        this.subnet = subnet;
    }

    static NetworkNamespace create() throws IOException, InterruptedException {
        int id = ThreadLocalRandom.current().nextInt(10, 250);
        NetworkNamespace ns = new NetworkNamespace("oms-test-" + id, "omsh" + id, "omsn" + id, "10.231." + id);
        String failure = ns.run("ip", "netns", "add", ns.name);
        Assumptions.assumeTrue(failure == null, () -> "network namespaces need root and iproute2: " + failure);
        try {
            ns.check(ns.run("ip", "link", "add", ns.hostLink, "type", "veth", "peer", "name", ns.innerLink));
            ns.check(ns.run("ip", "link", "set", ns.innerLink, "netns", ns.name));
            ns.check(ns.run("ip", "addr", "add", ns.hostAddress() + "/24", "dev", ns.hostLink));
            ns.check(ns.run("ip", "link", "set", ns.hostLink, "up"));
            ns.check(ns.inside("ip", "addr", "add", ns.innerAddress() + "/24", "dev", ns.innerLink));
            ns.check(ns.inside("ip", "link", "set", ns.innerLink, "up"));
            ns.check(ns.inside("ip", "link", "set", "lo", "up"));
        } catch (IOException | RuntimeException e) {
            ns.close();
            throw e;
        }
        return ns;
    }

    String hostAddress() {
        return subnet + ".1";
    }

    String innerAddress() {
        return subnet + ".2";
    }

    /** The command prefix that runs a program inside the namespace. */
    List<String> launcher() {
        return List.of("ip", "netns", "exec", name);
    }

    /** Takes the namespace's end of the link down: nothing passes either way. */
    void cut() throws IOException, InterruptedException {
        check(inside("ip", "link", "set", innerLink, "down"));
    }

    void restore() throws IOException, InterruptedException {
        check(inside("ip", "link", "set", innerLink, "up"));
    }

    /** Runs a command inside the namespace; its output and exit code. */
    Result exec(String input, long timeoutSeconds, String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(launcher());
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).start();
        process.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        process.getOutputStream().close();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        return new Result(process.isAlive() ? -1 : process.exitValue(),
                new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
    }

    record Result(int exitCode, String output) {
    }

    private String inside(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>(launcher());
        full.addAll(List.of(command));
        return run(full.toArray(String[]::new));
    }

    /** Null when the command succeeded, else what it said. */
    private String run(String... command) throws IOException, InterruptedException {
        Process process;
        try {
            process = new ProcessBuilder(command).redirectErrorStream(true).start();
        } catch (IOException e) {
            return e.getMessage();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        return process.waitFor() == 0 ? null : String.join(" ", command) + ": " + output.trim();
    }

    private void check(String failure) throws IOException {
        if (failure != null) {
            throw new IOException(failure);
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        run("ip", "link", "del", hostLink); // deletes both ends
        run("ip", "netns", "del", name);
    }
}
