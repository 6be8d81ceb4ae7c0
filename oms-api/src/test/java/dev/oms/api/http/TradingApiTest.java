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

    @Test
    void orderOverARiskLimitIsA422ProblemWithItsReason() throws Exception {
        HttpResponse<String> response = http.postJson("/orders", order("alice", "huge", "IBM", "BUY", "10", 5_000_000));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(response).get("reason").asText()).isEqualTo("QUANTITY_LIMIT");
    }

    @Test
    void clientOrderIdReusedWithOtherTermsIsA409() throws Exception {
        http.postJson("/orders", order("erin", "same-id", "T", "BUY", "20", 10));
        HttpResponse<String> reused = http.postJson("/orders", order("erin", "same-id", "T", "BUY", "21", 10));

        assertThat(reused.statusCode()).isEqualTo(409);
        assertThat(json(reused).get("reason").asText()).isEqualTo("DUPLICATE_CLIENT_ORDER_ID");
        assertThat(http.postJson("/orders", order("erin", "same-id", "T", "BUY", "20", 10)).statusCode())
                .as("the same terms again: the original, 200").isEqualTo(200);
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

        http.delete("/orders/" + id);
        HttpResponse<String> tooLate = http.patchJson("/orders/" + id, "{\"quantity\":5}");
        assertThat(tooLate.statusCode()).isEqualTo(422);
        assertThat(json(tooLate).get("reason").asText()).isEqualTo("TOO_LATE_TO_REPLACE");
    }
}
