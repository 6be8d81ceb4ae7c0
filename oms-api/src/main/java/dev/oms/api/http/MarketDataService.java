package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.Engine;
import dev.oms.engine.book.BookView;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * {@code GET /books/{symbol}?depth=N}: the top of a book, copied by the worker that owns it.
 * {@code GET /trades?symbol=S&limit=N}: the latest trades of a symbol, as recorded on {@code trades}.
 *
 * <p>Threads: any request thread; the book copy is made on the engine worker.
 */
public final class MarketDataService implements HttpService {
    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final Engine engine;
    private final Forwarder forwarder;

    public MarketDataService(Engine engine, Forwarder forwarder) {
        this.engine = engine;
        this.forwarder = forwarder;
    }

    @Override
    public void routing(HttpRules rules) {
        // A symbol may hold a slash (EUR/USD): /books/EUR/USD, or /books/EUR%2FUSD.
        rules.get("/books/{+symbol}", this::book).get("/trades", this::trades);
    }

    private void book(ServerRequest req, ServerResponse res) throws Exception {
        String symbol = validSymbol(req.path().pathParameters().get("symbol"));
        int depth = intParam(req, "depth", 10, 1, 1000);
        int partition = engine.partitionOf(symbol);
        if (forwarder.forwardedOrCurrent(req, res, null, partition)) {
            return;
        }
        if (engine.stopped(partition)) {
            throw new ProblemException(Problem.partitionStopped(partition));
        }
        BookView view = engine.book(symbol, depth).get(5, TimeUnit.SECONDS);
        send(res, json -> {
            json.writeStringField("symbol", symbol);
            levels(json, "bids", view.bids());
            levels(json, "asks", view.asks());
        });
    }

    private void levels(JsonGenerator json, String name, List<BookView.Level> levels) throws IOException {
        json.writeArrayFieldStart(name);
        for (BookView.Level level : levels) {
            json.writeStartObject();
            json.writeStringField("price", engine.priceScale().format(level.priceTicks()));
            json.writeNumberField("quantity", level.quantity());
            json.writeNumberField("orders", level.orders());
            json.writeEndObject();
        }
        json.writeEndArray();
    }

    private void trades(ServerRequest req, ServerResponse res) throws Exception {
        String symbol = validSymbol(req.query().first("symbol").orElseThrow(() -> new ProblemException(Problem.invalidParameters(
                List.of(new Problem.FieldError("symbol", "is required: /trades?symbol=AAPL"))))));
        int limit = intParam(req, "limit", 100, 1, 1000);
        List<byte[]> trades = engine.trades(symbol, limit);
        send(res, json -> {
            json.writeStringField("symbol", symbol);
            json.writeArrayFieldStart("trades");
            for (byte[] trade : trades) {
                JsonNode record;
                try {
                    record = MAPPER.readTree(trade);
                } catch (IOException unreadable) {
                    // Not the engine's: a Kafka client can produce to the topic. One such record made every
                    // read of the partition's trades a 500, restarts included.
                    continue;
                }
                if (record != null && record.isObject()) {
                    json.writeTree(record);
                }
            }
            json.writeEndArray();
        });
    }

    /** A symbol no order can have is a bad request, not an empty book or no trades. */
    static String validSymbol(String symbol) {
        return valid("symbol", symbol, OrderRequest.symbolError(symbol));
    }

    /** An account no order can have ("\u0000", 65 characters) is a bad request, not an empty answer. */
    static String validAccount(String account) {
        return valid("account", account, dev.oms.engine.command.Identifiers.idProblem(account));
    }

    private static String valid(String field, String value, String error) {
        if (error != null) {
            throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError(field, error))));
        }
        return value;
    }

    static int intParam(ServerRequest req, String name, int fallback, int min, int max) {
        String text = req.query().first(name).orElse(null);
        if (text == null) {
            return fallback;
        }
        try {
            int value = Integer.parseInt(text);
            if (value >= min && value <= max) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new ProblemException(Problem.invalidParameters(List.of(new Problem.FieldError(name,
                "must be a whole number from " + min + " to " + max + ", got '" + text + "'"))));
    }

    @FunctionalInterface
    interface Body {
        void write(JsonGenerator json) throws IOException;
    }

    private static void send(ServerResponse res, Body body) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1024);
        try (JsonGenerator json = JSON.createGenerator(out).setCodec(MAPPER)) {
            json.writeStartObject();
            body.write(json);
            json.writeEndObject();
        }
        res.status(Status.OK_200);
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(out.toByteArray());
    }
}
