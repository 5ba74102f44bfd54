package io.bulwark.orders;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * The body of {@code POST /orders}: {@code {"customerId": "...", "merchantId": "..." (optional),
 * "currency": "EUR", "lines": [{"sku": "...", "quantity": 1, "unitPriceCents": 100}]}}. Parsing is
 * strict — unknown fields, wrong types and out-of-range numbers are a 400 {@code invalid-order}
 * naming the field — and happens before anything is written.
 */
public record PlaceOrder(String customerId, String merchantId, String currency, List<Line> lines) {

    public record Line(String sku, int quantity, long unitPriceCents) {}

    static final int MAX_LINES = 100;
    private static final Set<String> FIELDS = Set.of("customerId", "merchantId", "currency", "lines");
    private static final Set<String> LINE_FIELDS = Set.of("sku", "quantity", "unitPriceCents");
    private static final long MAX_UNIT_PRICE = 100_000_000_00L;

    public long totalCents() {
        long total = 0;
        for (Line line : lines) {
            total = Math.addExact(total, Math.multiplyExact(line.unitPriceCents(), line.quantity()));
        }
        return total;
    }

    static PlaceOrder parse(byte[] body) {
        JsonNode root;
        try {
            root = Json.mapper().readTree(body);
        } catch (IOException e) {
            throw invalid("malformed-json", "The body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            throw invalid("invalid-order", "The body must be a JSON object");
        }
        unknown(root, FIELDS, "");
        String customer = id(root, "customerId", true);
        String merchant = id(root, "merchantId", false);
        JsonNode currency = root.get("currency");
        if (currency == null || !currency.isTextual() || !currency.asText().matches("[A-Z]{3}")) {
            throw invalid("invalid-order", "'currency' must be a three-letter ISO 4217 code such as EUR");
        }
        JsonNode lines = root.get("lines");
        if (lines == null || !lines.isArray() || lines.isEmpty() || lines.size() > MAX_LINES) {
            throw invalid("invalid-order", "'lines' must be an array of 1 to " + MAX_LINES + " order lines");
        }
        List<Line> parsed = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            String at = "lines[" + i + "]";
            if (!line.isObject()) {
                throw invalid("invalid-order", "'" + at + "' must be an object");
            }
            unknown(line, LINE_FIELDS, at + ".");
            String sku = id(line, "sku", true);
            JsonNode quantity = line.get("quantity");
            if (quantity == null
                    || !quantity.isIntegralNumber()
                    || !quantity.canConvertToInt()
                    || quantity.asInt() < 1
                    || quantity.asInt() > 10_000) {
                throw invalid("invalid-order", "'" + at + ".quantity' must be an integer from 1 to 10000");
            }
            JsonNode price = line.get("unitPriceCents");
            if (price == null
                    || !price.isIntegralNumber()
                    || !price.canConvertToLong()
                    || price.asLong() < 0
                    || price.asLong() > MAX_UNIT_PRICE) {
                throw invalid(
                        "invalid-order", "'" + at + ".unitPriceCents' must be an integer from 0 to " + MAX_UNIT_PRICE);
            }
            parsed.add(new Line(sku, quantity.asInt(), price.asLong()));
        }
        return new PlaceOrder(customer, merchant, currency.asText(), parsed);
    }

    private static void unknown(JsonNode node, Set<String> known, String prefix) {
        Iterator<String> names = node.fieldNames();
        while (names.hasNext()) {
            String name = names.next();
            if (!known.contains(name)) {
                throw invalid("invalid-order", "Unknown field '" + prefix + truncate(name) + "'");
            }
        }
    }

    private static String id(JsonNode node, String field, boolean required) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            if (required) {
                throw invalid("invalid-order", "'" + field + "' is required");
            }
            return null;
        }
        if (!value.isTextual() || !value.asText().matches("[A-Za-z0-9._:-]{1,64}")) {
            throw invalid("invalid-order", "'" + field + "' must be 1 to 64 characters of A-Z a-z 0-9 . _ : -");
        }
        return value.asText();
    }

    private static String truncate(String text) {
        return text.length() > 40 ? text.substring(0, 40) + "…" : text;
    }

    private static ApiProblem invalid(String code, String detail) {
        return new ApiProblem(400, code, detail);
    }
}
