package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.oms.engine.Engine;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/** {@code GET /accounts/{id}/positions}: the account's net position per symbol (bought − sold). */
public final class AccountService implements HttpService {
    private static final JsonFactory JSON = new JsonFactory();
    private final Engine engine;

    public AccountService(Engine engine) {
        this.engine = engine;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.get("/{id}/positions", this::positions);
    }

    private void positions(ServerRequest req, ServerResponse res) throws IOException {
        String account = req.path().pathParameters().get("id");
        Map<String, Long> positions = engine.positions(account).getOrDefault(account, Map.of());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("account", account);
            json.writeArrayFieldStart("positions");
            for (Map.Entry<String, Long> p : positions.entrySet()) {
                json.writeStartObject();
                json.writeStringField("symbol", p.getKey());
                json.writeNumberField("quantity", p.getValue());
                json.writeEndObject();
            }
            json.writeEndArray();
            json.writeEndObject();
        }
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
    }
}
