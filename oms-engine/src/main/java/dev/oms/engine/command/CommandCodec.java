package dev.oms.engine.command;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.oms.engine.book.SelfTradePrevention;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;
import dev.oms.engine.risk.RiskLimits;

/**
 * The JSON form of commands on the {@code orders} topic (schema 1, see docs/events.md), so that any
 * Kafka client can write and read them. Prices travel as decimal strings, never as floats.
 *
 * <p>Threads: stateless and safe to share.
 */
public final class CommandCodec {
    public static final int SCHEMA_VERSION = 1;
    private static final JsonFactory JSON = new JsonFactory();

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
            case SetRules rules -> encodeRules(rules);
        };
    }

    /** The fields of a command after its schema and type. */
    @FunctionalInterface
    private interface FieldWriter {
        void write(JsonGenerator json) throws IOException;
    }

    private static byte[] encode(String type, int sizeHint, FieldWriter fields) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(sizeHint);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("schema", SCHEMA_VERSION);
            json.writeStringField("type", type);
            fields.write(json);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private byte[] encodeRules(SetRules rules) {
        return encode("SetRules", 256, json -> {
            json.writeNumberField("maxOrderQuantity", rules.risk().maxOrderQuantity());
            json.writeStringField("maxNotional", priceScale.format(rules.risk().maxNotional()));
            json.writeNumberField("priceBandBps", rules.risk().priceBandBasisPoints());
            json.writeNumberField("maxOpenOrders", rules.risk().maxOpenOrdersPerAccount());
            json.writeNumberField("maxPosition", rules.risk().maxPositionPerAccountAndSymbol());
            json.writeStringField("selfTradePrevention", rules.selfTradePrevention().name());
        });
    }

    private byte[] encodeOther(dev.oms.engine.order.OrderId id, String account, String symbol, String type, long priceTicks,
                               long quantity) {
        return encode(type, 160, json -> {
            json.writeStringField("orderId", id.toString());
            json.writeStringField("account", account);
            json.writeStringField("symbol", symbol);
            if (quantity > 0) {
                json.writeStringField("price", priceScale.toPrice(priceTicks).toPlainString());
                json.writeNumberField("quantity", quantity);
            }
        });
    }

    private byte[] encodeNew(NewOrder order) {
        return encode("NewOrder", 256, json -> {
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
        });
    }

    /**
     * Decodes one command; throws {@link PoisonRecordException} for anything that is not one. One
     * pass of Jackson's streaming parser over the fields (no tree: decoding was a quarter of a
     * replay); unknown fields are skipped, a repeated field's last value counts, and anything after
     * the object is an error.
     */
    public Command decode(byte[] value) {
        if (value == null) {
            throw new PoisonRecordException("a record with no value (a tombstone) is not a command", null);
        }
        try (JsonParser json = JSON.createParser(value)) {
            if (json.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("not a JSON object");
            }
            Fields f = new Fields();
            for (JsonToken token = json.nextToken(); token == JsonToken.FIELD_NAME; token = json.nextToken()) {
                String name = json.currentName();
                JsonToken field = json.nextToken();
                switch (name) {
                    case "schema" -> f.schema = field == JsonToken.VALUE_NUMBER_INT ? json.getValueAsInt(-1) : -1;
                    case "type" -> f.type = text(json, field);
                    case "orderId" -> f.orderId = text(json, field);
                    case "account" -> f.account = text(json, field);
                    case "clientOrderId" -> f.clientOrderId = text(json, field);
                    case "symbol" -> f.symbol = text(json, field);
                    case "side" -> f.side = text(json, field);
                    case "orderType" -> f.orderType = text(json, field);
                    case "timeInForce" -> f.timeInForce = text(json, field);
                    case "price" -> f.price = text(json, field);
                    case "quantity" -> f.quantity = quantity(json, field);
                    case "maxOrderQuantity" -> f.maxOrderQuantity = quantity(json, field);
                    case "maxNotional" -> f.maxNotional = text(json, field);
                    case "priceBandBps" -> f.priceBandBps = quantity(json, field);
                    case "maxOpenOrders" -> f.maxOpenOrders = quantity(json, field);
                    case "maxPosition" -> f.maxPosition = quantity(json, field);
                    case "selfTradePrevention" -> f.selfTradePrevention = text(json, field);
                    default -> json.skipChildren();
                }
                if (field == JsonToken.START_OBJECT || field == JsonToken.START_ARRAY) {
                    json.skipChildren();
                }
            }
            if (json.currentToken() != JsonToken.END_OBJECT || json.nextToken() != null) {
                throw new IllegalArgumentException("not one JSON object");
            }
            return f.command(priceScale);
        } catch (IOException | RuntimeException e) {
            throw new PoisonRecordException("undecodable command: " + e.getMessage(), e);
        }
    }

    /** The fields of a command as read; {@code null} (or -1) when absent or of the wrong kind. */
    private static final class Fields {
        int schema = -1;
        String type;
        String orderId;
        String account;
        String clientOrderId;
        String symbol;
        String side;
        String orderType;
        String timeInForce;
        String price;
        long quantity = -1;
        long maxOrderQuantity = -1;
        String maxNotional;
        long priceBandBps = -1;
        long maxOpenOrders = -1;
        long maxPosition = -1;
        String selfTradePrevention;

        Command command(PriceScale priceScale) {
            if (schema != SCHEMA_VERSION) {
                throw new IllegalArgumentException("unknown schema version, or none: schema must be " + SCHEMA_VERSION);
            }
            String kind = required("type", type);
            if (kind.equals("CancelOrder") || kind.equals("ReplaceOrder")) {
                dev.oms.engine.order.OrderId id = dev.oms.engine.order.OrderId.parse(required("orderId", orderId))
                        .orElseThrow(() -> new IllegalArgumentException("orderId is not an order id"));
                if (kind.equals("CancelOrder")) {
                    return new CancelOrder(id, id("account", account), symbol());
                }
                return new ReplaceOrder(id, id("account", account), symbol(),
                        priceScale.parse(required("price", price)), positive());
            }
            if (kind.equals("SetRules")) {
                if (maxOpenOrders > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("maxOpenOrders must be at most " + Integer.MAX_VALUE);
                }
                // RiskLimits refuses a limit that is absent (-1 here) or not positive, naming it.
                return new SetRules(new RiskLimits(maxOrderQuantity, priceScale.parse(required("maxNotional", maxNotional)),
                        priceBandBps, (int) maxOpenOrders, maxPosition),
                        SelfTradePrevention.valueOf(required("selfTradePrevention", selfTradePrevention)));
            }
            if (!kind.equals("NewOrder")) {
                throw new IllegalArgumentException("unknown command type " + kind);
            }
            OrderType type = OrderType.valueOf(required("orderType", orderType));
            long priceTicks = type == OrderType.LIMIT ? priceScale.parse(required("price", price)) : 0;
            return new NewOrder(id("account", account), id("clientOrderId", clientOrderId),
                    symbol(), Side.valueOf(required("side", side)), type,
                    TimeInForce.valueOf(required("timeInForce", timeInForce)), priceTicks, positive());
        }

        private long positive() {
            if (quantity <= 0) {
                throw new IllegalArgumentException("quantity must be a positive integer");
            }
            return quantity;
        }

        private static String required(String field, String value) {
            if (value == null || value.isEmpty()) {
                throw new IllegalArgumentException(field + " must be a non-empty string");
            }
            return value;
        }

        /** An account or clientOrderId, held to the rules the HTTP API holds it to. */
        private static String id(String field, String value) {
            String problem = Identifiers.idProblem(required(field, value));
            if (problem != null) {
                throw new IllegalArgumentException(field + " " + problem);
            }
            return value;
        }

        private String symbol() {
            String problem = Identifiers.symbolProblem(required("symbol", symbol));
            if (problem != null) {
                throw new IllegalArgumentException("symbol " + problem);
            }
            return symbol;
        }
    }

    /** The field's text, or null when it is not a string. */
    private static String text(JsonParser json, JsonToken token) throws IOException {
        return token == JsonToken.VALUE_STRING ? json.getText() : null;
    }

    /** A whole number that fits a long (written 5 or 5.0), or -1. */
    private static long quantity(JsonParser json, JsonToken token) throws IOException {
        if (token == JsonToken.VALUE_NUMBER_INT) {
            return json.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? -1 : json.getLongValue();
        }
        if (token == JsonToken.VALUE_NUMBER_FLOAT) {
            BigDecimal number = json.getDecimalValue();
            try {
                return number.stripTrailingZeros().scale() <= 0 ? number.longValueExact() : -1;
            } catch (ArithmeticException e) {
                return -1;
            }
        }
        return -1;
    }
}
