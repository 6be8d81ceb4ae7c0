package dev.oms.api.http;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.OneOmsPerClass;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The order resource over real HTTP against a whole oms (log, engine, Helidon) on a random port. */
class OrderApiTest extends OneOmsPerClass {


    @Test
    void placedOrderIsAnsweredWithTheEnginesVerdictAndCanBeReadBack() throws Exception {
        HttpResponse<String> placed = http.postJson("/orders", order("acct-1", "place-1", "AAPL", "BUY", "101.25", 100));

        assertThat(placed.statusCode()).isEqualTo(201);
        JsonNode body = json(placed);
        assertThat(body.get("status").asText()).isEqualTo("NEW");
        assertThat(body.get("account").asText()).isEqualTo("acct-1");
        assertThat(body.get("clientOrderId").asText()).isEqualTo("place-1");
        assertThat(body.get("symbol").asText()).isEqualTo("AAPL");
        assertThat(body.get("side").asText()).isEqualTo("BUY");
        assertThat(body.get("type").asText()).isEqualTo("LIMIT");
        assertThat(body.get("timeInForce").asText()).isEqualTo("GTC");
        assertThat(body.get("price").asText()).isEqualTo("101.25");
        assertThat(body.get("quantity").asLong()).isEqualTo(100);
        assertThat(body.get("leavesQuantity").asLong()).isEqualTo(100);
        String id = body.get("id").asText();
        assertThat(placed.headers().firstValue("Location")).contains("/orders/" + id);

        HttpResponse<String> read = http.get("/orders/" + id);
        assertThat(read.statusCode()).isEqualTo(200);
        assertThat(json(read)).isEqualTo(body);
    }

    @Test
    void priceIsExactWhetherSentAsANumberOrAString() throws Exception {
        JsonNode asNumber = json(http.postJson("/orders", order("acct-1", "px-number", "MSFT", "SELL", "0.0003", 1)));
        JsonNode asString = json(http.postJson("/orders", order("acct-1", "px-string", "MSFT", "SELL", "\"12345678901.1234\"", 1)));

        assertThat(asNumber.get("price").asText()).isEqualTo("0.0003");
        assertThat(asString.get("price").asText()).isEqualTo("12345678901.1234");
    }

    @Test
    void marketOrderIsPlacedWithoutAPriceAndTimeInForceDefaultsToGtc() throws Exception {
        HttpResponse<String> placed = http.postJson("/orders", """
                {"account":"acct-2","clientOrderId":"mkt-1","symbol":"TSLA","side":"SELL","type":"MARKET","quantity":5}""");

        assertThat(placed.statusCode()).isEqualTo(201);
        assertThat(json(placed).get("price").isNull()).isTrue();
        assertThat(json(placed).get("timeInForce").asText()).isEqualTo("GTC");
    }

    @Test
    void repeatedClientOrderIdReturnsTheOriginalOrder() throws Exception {
        String body = order("acct-3", "dup-1", "GOOG", "BUY", "150", 7);
        HttpResponse<String> first = http.postJson("/orders", body);
        HttpResponse<String> again = http.postJson("/orders", body);

        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again)).isEqualTo(json(first));
    }

    /**
     * With {@code Prefer: respond-async}, a repeat of an order already applied is answered as
     * without it: 200 with the original, 409 with other terms. A 202 named a new id that never
     * became an order.
     */
    @Test
    void preferRespondAsyncOnARepeatAnswersWithTheOriginalOrA409() throws Exception {
        String body = order("acct-4", "async-again", "AMZN", "BUY", "99.5", 3);
        HttpResponse<String> first = http.postJson("/orders", body);
        assertThat(first.statusCode()).isEqualTo(201);

        HttpResponse<String> again = http.postJson("/orders", body, "Prefer", "respond-async");
        assertThat(again.statusCode()).isEqualTo(200);
        assertThat(json(again)).isEqualTo(json(first));
        HttpResponse<String> otherTerms = http.postJson("/orders", order("acct-4", "async-again", "AMZN", "BUY", "99.5", 4),
                "Prefer", "RESPOND-ASYNC"); // preference names are case-insensitive (RFC 7240)
        assertThat(otherTerms.statusCode()).isEqualTo(409);
        assertThat(json(otherTerms).get("orderId").asText()).as("the original").isEqualTo(json(first).get("id").asText());
        assertThat(http.postJson("/orders", order("acct-4", "async-new", "AMZN", "BUY", "99.5", 3), "Prefer", "Respond-Async")
                .statusCode()).isEqualTo(202);
    }

    /**
     * Submissions of one order sent together, async: each answer names the one order that exists,
     * whichever was durable first (a second 202 named an id that never became an order).
     */
    @Test
    void asyncSubmissionsOfOneOrderSentTogetherAllNameTheOrderThatExists() throws Exception {
        java.util.concurrent.ExecutorService clients = java.util.concurrent.Executors.newFixedThreadPool(16);
        try {
            for (int round = 0; round < 10; round++) {
                String body = order("acct-5", "together-" + round, "NFLX", "BUY", "50", 1);
                List<java.util.concurrent.Future<HttpResponse<String>>> sent = new java.util.ArrayList<>();
                java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
                for (int i = 0; i < 16; i++) {
                    sent.add(clients.submit(() -> {
                        go.await();
                        return http.postJson("/orders", body, "Prefer", "respond-async");
                    }));
                }
                go.countDown();
                java.util.Set<String> named = new java.util.TreeSet<>();
                for (var answer : sent) {
                    HttpResponse<String> response = answer.get(30, java.util.concurrent.TimeUnit.SECONDS);
                    assertThat(response.statusCode()).as(response.body()).isIn(200, 201, 202);
                    named.add(json(response).get("id").asText());
                }
                assertThat(named).as("round %d", round).hasSize(1);
                String id = named.iterator().next();
                await().untilAsserted(() -> assertThat(http.get("/orders/" + id).statusCode()).isEqualTo(200));
            }
        } finally {
            clients.shutdownNow();
        }
    }

    @Test
    void preferRespondAsyncAnswers202AsSoonAsTheOrderIsDurable() throws Exception {
        HttpResponse<String> accepted = http.postJson("/orders", order("acct-4", "async-1", "AMZN", "BUY", "99.5", 3),
                "Prefer", "respond-async");

        assertThat(accepted.statusCode()).isEqualTo(202);
        JsonNode body = json(accepted);
        assertThat(body.get("status").asText()).isEqualTo("PENDING_NEW");
        String id = body.get("id").asText();
        assertThat(accepted.headers().firstValue("Location")).contains("/orders/" + id);
        await().untilAsserted(() -> {
            HttpResponse<String> read = http.get("/orders/" + id);
            assertThat(read.statusCode()).isEqualTo(200);
            assertThat(json(read).get("status").asText()).isEqualTo("NEW");
        });
    }

    @Test
    void unknownOrderIsA404Problem() throws Exception {
        for (String id : new String[] {"3-999999", "not-an-id", "1-2-3"}) {
            HttpResponse<String> response = http.get("/orders/" + id);
            assertThat(response.statusCode()).isEqualTo(404);
            assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
            assertThat(json(response).get("detail").asText()).contains(id);
        }
    }

    static Stream<Arguments> badOrders() {
        String valid = order("acct-9", "bad-1", "AAPL", "BUY", "10", 1);
        return Stream.of(
                Arguments.of("malformed JSON", "{\"account\": \"a\",", null),
                Arguments.of("not an object", "[1,2,3]", null),
                Arguments.of("empty body", "", null),
                Arguments.of("trailing garbage", valid + " xyz", null),
                Arguments.of("missing account", valid.replace("\"account\":\"acct-9\",", ""), "account"),
                Arguments.of("missing symbol", valid.replace("\"symbol\":\"AAPL\",", ""), "symbol"),
                Arguments.of("missing quantity", valid.replace(",\"quantity\":1", ""), "quantity"),
                Arguments.of("account not a string", valid.replace("\"acct-9\"", "42"), "account"),
                Arguments.of("blank clientOrderId", valid.replace("\"bad-1\"", "\"  \""), "clientOrderId"),
                Arguments.of("overlong clientOrderId", valid.replace("bad-1", "x".repeat(65)), "clientOrderId"),
                Arguments.of("lone surrogate in the account", valid.replace("acct-9", "acct-9\\ud800"), "account"),
                Arguments.of("reversed surrogates", valid.replace("bad-1", "bad-1\\udc00\\ud800"), "clientOrderId"),
                Arguments.of("symbol with spaces", valid.replace("AAPL", "AA PL"), "symbol"),
                Arguments.of("unknown side", valid.replace("\"BUY\"", "\"HOLD\""), "side"),
                Arguments.of("lower-case type", valid.replace("\"LIMIT\"", "\"limit\""), "type"),
                Arguments.of("unknown timeInForce", valid.replace("\"GTC\"", "\"GTD\""), "timeInForce"),
                Arguments.of("zero quantity", valid.replace("\"quantity\":1", "\"quantity\":0"), "quantity"),
                Arguments.of("negative quantity", valid.replace("\"quantity\":1", "\"quantity\":-5"), "quantity"),
                Arguments.of("fractional quantity", valid.replace("\"quantity\":1", "\"quantity\":1.5"), "quantity"),
                Arguments.of("quantity as a string", valid.replace("\"quantity\":1", "\"quantity\":\"1\""), "quantity"),
                Arguments.of("huge quantity", valid.replace("\"quantity\":1", "\"quantity\":99999999999999999999"), "quantity"),
                Arguments.of("negative price", valid.replace("\"price\":10", "\"price\":-10"), "price"),
                Arguments.of("zero price", valid.replace("\"price\":10", "\"price\":0"), "price"),
                Arguments.of("price finer than a tick", valid.replace("\"price\":10", "\"price\":10.00001"), "price"),
                Arguments.of("price not a number", valid.replace("\"price\":10", "\"price\":\"ten\""), "price"),
                Arguments.of("price as a boolean", valid.replace("\"price\":10", "\"price\":true"), "price"),
                Arguments.of("price in another script's digits", valid.replace("\"price\":10", "\"price\":\"\u0663\""), "price"),
                Arguments.of("price with a sign", valid.replace("\"price\":10", "\"price\":\"+5\""), "price"),
                Arguments.of("price with spaces", valid.replace("\"price\":10", "\"price\":\" 5\""), "price"),
                Arguments.of("price ending in a point", valid.replace("\"price\":10", "\"price\":\"5.\""), "price"),
                Arguments.of("price with an exponent", valid.replace("\"price\":10", "\"price\":\"1e3\""), "price"),
                Arguments.of("price of ten million digits", valid.replace("\"price\":10", "\"price\":1e10000000"), "price"),
                Arguments.of("price of ten million decimals", valid.replace("\"price\":10", "\"price\":1e-10000000"), "price"),
                Arguments.of("LIMIT without price", valid.replace("\"price\":10,", ""), "price"),
                Arguments.of("MARKET with price", valid.replace("\"LIMIT\"", "\"MARKET\""), "price"),
                Arguments.of("unknown field", valid.replace("{", "{\"colour\":\"red\","), "colour"),
                Arguments.of("duplicate field", valid.replace("{", "{\"symbol\":\"MSFT\","), null));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badOrders")
    void badOrderIsA400ProblemNamingTheFieldAndTheServerKeepsServing(String why, String body, String field) throws Exception {
        HttpResponse<String> response = http.postJson("/orders", body);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(response.body().length()).as("the problem's size").isLessThan(2_000); // an echo of the value, cut short
        assertProblem(response);
        if (field != null) {
            assertThat(json(response).get("field").asText()).isEqualTo(field);
        }
        assertStillServing();
    }

    @Test
    void bodyOverTheLimitIsA413Problem() throws Exception {
        byte[] twoMegabytes = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(twoMegabytes, (byte) ' ');
        HttpResponse<String> response = http.postExpectingContinue("/orders", "application/json", twoMegabytes);

        assertThat(response.statusCode()).isEqualTo(413);
        assertProblem(response);
        assertStillServing();
    }

    /**
     * A client that sends its whole body at once (no {@code Expect: 100-continue}) reads the 413, and
     * its connection stays open for the next request: the server reads the rest of the body and
     * drops it rather than closing with bytes unread, which resets the connection.
     */
    @Test
    void bodyOverTheLimitSentWholeIsAnsweredWith413OnAConnectionThatStaysOpen() throws Exception {
        byte[] twoMegabytes = new byte[2 * 1024 * 1024];
        java.util.Arrays.fill(twoMegabytes, (byte) ' ');
        byte[] order = order("acct-413", "after-413-" + System.nanoTime(), "AAPL", "BUY", "1", 1)
                .getBytes(StandardCharsets.UTF_8);
        try (Socket socket = new Socket("127.0.0.1", oms.httpPort())) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(socket.getInputStream()));
            postOrders(out, twoMegabytes);
            RawResponse tooLarge = RawResponse.read(in);
            assertThat(tooLarge.status()).as(tooLarge.body()).isEqualTo(413);
            assertThat(tooLarge.header("content-type")).isEqualTo("application/problem+json");

            postOrders(out, order);
            RawResponse placed = RawResponse.read(in);
            assertThat(placed.status()).as(placed.body()).isEqualTo(201);
        }
    }

    /** A chunked body whose chunk size is not hex is the client's error, not the server's. */
    @Test
    void aChunkedBodyWithABadChunkSizeIsA400Problem() throws Exception {
        for (String size : List.of("ZZ", "-1", "FFFFFFFFFFFFFFFFFF")) {
            try (Socket socket = new Socket("127.0.0.1", oms.httpPort())) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                out.write(("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Transfer-Encoding: chunked\r\n\r\n" + size + "\r\n{}\r\n0\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                out.flush();
                RawResponse malformed = RawResponse.read(new java.io.DataInputStream(socket.getInputStream()));
                assertThat(malformed.status()).as(size + ": " + malformed.body()).isEqualTo(400);
                assertThat(malformed.header("content-type")).isEqualTo("application/problem+json");
            }
        }
        assertStillServing();
    }

    private static void postOrders(OutputStream out, byte[] body) throws java.io.IOException {
        out.write(("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
        out.write(body);
        out.flush();
    }

    /** One HTTP/1.1 response with a Content-Length body, read off a raw connection. */
    private record RawResponse(int status, java.util.Map<String, String> headers, String body) {
        static RawResponse read(java.io.DataInputStream in) throws java.io.IOException {
            String statusLine = line(in);
            java.util.Map<String, String> headers = new java.util.HashMap<>();
            for (String header = line(in); !header.isEmpty(); header = line(in)) {
                int colon = header.indexOf(':');
                headers.put(header.substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), header.substring(colon + 1).trim());
            }
            byte[] body = new byte[Integer.parseInt(headers.getOrDefault("content-length", "0"))];
            in.readFully(body);
            return new RawResponse(Integer.parseInt(statusLine.split(" ")[1]), headers, new String(body, StandardCharsets.UTF_8));
        }

        String header(String name) {
            return headers.get(name);
        }

        private static String line(java.io.DataInputStream in) throws java.io.IOException {
            StringBuilder line = new StringBuilder();
            for (int b = in.read(); b != '\n'; b = in.read()) {
                if (b < 0) {
                    throw new java.io.EOFException("the server closed the connection; read so far: " + line);
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            return line.toString();
        }
    }

    @Test
    void bodyThatIsNotJsonIsA415Problem() throws Exception {
        byte[] body = order("a", "c", "AAPL", "BUY", "1", 1).getBytes(StandardCharsets.UTF_8);
        for (String contentType : new String[] {"text/plain", "application/x-www-form-urlencoded", null,
                "application/json; charset=iso-8859-1"}) {
            HttpResponse<String> response = http.post("/orders", contentType, body);
            assertThat(response.statusCode()).as(String.valueOf(contentType)).isEqualTo(415);
            assertProblem(response);
        }
        for (String contentType : new String[] {"Application/JSON", "application/json; charset=UTF-8"}) { // case-insensitive
            byte[] another = order("a", "c-" + contentType.length(), "AAPL", "BUY", "1", 1).getBytes(StandardCharsets.UTF_8);
            assertThat(http.post("/orders", contentType, another).statusCode()).as(contentType).isEqualTo(201);
        }
        assertStillServing();
    }

    /** A compressed body was a bare 400 "Bad Request" from Helidon: now a 415 that says to send it uncompressed. */
    @Test
    void aBodyWithAContentEncodingIsA415ProblemAndTheServerKeepsServing() throws Exception {
        java.io.ByteArrayOutputStream zipped = new java.io.ByteArrayOutputStream();
        try (var gzip = new java.util.zip.GZIPOutputStream(zipped)) {
            gzip.write(order("a", "gz-1", "AAPL", "BUY", "1", 1).getBytes(StandardCharsets.UTF_8));
        }
        for (String coding : new String[] {"gzip", "br", "x-unknown", "identity"}) {
            HttpResponse<String> response = http.post("/orders", "application/json", zipped.toByteArray(), "Content-Encoding", coding);
            assertThat(response.statusCode()).as(coding).isEqualTo(415);
            assertProblem(response);
            assertThat(json(response).get("detail").asText()).as(coding).contains("uncompressed").contains(coding);
        }
        assertStillServing();
    }

    /** Bytes that are not UTF-8: an overlong '/' (0xC0 0xAF), which Jackson's own decoder read as "CT/". */
    @Test
    void aBodyThatIsNotWellFormedUtf8IsA400Problem() throws Exception {
        String body = order("acct-utf", "utf-1", "CT~", "BUY", "10", 1);
        int at = body.indexOf('~');
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        bytes.write(body.substring(0, at).getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {(byte) 0xC0, (byte) 0xAF});
        bytes.write(body.substring(at + 1).getBytes(StandardCharsets.UTF_8));
        HttpResponse<String> response = http.post("/orders", "application/json", bytes.toByteArray());

        assertThat(response.statusCode()).as(response.body()).isEqualTo(400);
        assertThat(json(response).get("detail").asText()).contains("UTF-8");
        assertStillServing();
    }

    @Test
    void garbageOnTheHttpPortDoesNotStopTheServer() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", oms.httpPort())) {
            OutputStream out = socket.getOutputStream();
            out.write("\u0000\u0001NOT HTTP AT ALL\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            socket.getInputStream().readAllBytes();
        }
        try (Socket socket = new Socket("127.0.0.1", oms.httpPort())) {
            socket.getOutputStream().write("POST /orders HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"acc"
                    .getBytes(StandardCharsets.ISO_8859_1)); // a truncated request, then the client goes away
        }
        assertStillServing();
    }

    private static void assertProblem(HttpResponse<String> response) throws Exception {
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = json(response);
        assertThat(problem.get("status").asInt()).isEqualTo(response.statusCode());
        assertThat(problem.get("title").asText()).isNotBlank();
        assertThat(problem.get("detail").asText()).isNotBlank();
    }

    private static void assertStillServing() throws Exception {
        String clientOrderId = "alive-" + System.nanoTime();
        HttpResponse<String> response = http.postJson("/orders", order("acct-alive", clientOrderId, "AAPL", "BUY", "1", 1));
        assertThat(response.statusCode()).isEqualTo(201);
    }
}
