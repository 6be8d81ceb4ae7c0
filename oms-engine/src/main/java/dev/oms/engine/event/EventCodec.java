package dev.oms.engine.event;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
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
 * <p>Threads: one per thread (each engine worker has its own): it reuses one JSON generator and
 * buffer for every record, where making a generator per record was a tenth of a command's cost.
 */
public final class EventCodec {
    public static final int SCHEMA_VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();

    private final PriceScale priceScale;
    private final ByteArrayBuilder buffer = new ByteArrayBuilder(512);
    private JsonGenerator json;

    public EventCodec(PriceScale priceScale) {
        this.priceScale = priceScale;
        this.json = newGenerator();
    }

    private JsonGenerator newGenerator() {
        try {
            JsonGenerator generator = JSON.createGenerator(buffer);
            generator.setRootValueSeparator(null); // one record per root value, nothing between them
            return generator;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** After a record failed half-way: a fresh generator and buffer, so the next record starts clean. */
    private RuntimeException failed(Exception e) {
        buffer.reset();
        json = newGenerator();
        return e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
    }

    /** The record written since the last call, as its own array; the buffer is reused. */
    private byte[] take() throws IOException {
        json.flush();
        byte[] record = buffer.toByteArray();
        buffer.reset();
        return record;
    }

    /** An execution report: the order as it is after {@code type} happened to it. */
    public byte[] executionReport(String eventId, String type, Order order, long lastQuantity, long lastPriceTicks,
                                  String reason, long time) {
        try {
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
            json.writeStringField("time", timeText(time));
            json.writeEndObject();
            return take();
        } catch (IOException | RuntimeException e) {
            throw failed(e);
        }
    }

    public byte[] trade(String tradeId, String symbol, long priceTicks, long quantity, String buyOrderId,
                        String sellOrderId, Side aggressorSide, long time) {
        try {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("tradeId", tradeId);
            json.writeStringField("symbol", symbol);
            json.writeStringField("price", price(priceTicks));
            json.writeNumberField("quantity", quantity);
            json.writeStringField("buyOrderId", buyOrderId);
            json.writeStringField("sellOrderId", sellOrderId);
            json.writeStringField("aggressorSide", aggressorSide.name());
            json.writeStringField("time", timeText(time));
            json.writeEndObject();
            return take();
        } catch (IOException | RuntimeException e) {
            throw failed(e);
        }
    }

    /** The string field {@code field} of a record written here (an eventId, a tradeId), or null. */
    public static String idOf(java.nio.ByteBuffer value, String field) {
        byte[] bytes = new byte[value.remaining()];
        value.duplicate().get(bytes);
        try (com.fasterxml.jackson.core.JsonParser parser = new com.fasterxml.jackson.core.JsonFactory().createParser(bytes)) {
            if (parser.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
                return null;
            }
            while (parser.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                com.fasterxml.jackson.core.JsonToken token = parser.nextToken();
                if (name.equals(field) && token == com.fasterxml.jackson.core.JsonToken.VALUE_STRING) {
                    return parser.getText();
                }
                parser.skipChildren();
            }
            return null;
        } catch (IOException e) {
            return null; // not one of ours
        }
    }

    /**
     * ISO-8601 text of {@code time}, kept for the next record: a command's records share its time,
     * and under load so do the commands of each millisecond, so it is formatted once.
     */
    private String timeText(long time) {
        if (time != lastTime || lastTimeText == null) {
            lastTimeText = Instant.ofEpochMilli(time).toString();
            lastTime = time;
        }
        return lastTimeText;
    }

    private long lastTime;
    private String lastTimeText;

    private String price(long ticks) {
        return priceScale.format(ticks);
    }
}
