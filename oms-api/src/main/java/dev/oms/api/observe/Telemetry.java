package dev.oms.api.observe;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.oms.engine.trace.LogTracing;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process's OpenTelemetry: off (no SDK, no spans, nothing on the hot paths) unless
 * {@code tracing.enabled}; on, an SDK configured the standard way — every {@code OTEL_*}
 * environment variable and {@code otel.*} system property applies — over defaults from the oms
 * configuration: OTLP over HTTP/protobuf (the JDK's HTTP client) to {@code tracing.otlp-endpoint},
 * a parent-based ratio sampler, no metrics or logs exporters (metrics are Prometheus').
 *
 * <p>Threads: started and closed by the thread that owns the process.
 */
public final class Telemetry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Telemetry.class);
    public static final Telemetry OFF = new Telemetry(null);

    private final OpenTelemetrySdk sdk;

    private Telemetry(OpenTelemetrySdk sdk) {
        this.sdk = sdk;
    }

    /** Tracing as {@code config} says; {@link #OFF} when it is disabled. */
    public static Telemetry start(TracingConfig config) {
        if (!config.enabled()) {
            return OFF;
        }
        Map<String, String> defaults = new LinkedHashMap<>();
        defaults.put("otel.service.name", config.serviceName());
        defaults.put("otel.traces.exporter", "otlp");
        defaults.put("otel.metrics.exporter", "none");
        defaults.put("otel.logs.exporter", "none");
        defaults.put("otel.exporter.otlp.protocol", "http/protobuf");
        defaults.put("otel.exporter.otlp.endpoint", config.otlpEndpoint());
        defaults.put("otel.traces.sampler", "parentbased_traceidratio");
        defaults.put("otel.traces.sampler.arg", Double.toString(config.sampleRatio()));
        // Defaults only: OTEL_* variables and otel.* system properties take precedence.
        OpenTelemetrySdk sdk = AutoConfiguredOpenTelemetrySdk.builder()
                .addPropertiesSupplier(() -> defaults)
                .disableShutdownHook()
                .build()
                .getOpenTelemetrySdk();
        LOG.info("tracing on: spans exported over OTLP to {} (OTEL_* settings apply over these defaults)",
                System.getenv().getOrDefault("OTEL_EXPORTER_OTLP_ENDPOINT", config.otlpEndpoint()));
        return new Telemetry(sdk);
    }

    public boolean enabled() {
        return sdk != null;
    }

    public OpenTelemetry openTelemetry() {
        return sdk == null ? OpenTelemetry.noop() : sdk;
    }

    /** The engine's view: spans on records in and out of the log. */
    public LogTracing logTracing() {
        return sdk == null ? LogTracing.OFF : LogTracing.of(sdk);
    }

    /** Flushes the spans still buffered, then stops the exporter. */
    @Override
    public void close() {
        if (sdk != null) {
            sdk.shutdown().join(10, TimeUnit.SECONDS);
        }
    }
}
