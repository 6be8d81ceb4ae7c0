package dev.oms.api;

import java.util.Arrays;

import dev.oms.api.config.ConfigException;
import dev.oms.api.config.OmsConfig;
import dev.oms.api.observe.LogFormat;

/**
 * Entry point of the single binary. Reads the configuration, starts {@link Oms}, prints one
 * {@code oms ready} line on standard output (scripts and tests wait for it) and stops cleanly on
 * SIGTERM or Ctrl-C through a shutdown hook.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (Arrays.asList(args).contains("--help") || Arrays.asList(args).contains("-h")) {
            System.out.println(OmsConfig.USAGE);
            return;
        }
        OmsConfig config;
        try {
            config = OmsConfig.load(args, System.getenv());
        } catch (ConfigException e) {
            System.err.println("oms: " + e.getMessage());
            System.exit(2);
            return;
        }
        LogFormat.named(config.logFormat()).install();
        Oms oms;
        try {
            oms = Oms.start(config);
        } catch (Exception | Error e) {
            // Threads already started (the log's shards, servers) would keep a half-started process alive.
            System.err.println("oms: could not start: " + e);
            e.printStackTrace();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            oms.close();
            // JUL's own shutdown hook may already have closed the log handlers.
            System.err.println("oms stopped");
        }, "oms-shutdown"));
        String kafka = config.brokers().isEmpty() ? config.kafka().host() + ":" + oms.kafkaPort()
                : "external:" + config.brokers();
        System.out.println("oms ready: http://" + config.httpHost() + ":" + oms.httpPort() + "/ kafka " + kafka + " data "
                + config.dataDir().toAbsolutePath().normalize());
    }
}
