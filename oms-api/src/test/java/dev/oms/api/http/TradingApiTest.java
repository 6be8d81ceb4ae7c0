package dev.oms.api.http;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.Http;
import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trading over HTTP: orders that cross, rejections, cancels, replaces and positions. */
class TradingApiTest {
    @TempDir
    static Path dir;
    private static Oms oms;
    private static Http http;

    @BeforeAll
    static void start() throws Exception {
        oms = TestOms.start(dir);
        http = new Http(oms.httpPort());
    }

    @AfterAll
    static void stop() {
        oms.close();
    }

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
    void orderOverARiskLimitIsA422ProblemWithItsReason() throws Exception {
        HttpResponse<String> response = http.postJson("/orders", order("alice", "huge", "IBM", "BUY", "10", 5_000_000));

        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        assertThat(json(response).get("reason").asText()).isEqualTo("QUANTITY_LIMIT");
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
