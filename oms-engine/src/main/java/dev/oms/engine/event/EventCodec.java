package dev.oms.engine.event;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.oms.engine.order.Order;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;

/**
 * The JSON of the engine's output records (schema 1, docs/events.md): execution reports on
 * {@code order-events}, keyed by order id, and trades on {@code trades}, keyed by symbol. Every
 * record carries an id made of the command's log coordinates and a sequence number, the same on
 * every replay, so a consumer can drop a record it has seen.
 *
 * <p>Threads: stateless.
 */
public final class EventCodec {
    public static final int SCHEMA_VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();

    private final PriceScale priceScale;

    public EventCodec(PriceScale priceScale) {
        this.priceScale = priceScale;
    }

    /** An execution report: the order as it is after {@code type} happened to it. */
    public byte[] executionReport(String eventId, String type, Order order, long lastQuantity, long lastPriceTicks,
                                  String reason, long time) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(400);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("type", type);
            json.writeStringField("eventId", eventId);
            json.writeStringField("orderId", order.id().toString());
            json.writeStringField("account", order.account());
            json.writeStringField("clientOrderId", order.clientOrderId());
            json.writeStringField("symbol", order.symbol());
            json.writeStringField("side", order.side().name());
            json.writeStringField("orderType", order.type().name());
            json.writeStringField("status", order.status().name());
            if (order.type() == OrderType.LIMIT) {
                json.writeStringField("price", price(order.priceTicks()));
            }
            json.writeNumberField("quantity", order.quantity());
            json.writeNumberField("filledQuantity", order.filledQuantity());
            json.writeNumberField("leavesQuantity", order.leavesQuantity());
            if (lastQuantity > 0) {
                json.writeNumberField("lastQuantity", lastQuantity);
                json.writeStringField("lastPrice", price(lastPriceTicks));
            }
            if (reason != null) {
                json.writeStringField("reason", reason);
            }
            json.writeStringField("time", Instant.ofEpochMilli(time).toString());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    public byte[] trade(String tradeId, String symbol, long priceTicks, long quantity, String buyOrderId,
                        String sellOrderId, Side aggressorSide, long time) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("tradeId", tradeId);
            json.writeStringField("symbol", symbol);
            json.writeStringField("price", price(priceTicks));
            json.writeNumberField("quantity", quantity);
            json.writeStringField("buyOrderId", buyOrderId);
            json.writeStringField("sellOrderId", sellOrderId);
            json.writeStringField("aggressorSide", aggressorSide.name());
            json.writeStringField("time", Instant.ofEpochMilli(time).toString());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private String price(long ticks) {
        return priceScale.toPrice(ticks).stripTrailingZeros().toPlainString();
    }
}
