package dev.oms.api.http;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /health/live}: the process serves HTTP and applies every partition — a partition the
 * engine had to stop (a batch it could not write) makes it 503, so that an orchestrator restarts
 * the process, which rebuilds the partition from its log. {@code /health/ready} (and
 * {@code /health}): live, and the engine has replayed everything the log held at start, so a query
 * answers from current state. 503 until then, as orchestrators expect.
 *
 * <p>Threads: any request thread.
 */
public final class HealthService implements HttpService {
    private final BooleanSupplier engineCaughtUp;
    private final Supplier<List<String>> stoppedPartitions;

    public HealthService(BooleanSupplier engineCaughtUp, Supplier<List<String>> stoppedPartitions) {
        this.engineCaughtUp = engineCaughtUp;
        this.stoppedPartitions = stoppedPartitions;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/live", this::live)
                .get("/ready", this::ready)
                .get("/", this::ready);
    }

    private void live(ServerRequest req, ServerResponse res) {
        List<String> stopped = stoppedPartitions.get();
        send(res, stopped.isEmpty(), stopped.isEmpty() ? "{\"status\":\"UP\"}"
                : "{\"status\":\"DOWN\",\"checks\":{\"engine\":" + stoppedJson(stopped) + "}}");
    }

    private void ready(ServerRequest req, ServerResponse res) {
        List<String> stopped = stoppedPartitions.get();
        boolean caughtUp = engineCaughtUp.getAsBoolean();
        String engine = !stopped.isEmpty() ? stoppedJson(stopped)
                : caughtUp ? "\"UP\"" : "\"DOWN: replaying the log\"";
        boolean up = caughtUp && stopped.isEmpty();
        send(res, up, "{\"status\":\"" + (up ? "UP" : "DOWN") + "\",\"checks\":{\"log\":\"UP\",\"engine\":" + engine + "}}");
    }

    private static String stoppedJson(List<String> stopped) {
        StringBuilder json = new StringBuilder("\"DOWN: ");
        json.append(com.fasterxml.jackson.core.io.JsonStringEncoder.getInstance().quoteAsString(String.join("; ", stopped)));
        return json.append('"').toString();
    }

    private static void send(ServerResponse res, boolean up, String json) {
        res.status(up ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json.getBytes(StandardCharsets.UTF_8));
    }
}
