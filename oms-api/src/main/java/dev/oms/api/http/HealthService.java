package dev.oms.api.http;

import java.nio.charset.StandardCharsets;
import java.util.function.BooleanSupplier;

import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code /health/live}: the process serves HTTP. {@code /health/ready} (and {@code /health}):
 * the log is open and the engine has replayed everything the log held at start, so a query
 * answers from current state. 503 until then, as orchestrators expect.
 *
 * <p>Threads: any request thread.
 */
public final class HealthService implements HttpService {
    private final BooleanSupplier engineCaughtUp;

    public HealthService(BooleanSupplier engineCaughtUp) {
        this.engineCaughtUp = engineCaughtUp;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/live", (req, res) -> send(res, true, "{\"status\":\"UP\"}"))
                .get("/ready", this::ready)
                .get("/", this::ready);
    }

    private void ready(ServerRequest req, ServerResponse res) {
        boolean engine = engineCaughtUp.getAsBoolean();
        send(res, engine, "{\"status\":\"" + (engine ? "UP" : "DOWN") + "\",\"checks\":{\"log\":\"UP\",\"engine\":\""
                + (engine ? "UP" : "DOWN: replaying the log") + "\"}}");
    }

    private static void send(ServerResponse res, boolean up, String json) {
        res.status(up ? Status.OK_200 : Status.SERVICE_UNAVAILABLE_503);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(json.getBytes(StandardCharsets.UTF_8));
    }
}
