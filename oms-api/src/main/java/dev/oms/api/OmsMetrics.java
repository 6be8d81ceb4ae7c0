package dev.oms.api;

import dev.oms.engine.Engine;
import dev.oms.deadletter.FailureReason;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** The process-wide metrics that belong to no one component: engine lag per partition, and the JVM's. */
final class OmsMetrics {
    private OmsMetrics() {
    }

    static void register(PrometheusRegistry registry, Engine engine) {
        GaugeWithCallback.builder().name("oms_engine_lag")
                .help("Commands durable in the log but not yet applied by the engine, per orders partition and worker")
                .labelNames("partition", "worker")
                .callback(cb -> engine.lag().forEach(l -> cb.call(l.lag(), Integer.toString(l.partition()), l.worker())))
                .register(registry);
        CounterWithCallback.builder().name("oms_dead_lettered_total")
                .help("Records of orders sent to orders.DLT, by reason").labelNames("topic", "reason")
                .callback(cb -> {
                    for (FailureReason reason : FailureReason.values()) {
                        cb.call(engine.stats().deadLettered(reason), "orders", reason.name());
                    }
                })
                .register(registry);
        CounterWithCallback.builder().name("oms_trades_total")
                .help("Trades the engine's books made (each also on the trades topic)")
                .callback(cb -> cb.call(engine.stats().trades()))
                .register(registry);
        CounterWithCallback.builder().name("oms_orders_filled_total")
                .help("Orders whose whole quantity traded")
                .callback(cb -> cb.call(engine.stats().filled()))
                .register(registry);
        CounterWithCallback.builder().name("oms_engine_retries_total")
                .help("Attempts to apply a command that failed and were tried again")
                .callback(cb -> cb.call(engine.stats().retries()))
                .register(registry);
        CounterWithCallback.builder().name("oms_engine_state_batches_total")
                .help("Batches of commands whose state the engine wrote to its store: behind (by a worker's writer"
                        + " thread while the worker applied the next batch) or in_place (small batches, by the worker)")
                .labelNames("write")
                .callback(cb -> {
                    cb.call(engine.stats().stateBatches(true), "behind");
                    cb.call(engine.stats().stateBatches(false), "in_place");
                })
                .register(registry);
        GaugeWithCallback.builder().name("oms_dead_letter_depth")
                .help("Records in the dead-letter topic, per partition").labelNames("topic", "partition")
                .callback(cb -> engine.deadLetterDepth().forEach((partition, depth) ->
                        cb.call(depth, "orders.DLT", Integer.toString(partition))))
                .register(registry);
        JvmMetrics.builder().register(registry);
    }
}
