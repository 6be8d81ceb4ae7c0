package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;

import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.ExpositionFormats;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /metrics} in Prometheus' text format or OpenMetrics (with exemplars: the trace ids of
 * sampled requests), and the filter that times every HTTP request
 * by method, route template and status (a bounded set of labels, never the raw path).
 *
 * <p>Threads: any request thread.
 */
public final class MetricsService implements HttpService, Filter {
    private final PrometheusRegistry registry;
    private final ExpositionFormats formats = ExpositionFormats.init();
    private final Histogram requestSeconds;

    public MetricsService(PrometheusRegistry registry) {
        this.registry = registry;
        this.requestSeconds = Histogram.builder().name("http_server_request_duration_seconds").unit(Unit.SECONDS)
                .help("HTTP requests from receipt to response, by method, route and status")
                .labelNames("method", "route", "status").classicExponentialUpperBounds(0.0001, 2, 18)
                .register(registry);
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/", this::scrape);
    }

    private void scrape(ServerRequest req, ServerResponse res) throws IOException {
        // OpenMetrics when the scraper asks for it (Prometheus does): the format that carries exemplars.
        ExpositionFormatWriter writer = formats.findWriter(req.headers().first(HeaderNames.ACCEPT).orElse(null));
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        writer.write(out, registry.scrape());
        res.header(HeaderNames.CONTENT_TYPE, writer.getContentType());
        res.send(out.toByteArray());
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        long start = System.nanoTime();
        // Read before routing: a service sees the path relative to where it is registered.
        String route = route(req.path().path());
        try {
            chain.proceed();
        } finally {
            requestSeconds.labelValues(req.prologue().method().text(), route,
                    Integer.toString(res.status().code())).observe((System.nanoTime() - start) / 1e9);
        }
    }

    /** The route template a path belongs to. */
    public static String route(String path) {
        if (path.equals("/orders") || path.equals("/orders/")) {
            return "/orders";
        }
        if (path.startsWith("/orders/")) {
            return "/orders/{id}";
        }
        if (path.equals("/dlq") || path.equals("/dlq/redrive")) {
            return path;
        }
        if (path.startsWith("/dlq/")) {
            return "/dlq/{partition}/{offset}";
        }
        if (path.startsWith("/books/")) {
            return "/books/{symbol}";
        }
        if (path.equals("/trades")) {
            return "/trades";
        }
        if (path.startsWith("/accounts/") && path.endsWith("/positions")) {
            return "/accounts/{id}/positions";
        }
        if (path.startsWith("/accounts/") && path.endsWith("/executions")) {
            return "/accounts/{id}/executions";
        }
        if (path.equals("/metrics") || path.equals("/openapi") || path.equals("/health") || path.equals("/health/live") || path.equals("/health/ready")) {
            return path;
        }
        return "other";
    }
}
