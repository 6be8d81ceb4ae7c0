package dev.oms.api.http;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;

/** Order counts and the end-to-end order latency (HTTP receipt to the engine's verdict). */
public final class OrderMetrics {
    final Counter received;
    final Counter accepted;
    final Counter invalid;
    final Counter rejected;
    final Histogram verdictSeconds;

    public OrderMetrics(PrometheusRegistry registry) {
        received = Counter.builder().name("oms_orders_received_total")
                .help("POST /orders requests that reached the order resource").register(registry);
        accepted = Counter.builder().name("oms_orders_accepted_total")
                .help("Orders made durable, by how they were answered (verdict, async, repeat)")
                .labelNames("answer").register(registry);
        invalid = Counter.builder().name("oms_orders_invalid_total")
                .help("Orders refused before the log (malformed or invalid fields, too large, not JSON)").register(registry);
        rejected = Counter.builder().name("oms_orders_rejected_total")
                .help("Orders the engine rejected (a business rule), by reason").labelNames("reason").register(registry);
        verdictSeconds = Histogram.builder().name("oms_order_latency_seconds").unit(Unit.SECONDS)
                .help("From HTTP receipt to the engine's verdict (the durable append included)")
                .classicExponentialUpperBounds(0.0001, 2, 18).register(registry);
    }
}
