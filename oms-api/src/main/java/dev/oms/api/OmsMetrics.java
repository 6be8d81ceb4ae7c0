package dev.oms.api;

import dev.oms.engine.Engine;
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
        JvmMetrics.builder().register(registry);
    }
}
