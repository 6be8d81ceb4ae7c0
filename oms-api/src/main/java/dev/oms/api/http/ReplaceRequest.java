package dev.oms.api.http;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.oms.api.http.Problem.FieldError;
import dev.oms.engine.order.PriceScale;

/** The body of {@code PATCH /orders/{id}}: a new {@code price}, a new total {@code quantity}, or both. */
record ReplaceRequest(long priceTicks, long quantity) {
    static ReplaceRequest parse(byte[] body, PriceScale scale) {
        JsonNode node = RequestBody.json(body);
        if (node == null || !node.isObject()) {
            throw RequestBody.malformedJson("the body must be a JSON object with price and/or quantity");
        }
        List<FieldError> errors = new ArrayList<>();
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("price") && !name.equals("quantity")) {
                errors.add(new FieldError(name, "unknown field; a replace takes price and quantity"));
            }
        }
        long ticks = 0;
        JsonNode price = node.get("price");
        if (price != null) { // an explicit null is no price, and says so (it read as absent, then as a missing field)
            ticks = OrderRequest.priceTicks(price, scale, errors);
        }
        long quantity = 0;
        JsonNode qty = node.get("quantity");
        if (qty != null) {
            if (!qty.isIntegralNumber() || !qty.canConvertToLong() || qty.longValue() <= 0) {
                errors.add(new FieldError("quantity", "must be a positive whole number, got " + qty));
            } else {
                quantity = qty.longValue();
            }
        }
        if (errors.isEmpty() && ticks == 0 && quantity == 0) {
            errors.add(new FieldError("price", "a replace needs a new price, a new quantity, or both"));
        }
        if (!errors.isEmpty()) {
            throw new ProblemException(Problem.invalidOrder(errors));
        }
        return new ReplaceRequest(ticks, quantity);
    }
}
