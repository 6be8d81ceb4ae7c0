package dev.oms.api.observe;

/**
 * The {@code tracing.*} keys of the configuration.
 *
 * @param enabled      make and export spans at all
 * @param serviceName  {@code service.name} of the spans (OTEL_SERVICE_NAME wins)
 * @param otlpEndpoint OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT wins)
 * @param sampleRatio  share of new traces kept; a request with a traceparent follows its caller
 */
public record TracingConfig(boolean enabled, String serviceName, String otlpEndpoint, double sampleRatio) {
}
