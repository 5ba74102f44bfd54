package io.bulwark.guard.idempotency;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What an idempotency key is unique within: the client's identity, the method and the path. The
 * same key sent by two clients, or to two operations, names two different requests.
 */
public record IdempotencyScope(String clientId, String method, String path, String key) {

    /** The longest key accepted (the IETF draft leaves it to the server; Stripe allows 255). */
    public static final int MAX_KEY_LENGTH = 255;

    public IdempotencyScope {
        Objects.requireNonNull(clientId, "clientId");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        if (!isValidKey(key)) {
            throw new IllegalArgumentException(
                    "An idempotency key is 1 to " + MAX_KEY_LENGTH + " printable ASCII characters");
        }
    }

    /** Whether {@code key} is a usable Idempotency-Key header value. */
    public static boolean isValidKey(String key) {
        if (key == null || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            return false;
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    /** A fixed-length id of the scope: SHA-256 over its four parts, NUL-separated, in hex. */
    public String id() {
        return sha256Hex(clientId + '\0' + method + '\0' + path + '\0' + key);
    }

    static String sha256Hex(String text) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
