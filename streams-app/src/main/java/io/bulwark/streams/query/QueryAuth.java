package io.bulwark.streams.query;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Who may read what: API keys, each with a name, a secret and the endpoints it may read. A caller
 * presents the secret as {@code Authorization: Bearer <secret>} or {@code X-API-Key: <secret>}.
 * No keys configured = the API is open (the embedded default). Secrets are kept only as SHA-256
 * digests and compared in constant time; they never appear in errors or logs.
 *
 * <p>Configured as {@code name:secret[:scope]} entries separated by commas, where scope is
 * {@code *} (default) or endpoint names separated by {@code |}, e.g.
 * {@code ops:s3cret,dashboard:d4sh:stock-level|order-status}.
 */
public final class QueryAuth {

    /** The result of checking a request: allowed (with the key's name, if any), 401 or 403. */
    public record Verdict(int status, String code, String detail, String keyName) {
        boolean allowed() {
            return status == 200;
        }
    }

    private record Key(String name, byte[] digest, Set<String> scopes) {}

    private final List<Key> keys;

    private QueryAuth(List<Key> keys) {
        this.keys = List.copyOf(keys);
    }

    public static QueryAuth open() {
        return new QueryAuth(List.of());
    }

    /**
     * Parses the configured keys; {@code configKey} is named in errors (the value is not: it holds secrets).
     */
    public static QueryAuth parse(String value, String configKey) {
        List<Key> keys = new ArrayList<>();
        if (value == null || value.isBlank()) {
            return open();
        }
        int index = 0;
        for (String entry : value.split(",")) {
            index++;
            String[] parts = entry.trim().split(":", -1);
            if (parts.length < 2 || parts.length > 3 || parts[0].isBlank() || parts[1].length() < 8) {
                throw new IllegalArgumentException(configKey + ": entry " + index
                        + " must be name:secret[:scope] with a secret of at least 8 characters");
            }
            Set<String> scopes = parts.length == 3 && !parts[2].isBlank() ? Set.of(parts[2].split("\\|")) : Set.of("*");
            if (keys.stream().anyMatch(k -> k.name().equals(parts[0]))) {
                throw new IllegalArgumentException(configKey + ": key name '" + parts[0] + "' appears twice");
            }
            keys.add(new Key(parts[0], sha256(parts[1]), scopes));
        }
        return new QueryAuth(keys);
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    /** The scope names used by the keys, to check against the registry at start-up. */
    Set<String> scopes() {
        Set<String> all = new java.util.TreeSet<>();
        keys.forEach(k -> all.addAll(k.scopes()));
        all.remove("*");
        return all;
    }

    Verdict check(Map<String, String> credentials, String endpoint) {
        if (keys.isEmpty()) {
            return new Verdict(200, null, null, null);
        }
        String secret = presented(credentials);
        if (secret == null) {
            return new Verdict(401, "unauthenticated",
                    "This API needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'", null);
        }
        byte[] digest = sha256(secret);
        Key match = null;
        for (Key key : keys) {
            if (MessageDigest.isEqual(key.digest(), digest)) { // no early exit: timing does not tell which key
                match = key;
            }
        }
        if (match == null) {
            return new Verdict(401, "invalid-credentials", "The API key is not valid", null);
        }
        if (!match.scopes().contains("*") && !match.scopes().contains(endpoint)) {
            return new Verdict(403, "forbidden", "Key '" + match.name() + "' may not read " + endpoint, match.name());
        }
        return new Verdict(200, null, null, match.name());
    }

    private static String presented(Map<String, String> credentials) {
        String authorization = credentials.get("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String token = authorization.substring(7).trim();
            return token.isEmpty() ? null : token;
        }
        String apiKey = credentials.get("X-API-Key");
        return apiKey == null || apiKey.isBlank() ? null : apiKey.trim();
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
