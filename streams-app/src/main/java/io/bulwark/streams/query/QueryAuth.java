package io.bulwark.streams.query;

import com.sun.net.httpserver.HttpExchange;
import io.bulwark.http.ApiKeyRing;
import io.bulwark.http.EdgeSignature;
import io.bulwark.http.HttpIo;
import java.io.IOException;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who may read what: API keys, each with a name, a secret and the endpoints it may read. A caller
 * presents the secret as {@code Authorization: Bearer <secret>} or {@code X-API-Key: <secret>}.
 * No keys configured = the API is open (the embedded default). Secrets are held by an
 * {@link ApiKeyRing} (digests only) and never appear in errors or logs.
 *
 * <p>Configured as {@code name:secret[:scope]} entries separated by commas, where scope is
 * {@code *} (default) or endpoint names separated by {@code |}, e.g.
 * {@code ops:s3cret,dashboard:d4sh:stock-level|order-status}.
 */
public final class QueryAuth {

    /** The result of checking a request: allowed (with the key's name, if any), 401 or 403. */
    public record Verdict(int status, String code, String detail, String keyName) {
        public boolean allowed() {
            return status == 200;
        }
    }

    private record Key(String name, Set<String> scopes) {}

    private final ApiKeyRing<Key> keys;
    private final Set<String> scopeNames;

    private QueryAuth(ApiKeyRing<Key> keys, Set<String> scopeNames) {
        this.keys = keys;
        this.scopeNames = Set.copyOf(scopeNames);
    }

    public static QueryAuth open() {
        return new QueryAuth(new ApiKeyRing<>(), Set.of());
    }

    /**
     * Parses the configured keys; {@code configKey} is named in errors (the value is not: it holds secrets).
     */
    public static QueryAuth parse(String value, String configKey) {
        if (value == null || value.isBlank()) {
            return open();
        }
        ApiKeyRing<Key> keys = new ApiKeyRing<>();
        Set<String> names = new HashSet<>();
        Set<String> scopeNames = new TreeSet<>();
        int index = 0;
        for (String entry : value.split(",")) {
            index++;
            String[] parts = entry.trim().split(":", -1);
            if (parts.length < 2 || parts.length > 3 || parts[0].isBlank() || parts[1].length() < 8) {
                throw new IllegalArgumentException(configKey + ": entry " + index
                        + " must be name:secret[:scope] with a secret of at least 8 characters");
            }
            Set<String> scopes = parts.length == 3 && !parts[2].isBlank() ? Set.of(parts[2].split("\\|")) : Set.of("*");
            if (!names.add(parts[0])) {
                throw new IllegalArgumentException(configKey + ": key name '" + parts[0] + "' appears twice");
            }
            scopeNames.addAll(scopes);
            keys.add(parts[1], new Key(parts[0], scopes));
        }
        scopeNames.remove("*");
        return new QueryAuth(keys, scopeNames);
    }

    public boolean enabled() {
        return !keys.isEmpty();
    }

    /** The scope names used by the keys, to check against the registry at start-up. */
    Set<String> scopes() {
        return scopeNames;
    }

    /** The scope that lets a key read {@code /metrics} (besides {@code *}). */
    public static final String METRICS_SCOPE = "metrics";

    /** Answers a refused request: 401 (with {@code WWW-Authenticate}) or 403, as problem+json. */
    public static void refuse(HttpExchange exchange, Verdict verdict) throws IOException {
        if (verdict.status() == 401) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer realm=\"bulwark-query\"");
        }
        HttpIo.problem(
                exchange,
                verdict.status(),
                verdict.code(),
                verdict.status() == 401 ? "Unauthorized" : "Forbidden",
                verdict.detail());
    }

    /** The scope an edge-verified token needs to read the query API. */
    public static final String EDGE_SCOPE = "query:read";

    /**
     * Checks a request that may carry the edge worker's signed identity: one that verifies is judged
     * by its token's scopes ({@value #EDGE_SCOPE}) instead of an API key; one that does not verify is
     * refused, whatever else it carries.
     */
    public Verdict check(Map<String, String> credentials, EdgeSignature.Verdict edge, String endpoint) {
        if (edge instanceof EdgeSignature.Invalid invalid) {
            return new Verdict(
                    401, "invalid-edge-signature", "The edge identity does not verify: " + invalid.reason(), null);
        }
        if (edge instanceof EdgeSignature.Verified verified) {
            if (!verified.identity().hasScope(EDGE_SCOPE)) {
                return new Verdict(403, "forbidden", "The token lacks the scope " + EDGE_SCOPE, "edge");
            }
            return new Verdict(200, null, null, "edge");
        }
        return check(credentials, endpoint);
    }

    public Verdict check(Map<String, String> credentials, String endpoint) {
        if (keys.isEmpty()) {
            return new Verdict(200, null, null, null);
        }
        if (ApiKeyRing.presentedSecret(credentials) == null) {
            return new Verdict(
                    401,
                    "unauthenticated",
                    "This API needs an API key: send 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                    null);
        }
        Key match = keys.authenticate(credentials).orElse(null);
        if (match == null) {
            return new Verdict(401, "invalid-credentials", "The API key is not valid", null);
        }
        if (!match.scopes().contains("*") && !match.scopes().contains(endpoint)) {
            return new Verdict(403, "forbidden", "Key '" + match.name() + "' may not read " + endpoint, match.name());
        }
        return new Verdict(200, null, null, match.name());
    }
}
