package io.bulwark.guard.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The fingerprint of a request body: SHA-256 of its canonical JSON (object members sorted by name,
 * no insignificant whitespace, numbers as parsed), so {@code {"a":1,"b":2}} and
 * {@code { "b": 2, "a": 1 }} are the same request. A body that is not JSON is hashed as bytes.
 *
 * <p>Also derives deterministic keys for clients ({@link #deriveKey}): a retry must reuse the key
 * of its first try, so keys come from what the request <i>means</i>, never from a random value
 * drawn per attempt.
 */
public final class RequestFingerprint {

    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();

    private RequestFingerprint() {}

    public static String of(byte[] body) {
        if (body == null || body.length == 0) {
            return sha256(new byte[0]);
        }
        try {
            JsonNode tree = CANONICAL.readTree(body);
            if (tree != null && !tree.isMissingNode()) {
                return sha256(CANONICAL.writeValueAsBytes(canonical(tree)));
            }
        } catch (IOException notJson) {
            // fall through: hash the bytes as they are
        }
        return sha256(body);
    }

    /**
     * A deterministic idempotency key for an operation: SHA-256 over the entity, the action and
     * the canonical JSON of its parameters. The same intent always yields the same key.
     */
    public static String deriveKey(String entity, String action, Map<String, ?> params) {
        ObjectNode node = JsonNodeFactory.instance.objectNode();
        node.put("entity", entity).put("action", action).set("params", CANONICAL.valueToTree(new TreeMap<>(params)));
        try {
            return sha256(CANONICAL.writeValueAsBytes(canonical(node)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("Parameters cannot be written as JSON", e);
        }
    }

    private static JsonNode canonical(JsonNode node) {
        if (node.isObject()) {
            ObjectNode sorted = JsonNodeFactory.instance.objectNode();
            TreeMap<String, JsonNode> members = new TreeMap<>();
            Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
            while (fields.hasNext()) {
                Map.Entry<String, JsonNode> field = fields.next();
                members.put(field.getKey(), canonical(field.getValue()));
            }
            members.forEach(sorted::set);
            return sorted;
        }
        if (node.isArray()) {
            var array = JsonNodeFactory.instance.arrayNode();
            node.forEach(element -> array.add(canonical(element)));
            return array;
        }
        return node;
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
