package dev.oms.engine.command;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * The JSON form of commands on the {@code orders} topic (schema 1, see docs/events.md), so that any
 * Kafka client can write and read them. Prices travel as decimal strings, never as floats.
 *
 * <p>Threads: stateless and safe to share.
 */
public final class CommandCodec {
    public static final int SCHEMA_VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final PriceScale priceScale;

    public CommandCodec(PriceScale priceScale) {
        this.priceScale = priceScale;
    }

    public byte[] encode(Command command) {
        return switch (command) {
            case NewOrder order -> encodeNew(order);
            case CancelOrder cancel -> encodeOther(cancel.orderId(), cancel.account(), cancel.symbol(), "CancelOrder", 0, 0);
            case ReplaceOrder replace -> encodeOther(replace.orderId(), replace.account(), replace.symbol(), "ReplaceOrder",
                    replace.priceTicks(), replace.quantity());
        };
    }

    private byte[] encodeOther(dev.oms.engine.order.OrderId id, String account, String symbol, String type, long priceTicks,
                               long quantity) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("type", type);
            json.writeStringField("orderId", id.toString());
            json.writeStringField("account", account);
            json.writeStringField("symbol", symbol);
            if (quantity > 0) {
                json.writeStringField("price", priceScale.toPrice(priceTicks).toPlainString());
                json.writeNumberField("quantity", quantity);
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private byte[] encodeNew(NewOrder order) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("type", "NewOrder");
            json.writeStringField("account", order.account());
            json.writeStringField("clientOrderId", order.clientOrderId());
            json.writeStringField("symbol", order.symbol());
            json.writeStringField("side", order.side().name());
            json.writeStringField("orderType", order.type().name());
            json.writeStringField("timeInForce", order.timeInForce().name());
            if (order.type() == OrderType.LIMIT) {
                json.writeStringField("price", priceScale.toPrice(order.priceTicks()).toPlainString());
            }
            json.writeNumberField("quantity", order.quantity());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** Decodes one command; throws {@link PoisonRecordException} for anything that is not one. */
    public Command decode(byte[] value) {
        try {
            JsonNode node = MAPPER.readTree(value);
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException("not a JSON object");
            }
            int schema = node.path("schema").asInt(-1);
            if (schema != SCHEMA_VERSION) {
                throw new IllegalArgumentException("unknown schema version " + node.path("schema"));
            }
            String type = text(node, "type");
            if (type.equals("CancelOrder") || type.equals("ReplaceOrder")) {
                dev.oms.engine.order.OrderId id = dev.oms.engine.order.OrderId.parse(text(node, "orderId"))
                        .orElseThrow(() -> new IllegalArgumentException("orderId is not an order id"));
                if (type.equals("CancelOrder")) {
                    return new CancelOrder(id, text(node, "account"), text(node, "symbol"));
                }
                return new ReplaceOrder(id, text(node, "account"), text(node, "symbol"),
                        priceScale.toTicks(new BigDecimal(text(node, "price"))), positive(node.path("quantity")));
            }
            if (!type.equals("NewOrder")) {
                throw new IllegalArgumentException("unknown command type " + type);
            }
            OrderType orderType = OrderType.valueOf(text(node, "orderType"));
            long priceTicks = orderType == OrderType.LIMIT ? priceScale.toTicks(new BigDecimal(text(node, "price"))) : 0;
            return new NewOrder(text(node, "account"), text(node, "clientOrderId"), text(node, "symbol"),
                    Side.valueOf(text(node, "side")), orderType, TimeInForce.valueOf(text(node, "timeInForce")),
                    priceTicks, positive(node.path("quantity")));
        } catch (IOException | RuntimeException e) {
            throw new PoisonRecordException("undecodable command: " + e.getMessage(), e);
        }
    }

    private static long positive(JsonNode quantity) {
        if (!quantity.canConvertToExactIntegral() || !quantity.canConvertToLong() || quantity.asLong() <= 0) {
            throw new IllegalArgumentException("quantity must be a positive integer");
        }
        return quantity.asLong();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || !value.isTextual() || value.asText().isEmpty()) {
            throw new IllegalArgumentException(field + " must be a non-empty string");
        }
        return value.asText();
    }
}
