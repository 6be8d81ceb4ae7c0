package dev.oms.api.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;

/**
 * The order resource as JSON: the request's fields plus {@code id}, {@code status} and the fill
 * state. Prices are written as decimal strings so no client reads them through a double.
 */
final class OrderJson {
    private static final JsonFactory JSON = new JsonFactory();

    private OrderJson() {
    }

    static byte[] write(Order order, PriceScale priceScale) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(384);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField("id", order.id().toString());
            json.writeStringField("status", order.status().name());
            json.writeStringField("account", order.account());
            json.writeStringField("clientOrderId", order.clientOrderId());
            json.writeStringField("symbol", order.symbol());
            json.writeStringField("side", order.side().name());
            json.writeStringField("type", order.type().name());
            json.writeStringField("timeInForce", order.timeInForce().name());
            if (order.type() == OrderType.LIMIT) {
                json.writeStringField("price", priceScale.format(order.priceTicks()));
            } else {
                json.writeNullField("price");
            }
            json.writeNumberField("quantity", order.quantity());
            json.writeNumberField("filledQuantity", order.filledQuantity());
            json.writeNumberField("leavesQuantity", order.leavesQuantity());
            json.writeStringField("createdAt", Instant.ofEpochMilli(order.createdAt()).toString());
            if (order.reason() != null) {
                json.writeStringField("reason", order.reason());
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
