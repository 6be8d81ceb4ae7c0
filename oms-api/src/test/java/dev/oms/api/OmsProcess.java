package dev.oms.api;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The single binary as a child process, started the way the launcher starts it: the same main
 * class, class path and JVM flags (taken from this test JVM, which surefire started with the one
 * definition in the parent POM). Stops with SIGTERM or dies with SIGKILL.
 */
final class OmsProcess implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("oms ready: http://([^:]+):(\\d+)/ kafka ([^:]+):(\\d+) ");

    private final Process process;
    private final String httpHost;
    private final int httpPort;
    private final String kafkaHost;
    private final int kafkaPort;
    private final Path log;

    private OmsProcess(Process process, Matcher ready, Path log) {
        this.process = process;
        this.httpHost = ready.group(1);
        this.httpPort = Integer.parseInt(ready.group(2));
        this.kafkaHost = ready.group(3);
        this.kafkaPort = Integer.parseInt(ready.group(4));
        this.log = log;
    }

    /** Starts oms on {@code dataDir} with a free HTTP port and waits for its ready line. */
    static OmsProcess start(Path dataDir, String... extraArgs) throws Exception {
        return start(dataDir, Map.of(), extraArgs);
    }

    /** Starts oms with more settings as environment variables. */
    static OmsProcess start(Path dataDir, Map<String, String> settings, String... extraArgs) throws Exception {
        return start(dataDir, settings, List.of(), extraArgs);
    }

    /**
     * Starts oms through {@code launcher} (a command that runs the next one, as
     * {@code ip netns exec NS} does) with more settings as environment variables.
     */
    static OmsProcess start(Path dataDir, Map<String, String> settings, List<String> launcher, String... extraArgs)
            throws Exception {
        List<String> command = new ArrayList<>(launcher);
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
            if (arg.startsWith("--add-") || arg.startsWith("--enable-native-access") || arg.startsWith("--sun-misc")
                    || arg.startsWith("-Dchronicle") || arg.startsWith("-Dagrona")) {
                command.add(arg);
            }
        }
        // C1 only: a node of a test lives seconds, mostly starting; C2's compiles took 40% of a start's CPU
        // (10 s → 6 s for one node, measured) and a cluster test starts three nodes at once on two cores.
        command.addAll(List.of("-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "--data-dir", dataDir.toString(), "--http-port", "0", "--kafka-port", "0"));
        command.addAll(List.of(extraArgs));
        Path log = dataDir.resolveSibling(dataDir.getFileName() + "-" + System.nanoTime() + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(log.toFile());
        Map<String, String> env = builder.environment();
        env.put("OMS_HTTP_HOST", "127.0.0.1");
        env.put("OMS_KAFKA_HOST", "127.0.0.1");
        env.put("OMS_KAFKA_ADVERTISED_HOST", "127.0.0.1");
        env.put("OMS_LOG_PARTITIONS", "4");
        env.put("OMS_ENGINE_MAX_ORDERS", "100000");
        env.putAll(settings);
        Process process = builder.start();

        CompletableFuture<Matcher> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = out.readLine()) != null; ) {
                    Matcher m = READY.matcher(line);
                    if (m.find()) {
                        port.complete(m);
                    }
                }
                port.completeExceptionally(new IllegalStateException("oms exited before it was ready"));
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
        }, "oms-stdout");
        reader.setDaemon(true);
        reader.start();
        try {
            return new OmsProcess(process, port.get(90, TimeUnit.SECONDS), log);
        } catch (Exception e) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("oms did not start; its log:\n" + java.nio.file.Files.readString(log), e);
        }
    }

    /** SIGSTOP: the process stops answering anyone, as if cut off, until {@link #resume}. */
    void pause() {
        signal("STOP");
    }

    /** SIGCONT after {@link #pause}. */
    void resume() {
        signal("CONT");
    }

    private void signal(String name) {
        try {
            int exit = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start().waitFor();
            if (exit != 0) {
                throw new IllegalStateException("kill -" + name + " " + process.pid() + " exited with " + exit);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    boolean isAlive() {
        return process.isAlive();
    }

    int httpPort() {
        return httpPort;
    }

    /** The process started: the JVM itself unless a launcher ran it. */
    long pid() {
        return process.pid();
    }

    int kafkaPort() {
        return kafkaPort;
    }

    String kafkaBootstrap() {
        return kafkaHost + ":" + kafkaPort;
    }

    /** The base of its HTTP API, {@code http://host:port}. */
    String httpUrl() {
        return "http://" + httpHost + ":" + httpPort;
    }

    /** SIGKILL: no shutdown hook, no flush, nothing but what is already on disk. */
    void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM, as Ctrl-C or an orchestrator stops it; returns the exit code. */
    int terminate() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
            throw new IllegalStateException("oms did not stop within 60 s of SIGTERM");
        }
        return process.exitValue();
    }

    String log() throws IOException {
        return java.nio.file.Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
        }
    }
}
