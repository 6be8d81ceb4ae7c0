package dev.oms.api.http;

import static dev.oms.api.Http.json;
import static dev.oms.api.Http.order;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.Http;
import dev.oms.api.Oms;
import dev.oms.api.TestOms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pre-trade risk over HTTP with tight limits set as an operator would (engine.risk in oms.yaml, here
 * as OMS_ENGINE_RISK_* variables): each limit refuses the order that would pass it with a 422
 * problem carrying its stable reason, accepts the one at the limit, and counts per account (and
 * symbol). Each test trades its own symbols and accounts.
 */
class RiskLimitsApiTest {
    private static final int MAX_OPEN_ORDERS = 2;
    private static final long MAX_POSITION = 100;
    private static final long MAX_NOTIONAL = 10_000;

    @TempDir
    static Path dir;
    static Oms oms;
    static Http http;

    @BeforeAll
    static void startOmsWithTightLimits() throws Exception {
        oms = TestOms.start(dir, Map.of(
                "OMS_ENGINE_RISK_MAX_OPEN_ORDERS", Integer.toString(MAX_OPEN_ORDERS),
                "OMS_ENGINE_RISK_MAX_POSITION", Long.toString(MAX_POSITION),
                "OMS_ENGINE_RISK_MAX_NOTIONAL", Long.toString(MAX_NOTIONAL)));
        http = new Http(oms.httpPort());
    }

    @AfterAll
    static void stopOms() {
        oms.close();
    }

    @Test
    void orderBeyondTheOpenOrdersOfItsAccountIsA422OpenOrderLimitProblem() throws Exception {
        String first = placed(order("oo-1", "oo-a", "RKOO", "BUY", "10", 1));
        placed(order("oo-1", "oo-b", "RKOO", "BUY", "10", 1));

        assertRejected(http.postJson("/orders", order("oo-1", "oo-c", "RKOO", "BUY", "10", 1)), "OPEN_ORDER_LIMIT");
        placed(order("oo-2", "oo-d", "RKOO", "BUY", "10", 1)); // another account has its own count

        assertThat(http.delete("/orders/" + first).statusCode()).isEqualTo(200);
        placed(order("oo-1", "oo-e", "RKOO", "BUY", "10", 1)); // a canceled order no longer counts
    }

    @Test
    void orderThatWouldTakeThePositionBeyondTheLimitIsA422PositionLimitProblem() throws Exception {
        placed(order("pos-seller", "pos-a", "RKPOS", "SELL", "10", 80));
        JsonNode fill = json(http.postJson("/orders", order("pos-1", "pos-b", "RKPOS", "BUY", "10", 80)));
        assertThat(fill.get("status").asText()).isEqualTo("FILLED");
        assertThat(json(http.get("/accounts/pos-1/positions")).get("positions").get(0).get("quantity").asLong()).isEqualTo(80);

        assertRejected(http.postJson("/orders", order("pos-1", "pos-c", "RKPOS", "BUY", "9.5", 21)), "POSITION_LIMIT");
        assertRejected(http.postJson("/orders", order("pos-1", "pos-d", "RKPOS", "SELL", "10.5", 181)), "POSITION_LIMIT");
        placed(order("pos-1", "pos-e", "RKPOS", "BUY", "9.5", 20)); // to exactly the limit
        placed(order("pos-1", "pos-f", "RKPOS2", "BUY", "9.5", 21)); // another symbol: its own position
    }

    @Test
    void orderWhosePriceTimesQuantityExceedsTheLimitIsA422NotionalLimitProblem() throws Exception {
        assertRejected(http.postJson("/orders", order("ntl-1", "ntl-a", "RKNTL", "BUY", "200", 51)), "NOTIONAL_LIMIT");
        assertRejected(http.postJson("/orders", order("ntl-1", "ntl-b", "RKNTL", "SELL", "\"10000.0001\"", 1)),
                "NOTIONAL_LIMIT");
        placed(order("ntl-1", "ntl-c", "RKNTL", "BUY", "200", 50)); // 10 000: at the limit
    }

    /** A 422 problem with the stable reason; the refused order is kept as REJECTED with that reason. */
    private static void assertRejected(HttpResponse<String> response, String reason) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
        assertThat(response.headers().firstValue("Content-Type")).contains("application/problem+json");
        JsonNode problem = json(response);
        assertThat(problem.get("type").asText()).isEqualTo("/problems/rejected");
        assertThat(problem.get("title").asText()).isEqualTo("Order rejected");
        assertThat(problem.get("status").asInt()).isEqualTo(422);
        assertThat(problem.get("reason").asText()).isEqualTo(reason);
        assertThat(problem.get("detail").asText()).startsWith(reason);
        String id = problem.get("orderId").asText(); // the rejected order, which GET shows
        assertThat(problem.get("detail").asText()).endsWith("(order " + id + ")");
        JsonNode rejected = json(http.get("/orders/" + id));
        assertThat(rejected.get("status").asText()).isEqualTo("REJECTED");
        assertThat(rejected.get("reason").asText()).isEqualTo(reason);
    }

    private static String placed(String order) throws Exception {
        HttpResponse<String> response = http.postJson("/orders", order);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
        return json(response).get("id").asText();
    }
}
