package io.bulwark.http;

import com.sun.net.httpserver.HttpExchange;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * API keys and what each one stands for (a client, a scope): the secrets are kept only as SHA-256
 * digests and compared in constant time, without an early exit, so timing tells nothing about which
 * key came close. A caller presents its secret as {@code Authorization: Bearer <secret>} or
 * {@code X-API-Key: <secret>}. Shared by the query API and order-api.
 */
public final class ApiKeyRing<T> {

    /** The request headers that carry credentials (also forwarded on the query API's hop). */
    public static final List<String> CREDENTIAL_HEADERS = List.of("Authorization", "X-API-Key");

    private record Entry<T>(byte[] digest, T value) {}

    private final List<Entry<T>> entries = new ArrayList<>();

    /** Adds a key; the secret itself is not kept. */
    public ApiKeyRing<T> add(String secret, T value) {
        entries.add(new Entry<>(sha256(secret), value));
        return this;
    }

    public boolean isEmpty() {
        return entries.isEmpty();
    }

    /** The value of the presented key, or empty when none or an unknown one is presented. */
    public Optional<T> authenticate(Map<String, String> credentialHeaders) {
        String secret = presentedSecret(credentialHeaders);
        if (secret == null) {
            return Optional.empty();
        }
        byte[] digest = sha256(secret);
        T match = null;
        for (Entry<T> entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                match = entry.value();
            }
        }
        return Optional.ofNullable(match);
    }

    /** The secret a request presents, or null when it presents none. */
    public static String presentedSecret(Map<String, String> credentialHeaders) {
        String authorization = credentialHeaders.get("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        String apiKey = credentialHeaders.get("X-API-Key");
        return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
    }

    /** The credential headers of a request, by name. */
    public static Map<String, String> credentialHeaders(HttpExchange exchange) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (String name : CREDENTIAL_HEADERS) {
            String value = exchange.getRequestHeaders().getFirst(name);
            if (value != null) {
                headers.put(name, value);
            }
        }
        return headers;
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
