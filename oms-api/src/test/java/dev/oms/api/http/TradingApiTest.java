package dev.oms.api.http;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.OneOmsPerClass;
import org.junit.jupiter.api.Test;

/** Trading over HTTP: orders that cross, rejections, cancels, replaces and positions. */
class TradingApiTest extends OneOmsPerClass {
    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    @Test
    void crossingOrdersFillAndTheVerdictShowsIt() throws Exception {
        JsonNode buy = json(http.postJson("/orders", order("alice", "x-b", "XOM", "BUY", "100.5", 100)));
        HttpResponse<String> sell = http.postJson("/orders", order("bob", "x-s", "XOM", "SELL", "100", 60));

        assertThat(sell.statusCode()).isEqualTo(201);
        assertThat(json(sell).get("status").asText()).isEqualTo("FILLED");
        JsonNode restingBuy = json(http.get("/orders/" + buy.get("id").asText()));
        assertThat(restingBuy.get("status").asText()).isEqualTo("PARTIALLY_FILLED");
        assertThat(restingBuy.get("filledQuantity").asLong()).isEqualTo(60);
        assertThat(restingBuy.get("leavesQuantity").asLong()).isEqualTo(40);

        JsonNode positions = json(http.get("/accounts/alice/positions"));
        assertThat(positions.get("positions").get(0).get("symbol").asText()).isEqualTo("XOM");
        assertThat(positions.get("positions").get(0).get("quantity").asLong()).isEqualTo(60);
    }

    /** A symbol may hold a slash (EUR/USD): its book and trades read like any other's. A symbol no order can have is a bad request. */
    @Test
    void aSymbolWithASlashHasABookAndAnImpossibleSymbolIsABadRequest() throws Exception {
        assertThat(http.postJson("/orders", order("fx-a", "fx-1", "EUR/USD", "BUY", "1.08", 1000)).statusCode()).isEqualTo(201);
        assertThat(http.postJson("/orders", order("fx-b", "fx-2", "EUR/USD", "SELL", "1.08", 400)).statusCode()).isEqualTo(201);

        JsonNode book = json(http.get("/books/EUR/USD"));
        assertThat(book.get("symbol").asText()).isEqualTo("EUR/USD");
        assertThat(book.get("bids").get(0).get("quantity").asLong()).isEqualTo(600);
        assertThat(json(http.get("/books/EUR%2FUSD"))).isEqualTo(book);
        org.awaitility.Awaitility.await().until(() -> json(http.get("/trades?symbol=EUR%2FUSD")).get("trades").size() == 1);

        for (String bad : List.of("/books/bad%20sym", "/books/" + "X".repeat(33), "/trades?symbol=", "/trades?symbol=%00")) {
            HttpResponse<String> refused = http.get(bad);
            assertThat(refused.statusCode()).as(bad).isEqualTo(400);
            assertThat(json(refused).get("field").asText()).as(bad).isEqualTo("symbol");
        }
    }

    /**
     * The engine's outputs take no client's records: one that was not a trade made GET /trades a 500
     * for every symbol of its partition, restarts included (the reader leaves out such a record, which
     * an earlier build let in), and one with a later id made the engine skip its own.
     */
    @Test
    void aKafkaClientCannotProduceToTheTradesTopic() throws Exception {
        http.postJson("/orders", order("jo", "jk-1", "JUNK", "BUY", "5", 2));
        http.postJson("/orders", order("kim", "jk-2", "JUNK", "SELL", "5", 2));
        java.util.Properties props = new java.util.Properties();
        props.put("bootstrap.servers", "127.0.0.1:" + oms.kafkaPort());
        try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<String, String>(props,
                new org.apache.kafka.common.serialization.StringSerializer(), new org.apache.kafka.common.serialization.StringSerializer())) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> producer.send(
                            new org.apache.kafka.clients.producer.ProducerRecord<>("trades", "JUNK", "not json {")).get())
                    .hasCauseInstanceOf(org.apache.kafka.common.errors.PolicyViolationException.class)
                    .hasMessageContaining("written by its owner only");
        }
        org.awaitility.Awaitility.await().until(() -> http.get("/trades?symbol=JUNK").statusCode() == 200
                && json(http.get("/trades?symbol=JUNK")).get("trades").size() == 1);
        assertThat(json(http.get("/trades?symbol=JUNK")).get("trades").get(0).get("quantity").asLong()).isEqualTo(2);
    }

    @Test
    void booksTradesAndOrderListsShowTheMarket() throws Exception {
        http.postJson("/orders", order("gina", "bk-1", "NKE", "BUY", "80", 5));
        http.postJson("/orders", order("hank", "bk-2", "NKE", "BUY", "80", 7));
        http.postJson("/orders", order("gina", "bk-3", "NKE", "BUY", "79.5", 1));
        http.postJson("/orders", order("ivan", "bk-4", "NKE", "SELL", "81", 2));

        JsonNode book = json(http.get("/books/NKE?depth=5"));
        assertThat(book.get("bids").get(0).get("price").asText()).isEqualTo("80");
        assertThat(book.get("bids").get(0).get("quantity").asLong()).isEqualTo(12);
        assertThat(book.get("bids").get(0).get("orders").asInt()).isEqualTo(2);
        assertThat(book.get("bids").get(1).get("price").asText()).isEqualTo("79.5");
        assertThat(book.get("asks").get(0).get("price").asText()).isEqualTo("81");

        http.postJson("/orders", order("ivan", "bk-5", "NKE", "SELL", "80", 6));
        org.awaitility.Awaitility.await().until(() -> json(http.get("/trades?symbol=NKE")).get("trades").size() == 2);
        JsonNode trades = json(http.get("/trades?symbol=NKE")).get("trades");
        assertThat(trades.get(0).get("quantity").asLong()).as("first in the queue fills first").isEqualTo(5);
        assertThat(trades.get(1).get("quantity").asLong()).isEqualTo(1);

        JsonNode gina = json(http.get("/orders?account=gina&limit=1"));
        assertThat(gina.get("orders")).hasSize(1);
        String next = gina.get("next").asText();
        JsonNode secondPage = json(http.get("/orders?account=gina&limit=1&after=" + next));
        assertThat(secondPage.get("orders").get(0).get("clientOrderId").asText()).isEqualTo("bk-3");
        JsonNode filled = json(http.get("/orders?symbol=NKE&status=FILLED"));
        assertThat(filled.get("orders")).extracting(o -> o.get("clientOrderId").asText()).containsExactlyInAnyOrder("bk-1", "bk-5");
        assertThat(http.get("/orders?status=DONE").statusCode()).isEqualTo(400);
    }

    @Test
    void bookDepthReturnsExactlyTheBestLevelsOfEachSideInPriceOrderWithTheirTotals() throws Exception {
        // Five levels a side, placed out of price order; 100 and 101 hold two orders each.
        String[][] orders = {
                {"dp-bid", "BUY", "99", "6"}, {"dp-bid", "BUY", "98", "2"}, {"dp-bid", "BUY", "100", "3"},
                {"dp-bid", "BUY", "98.5", "1"}, {"dp-bid", "BUY", "99.5", "5"}, {"dp-bid2", "BUY", "100", "4"},
                {"dp-ask", "SELL", "102.5", "13"}, {"dp-ask", "SELL", "101", "1"}, {"dp-ask", "SELL", "103", "14"},
                {"dp-ask", "SELL", "101.5", "11"}, {"dp-ask", "SELL", "102", "12"}, {"dp-ask2", "SELL", "101", "9"}};
        for (int i = 0; i < orders.length; i++) {
            String[] o = orders[i];
            assertThat(http.postJson("/orders", order(o[0], "dp-" + i, "DEPTH", o[1], o[2], Long.parseLong(o[3])))
                    .statusCode()).isEqualTo(201);
        }

        assertThat(json(http.get("/books/DEPTH?depth=3"))).isEqualTo(MAPPER.readTree("""
                {"symbol":"DEPTH",
                 "bids":[{"price":"100","quantity":7,"orders":2},{"price":"99.5","quantity":5,"orders":1},
                         {"price":"99","quantity":6,"orders":1}],
                 "asks":[{"price":"101","quantity":10,"orders":2},{"price":"101.5","quantity":11,"orders":1},
                         {"price":"102","quantity":12,"orders":1}]}"""));
        assertThat(json(http.get("/books/DEPTH?depth=1"))).isEqualTo(MAPPER.readTree("""
                {"symbol":"DEPTH","bids":[{"price":"100","quantity":7,"orders":2}],
                 "asks":[{"price":"101","quantity":10,"orders":2}]}"""));
        JsonNode whole = json(http.get("/books/DEPTH"));
        assertThat(whole.get("bids")).extracting(l -> l.get("price").asText()).containsExactly("100", "99.5", "99", "98.5", "98");
        assertThat(whole.get("asks")).extracting(l -> l.get("price").asText())
                .containsExactly("101", "101.5", "102", "102.5", "103");
    }

    @Test
    void tradesOfASymbolAreExactlyItsOwnEvenWhenAnotherSymbolSharesItsPartition() throws Exception {
        String a = "TRDA";
        String b = symbolOnThePartitionOf(a, "TRDB");
        String aSell = placed(order("tf-s", "tf-1", a, "SELL", "50", 10));
        String bBuy = placed(order("tf-b", "tf-2", b, "BUY", "20", 7));
        String aBuy1 = placed(order("tf-b", "tf-3", a, "BUY", "50", 4));
        String bSell = placed(order("tf-s", "tf-4", b, "SELL", "19.5", 7));
        String aBuy2 = placed(order("tf-b", "tf-5", a, "BUY", "51", 6));
        assertThat(List.of(bBuy, aBuy1, bSell, aBuy2)).as("the premise: both symbols' commands share one partition")
                .allSatisfy(id -> assertThat(partition(id)).isEqualTo(partition(aSell)));

        org.awaitility.Awaitility.await().until(() -> trades(a).size() >= 2 && trades(b).size() >= 1);
        assertThat(trades(a)).containsExactly(
                List.of(a, "50", "4", aBuy1, aSell, "BUY"),
                List.of(a, "50", "6", aBuy2, aSell, "BUY"));
        assertThat(trades(b)).containsExactly(List.of(b, "20", "7", bBuy, bSell, "SELL"));
        assertThat(json(http.get("/trades?symbol=" + a)).get("symbol").asText()).isEqualTo(a);
    }

    /** The trades /trades?symbol= returns: symbol, price, quantity, buy and sell order ids, aggressor side. */
    private static List<List<String>> trades(String symbol) throws Exception {
        HttpResponse<String> response = http.get("/trades?symbol=" + symbol);
        assertThat(response.statusCode()).isEqualTo(200);
        List<List<String>> trades = new java.util.ArrayList<>();
        for (JsonNode t : json(response).get("trades")) {
            trades.add(List.of(t.get("symbol").asText(), new java.math.BigDecimal(t.get("price").asText()).stripTrailingZeros()
                    .toPlainString(), t.get("quantity").asText(), t.get("buyOrderId").asText(), t.get("sellOrderId").asText(),
                    t.get("aggressorSide").asText()));
        }
        return trades;
    }

    /** The first of {@code prefix0}, {@code prefix1}… that Kafka's partitioner (docs/events.md) puts with {@code symbol}. */
    private static String symbolOnThePartitionOf(String symbol, String prefix) {
        int partitions = 4; // TestOms's log.partitions; the test checks the outcome on the order ids
        int wanted = partitionOfKey(symbol, partitions);
        for (int i = 0; ; i++) {
            if (partitionOfKey(prefix + i, partitions) == wanted) {
                return prefix + i;
            }
        }
    }

    private static int partitionOfKey(String symbol, int partitions) {
        return org.apache.kafka.common.utils.Utils.toPositive(org.apache.kafka.common.utils.Utils.murmur2(
                symbol.getBytes(java.nio.charset.StandardCharsets.UTF_8))) % partitions;
    }

    private static String partition(String orderId) {
        return orderId.substring(0, orderId.indexOf('-'));
    }

    private static String placed(String order) throws Exception {
        HttpResponse<String> response = http.postJson("/orders", order);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json(response).get("id").asText();
    }

    @Test
    void executionReportsOfAnAccountStreamAsServerSentEvents() throws Exception {
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        HttpResponse<java.util.stream.Stream<String>> stream = client.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + oms.httpPort() + "/accounts/zed/executions")).build(),
                HttpResponse.BodyHandlers.ofLines());
        assertThat(stream.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        Thread reader = Thread.ofVirtual().start(() -> stream.body().forEach(lines::add));
        try {
            http.postJson("/orders", order("someone-else", "sse-0", "SSE", "SELL", "5", 1));
            http.postJson("/orders", order("zed", "sse-1", "SSE", "BUY", "5", 3));
            List<String> events = new java.util.ArrayList<>();
            long deadline = System.currentTimeMillis() + 20_000;
            while (events.size() < 2 && System.currentTimeMillis() < deadline) {
                String line = lines.poll(1, java.util.concurrent.TimeUnit.SECONDS);
                if (line != null && line.startsWith("event:")) {
                    events.add(line.substring(6).trim());
                }
            }
            assertThat(events).as("only zed's reports: accepted, then a partial fill").containsExactly("Accepted", "Trade");
        } finally {
            stream.body().close();
            reader.interrupt();
        }
    }

    /** An account or symbol no order can have was answered 200 and an empty list: the caller's typo looked like no positions. */
    @Test
    void anAccountOrSymbolNoOrderCanHaveIsABadRequestWhereverARouteNamesOne() throws Exception {
        String tooLong = "a".repeat(65);
        for (String[] bad : new String[][] {{"/accounts/%00/positions", "account"}, {"/accounts/" + tooLong + "/positions", "account"},
                {"/accounts/%20/executions", "account"}, {"/orders?account=%01", "account"}, {"/orders?account=", "account"},
                {"/orders?symbol=bad%20sym", "symbol"}}) {
            HttpResponse<String> refused = http.get(bad[0], "Accept", "text/event-stream");
            assertThat(refused.statusCode()).as(bad[0]).isEqualTo(400);
            assertThat(refused.headers().firstValue("Content-Type")).as(bad[0]).contains("application/problem+json");
            assertThat(json(refused).get("field").asText()).as(bad[0]).isEqualTo(bad[1]);
        }
        assertThat(http.get("/accounts/" + "a".repeat(64) + "/positions").statusCode()).isEqualTo(200);
        assertThat(http.get("/orders?account=nobody-yet&symbol=EUR/USD").statusCode()).isEqualTo(200);
    }

    @Test
    void aStreamAskedForWithAnAcceptThatExcludesEventStreamsIsA406Problem() throws Exception {
        HttpResponse<String> refused = http.get("/accounts/zed/executions", "Accept", "application/json");
        assertThat(refused.statusCode()).isEqualTo(406);
        assertThat(refused.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(refused).get("detail").asText()).contains("text/event-stream");
    }

    @Test
    void orderOverARiskLimitIsA422ProblemWithItsReason() throws Exception {
        HttpResponse<String> response = http.postJson("/orders", order("alice", "huge", "IBM", "BUY", "10", 5_000_000));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(response).get("reason").asText()).isEqualTo("QUANTITY_LIMIT");
    }

    @Test
    void clientOrderIdReusedWithOtherTermsIsA409ProblemNamingTheOriginalOrder() throws Exception {
        JsonNode original = json(http.postJson("/orders", order("erin", "same-id", "T", "BUY", "20", 10)));
        String originalId = original.get("id").asText();
        HttpResponse<String> reused = http.postJson("/orders", order("erin", "same-id", "T", "BUY", "21", 10));

        assertThat(reused.statusCode()).isEqualTo(409);
        assertThat(reused.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = json(reused);
        assertThat(problem.get("type").asText()).isEqualTo("/problems/client-order-id-reused");
        assertThat(problem.get("title").asText()).isEqualTo("Client order id reused");
        assertThat(problem.get("status").asInt()).isEqualTo(409);
        assertThat(problem.get("detail").asText()).contains("'same-id'", "'erin'", "order " + originalId);
        assertThat(problem.get("reason").asText()).isEqualTo("DUPLICATE_CLIENT_ORDER_ID");
        assertThat(json(http.get("/orders/" + originalId))).as("the original is untouched").isEqualTo(original);
        assertThat(http.postJson("/orders", order("erin", "same-id", "T", "BUY", "20", 10)).statusCode())
                .as("the same terms again: the original, 200").isEqualTo(200);
    }

    /**
     * A client that sends its NewOrder again after replacing the order (a retry that arrives late)
     * gets the order as it is now, 200: the terms it is compared with are those it was placed with.
     */
    @Test
    void theSameSubmitAfterAReplaceReturnsTheOrderAsItIsNowAndOtherTermsAre409() throws Exception {
        String submit = order("erin", "replaced-then-resent", "T", "BUY", "20", 10);
        String id = json(http.postJson("/orders", submit)).get("id").asText();
        HttpResponse<String> replaced = http.patchJson("/orders/" + id, "{\"price\":\"21\",\"quantity\":8}");
        assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);

        HttpResponse<String> resent = http.postJson("/orders", submit);
        assertThat(resent.statusCode()).as(resent.body()).isEqualTo(200);
        assertThat(json(resent)).isEqualTo(json(http.get("/orders/" + id)));
        assertThat(json(resent).get("price").asText()).isEqualTo("21");
        assertThat(http.postJson("/orders", order("erin", "replaced-then-resent", "T", "BUY", "21", 8)).statusCode())
                .as("the replaced terms were never submitted: another order").isEqualTo(409);
    }

    @Test
    void cancelEndsAnOpenOrderAndASecondCancelIsRefused() throws Exception {
        String id = json(http.postJson("/orders", order("carol", "c-1", "KO", "BUY", "50", 10))).get("id").asText();

        HttpResponse<String> canceled = http.delete("/orders/" + id);
        assertThat(canceled.statusCode()).isEqualTo(200);
        assertThat(json(canceled).get("status").asText()).isEqualTo("CANCELED");

        HttpResponse<String> again = http.delete("/orders/" + id);
        assertThat(again.statusCode()).isEqualTo(422);
        assertThat(json(again).get("reason").asText()).isEqualTo("TOO_LATE_TO_CANCEL");
        assertThat(http.delete("/orders/9-99999").statusCode()).isEqualTo(404);
    }

    @Test
    void replaceChangesPriceAndQuantityAndRefusesBadInput() throws Exception {
        String id = json(http.postJson("/orders", order("dave", "r-1", "PEP", "SELL", "170", 10))).get("id").asText();

        HttpResponse<String> replaced = http.patchJson("/orders/" + id, "{\"price\":\"171.5\",\"quantity\":12}");
        assertThat(replaced.statusCode()).isEqualTo(200);
        assertThat(json(replaced).get("price").asText()).isEqualTo("171.5");
        assertThat(json(replaced).get("quantity").asLong()).isEqualTo(12);

        HttpResponse<String> invalid = http.patchJson("/orders/" + id, "{\"quantity\":-1}");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(json(invalid).get("field").asText()).isEqualTo("quantity");
        HttpResponse<String> nullQuantity = http.patchJson("/orders/" + id, "{\"quantity\":null}");
        assertThat(nullQuantity.statusCode()).isEqualTo(400);
        assertThat(json(nullQuantity).get("field").asText()).as("the field given, not the one left out").isEqualTo("quantity");

        // Partly filled (4 of 12): a replace must leave something to fill.
        assertThat(http.postJson("/orders", order("erin", "r-2", "PEP", "BUY", "171.5", 4)).statusCode()).isEqualTo(201);
        for (String quantity : List.of("4", "3")) {
            HttpResponse<String> atFilled = http.patchJson("/orders/" + id, "{\"quantity\":" + quantity + "}");
            assertThat(atFilled.statusCode()).isEqualTo(422);
            assertThat(json(atFilled).get("reason").asText()).isEqualTo("QUANTITY_AT_OR_BELOW_FILLED");
        }

        http.delete("/orders/" + id);
        HttpResponse<String> tooLate = http.patchJson("/orders/" + id, "{\"quantity\":5}");
        assertThat(tooLate.statusCode()).isEqualTo(422);
        assertThat(json(tooLate).get("reason").asText()).isEqualTo("TOO_LATE_TO_REPLACE");
    }
}
