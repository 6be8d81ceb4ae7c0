package dev.oms.api.observe;

import java.util.ArrayList;
import java.util.List;

import dev.oms.api.http.MetricsService;
import io.helidon.http.Header;
import io.helidon.http.HeaderNames;
import io.helidon.http.ServerRequestHeaders;
import io.helidon.webserver.http.Filter;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.context.propagation.TextMapPropagator;

/**
 * The HTTP server span of every request, after OpenTelemetry's HTTP semantic conventions: a child
 * of the caller's {@code traceparent} when it sends one, current while the request is handled (so
 * the append to the log, log lines and metric exemplars join it). The response carries the trace
 * in a {@code traceresponse} header (W3C Trace Context level 2) so a client can look its request up.
 *
 * <p>Threads: any request thread.
 */
public final class TracingFilter implements Filter {
    private static final AttributeKey<String> METHOD = AttributeKey.stringKey("http.request.method");
    private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    private static final AttributeKey<String> PATH = AttributeKey.stringKey("url.path");
    private static final AttributeKey<String> SCHEME = AttributeKey.stringKey("url.scheme");
    private static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    private static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    private static final AttributeKey<String> PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");

    private static final TextMapGetter<ServerRequestHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(ServerRequestHeaders headers) {
            List<String> names = new ArrayList<>();
            for (Header header : headers) {
                names.add(header.name());
            }
            return names;
        }

        @Override
        public String get(ServerRequestHeaders headers, String key) {
            return headers == null ? null : headers.first(HeaderNames.create(key)).orElse(null);
        }
    };

    private final Tracer tracer;
    private final TextMapPropagator propagator;

    public TracingFilter(OpenTelemetry openTelemetry) {
        this.tracer = openTelemetry.getTracer("dev.oms.api");
        this.propagator = openTelemetry.getPropagators().getTextMapPropagator();
    }

    @Override
    public void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        String method = req.prologue().method().text();
        String path = req.path().path();
        String route = MetricsService.route(path);
        Context parent = propagator.extract(Context.root(), req.headers(), HEADERS);
        var builder = tracer.spanBuilder(route.equals("other") ? method : method + " " + route)
                .setSpanKind(SpanKind.SERVER).setParent(parent)
                .setAttribute(METHOD, method)
                .setAttribute(PATH, path)
                .setAttribute(SCHEME, "http")
                .setAttribute(PROTOCOL_VERSION, req.prologue().protocolVersion());
        if (!route.equals("other")) {
            builder.setAttribute(ROUTE, route);
        }
        req.headers().first(HeaderNames.USER_AGENT).ifPresent(agent -> builder.setAttribute(USER_AGENT, agent));
        Span span = builder.startSpan();
        SpanContext context = span.getSpanContext();
        if (context.isValid()) {
            res.header("traceresponse", "00-" + context.getTraceId() + "-" + context.getSpanId() + "-"
                    + context.getTraceFlags().asHex());
        }
        try (Scope ignored = span.makeCurrent()) {
            chain.proceed();
        } catch (RuntimeException | Error e) {
            span.recordException(e);
            throw e;
        } finally {
            int status = res.status().code();
            span.setAttribute(STATUS, (long) status);
            if (status >= 500) {
                span.setStatus(StatusCode.ERROR);
            }
            span.end();
        }
    }
}
