package dev.oms.api.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.http.Problem.FieldError;
import dev.oms.engine.command.NewOrder;
import dev.oms.engine.order.OrderType;
import dev.oms.engine.order.PriceScale;
import dev.oms.engine.order.Side;
import dev.oms.engine.order.TimeInForce;

/**
 * Turns the JSON body of {@code POST /orders} into a {@link NewOrder}, or into a problem that
 * names every field that is wrong. Prices are read as exact decimals (a JSON number or a string),
 * never through a double.
 *
 * <p>Threads: stateless; any request thread.
 */
final class OrderRequest {
    static final List<String> FIELDS = List.of("account", "clientOrderId", "symbol", "side", "type", "timeInForce",
            "price", "quantity");
    /** Why {@code symbol} cannot be one, or null when it can. */
    static String symbolError(String symbol) {
        return dev.oms.engine.command.Identifiers.symbolProblem(symbol);
    }

    private OrderRequest() {
    }

    static NewOrder parse(byte[] body, PriceScale priceScale) {
        JsonNode node = RequestBody.json(body);
        if (node == null || !node.isObject()) {
            throw RequestBody.malformedJson("the body must be a JSON object with the fields " + String.join(", ", FIELDS));
        }

        List<FieldError> errors = new ArrayList<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                errors.add(new FieldError(name, "unknown field; the fields are " + String.join(", ", FIELDS)));
            }
        }
        String account = identifier(node, "account", errors);
        String clientOrderId = identifier(node, "clientOrderId", errors);
        String symbol = text(node, "symbol", errors, OrderRequest::symbolError);
        Side side = enumValue(node, "side", Side.class, errors, true);
        OrderType type = enumValue(node, "type", OrderType.class, errors, true);
        TimeInForce timeInForce = enumValue(node, "timeInForce", TimeInForce.class, errors, false);
        long priceTicks = price(node, type, priceScale, errors);
        long quantity = quantity(node, errors);

        if (!errors.isEmpty()) {
            throw new ProblemException(Problem.invalidOrder(errors));
        }
        return new NewOrder(account, clientOrderId, symbol, side, type,
                timeInForce == null ? TimeInForce.GTC : timeInForce, priceTicks, quantity);
    }

    private static String identifier(JsonNode node, String field, List<FieldError> errors) {
        return text(node, field, errors, dev.oms.engine.command.Identifiers::idProblem);
    }

    /** A required, non-blank string that passes {@code check} (which returns an error or null). */
    private static String text(JsonNode node, String field, List<FieldError> errors, Function<String, String> check) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            errors.add(new FieldError(field, "is required"));
            return null;
        }
        if (!value.isTextual()) {
            errors.add(new FieldError(field, "must be a string, got " + describe(value)));
            return null;
        }
        String s = value.asText();
        if (s.isBlank()) {
            errors.add(new FieldError(field, "must not be blank"));
            return null;
        }
        String problem = check.apply(s);
        if (problem != null) {
            errors.add(new FieldError(field, problem));
            return null;
        }
        return s;
    }

    private static <E extends Enum<E>> E enumValue(JsonNode node, String field, Class<E> type, List<FieldError> errors,
                                                   boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                errors.add(new FieldError(field, "is required; one of " + names(type)));
            }
            return null;
        }
        if (value.isTextual()) {
            for (E constant : type.getEnumConstants()) {
                if (constant.name().equals(value.asText())) {
                    return constant;
                }
            }
        }
        errors.add(new FieldError(field, "must be one of " + names(type) + ", got " + describe(value)));
        return null;
    }

    private static long price(JsonNode node, OrderType type, PriceScale scale, List<FieldError> errors) {
        JsonNode value = node.get("price");
        boolean absent = value == null || value.isNull();
        if (type == OrderType.MARKET) {
            if (!absent) {
                errors.add(new FieldError("price", "must be absent for a MARKET order"));
            }
            return 0;
        }
        if (absent) {
            if (type == OrderType.LIMIT) {
                errors.add(new FieldError("price", "is required for a LIMIT order"));
            }
            return 0;
        }
        return priceTicks(value, scale, errors);
    }

    /**
     * The ticks of a price field, a JSON number or a string holding a plain decimal ("100.25"), or
     * 0 with the error added: the rule for a NewOrder's price and a replace's. Errors echo the value
     * cut short, never expanded (1e10000000 is ten characters).
     */
    static long priceTicks(JsonNode value, PriceScale scale, List<FieldError> errors) {
        long ticks;
        try {
            if (value.isTextual()) {
                ticks = scale.parse(value.asText());
            } else if (value.isNumber()) {
                ticks = scale.toTicks(value.decimalValue());
            } else {
                errors.add(new FieldError("price", "must be a decimal number or a string holding one, got " + describe(value)));
                return 0;
            }
        } catch (NumberFormatException e) {
            errors.add(new FieldError("price", "must be a plain decimal such as \"100.25\", got " + describe(value)));
            return 0;
        } catch (ArithmeticException e) {
            errors.add(new FieldError("price", e.getMessage() + ", got " + describe(value)));
            return 0;
        }
        if (ticks <= 0) {
            errors.add(new FieldError("price", "must be greater than 0, got " + describe(value)));
            return 0;
        }
        return ticks;
    }

    private static long quantity(JsonNode node, List<FieldError> errors) {
        JsonNode value = node.get("quantity");
        if (value == null || value.isNull()) {
            errors.add(new FieldError("quantity", "is required"));
            return 0;
        }
        if (!value.isIntegralNumber() || !value.canConvertToLong()) {
            errors.add(new FieldError("quantity", "must be a positive whole number, got " + describe(value)));
            return 0;
        }
        long quantity = value.longValue();
        if (quantity <= 0) {
            errors.add(new FieldError("quantity", "must be greater than 0, got " + quantity));
            return 0;
        }
        return quantity;
    }

    private static String describe(JsonNode value) {
        String text = value.toString();
        String shown = text.length() > 40 ? text.substring(0, 40) + "…" : text;
        return value.getNodeType().name().toLowerCase(java.util.Locale.ROOT) + " " + shown;
    }

    private static <E extends Enum<E>> String names(Class<E> type) {
        StringBuilder names = new StringBuilder();
        for (E constant : type.getEnumConstants()) {
            names.append(names.isEmpty() ? "" : ", ").append(constant.name());
        }
        return names.toString();
    }

}
