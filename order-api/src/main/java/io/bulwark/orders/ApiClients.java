package io.bulwark.orders;

import com.sun.net.httpserver.HttpExchange;
import io.bulwark.guard.ratelimit.Limit;
import io.bulwark.guard.ratelimit.Tier;
import io.bulwark.http.ApiKeyRing;
import io.bulwark.http.EdgeSignature;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API's clients: each has an id (which scopes its idempotency keys, orders and limits), a
 * secret and a rate-limit tier. Configured as {@code clientId:secret:tier} entries separated by
 * commas; tiers are {@code free}, {@code pro} and {@code internal} (for trusted services and load
 * tests). Secrets are held by an {@link ApiKeyRing}: digests only, compared in constant time.
 */
public final class ApiClients {

    /** An authenticated caller. */
    public record Client(String id, Tier tier) {}

    private final ApiKeyRing<Client> keys;
    private final Map<String, Client> byId;
    private final EdgeSignature edge;

    private ApiClients(ApiKeyRing<Client> keys, Map<String, Client> byId, EdgeSignature edge) {
        this.keys = keys;
        this.byId = Map.copyOf(byId);
        this.edge = edge;
    }

    /** These clients, also reachable through the edge worker whose identity headers {@code edge} verifies. */
    public ApiClients trustingEdge(EdgeSignature edge) {
        return new ApiClients(keys, byId, edge);
    }

    public static ApiClients parse(String value, String configKey) {
        ApiKeyRing<Client> keys = new ApiKeyRing<>();
        Map<String, Client> byId = new HashMap<>();
        int index = 0;
        for (String raw : value == null ? new String[0] : value.split(",")) {
            if (raw.isBlank()) {
                continue;
            }
            index++;
            String[] parts = raw.trim().split(":", -1);
            if (parts.length != 3 || !parts[0].matches("[A-Za-z0-9._-]{1,64}") || parts[1].length() < 8) {
                throw new IllegalArgumentException(configKey + ": entry " + index
                        + " must be clientId:secret:tier with a secret of at least 8 characters");
            }
            Tier tier = tier(parts[2])
                    .orElseThrow(() -> new IllegalArgumentException(configKey + ": entry " + parts[0]
                            + " has unknown tier '" + parts[2] + "' (free, pro, internal)"));
            Client client = new Client(parts[0], tier);
            if (byId.putIfAbsent(parts[0], client) != null) {
                throw new IllegalArgumentException(configKey + ": client '" + parts[0] + "' appears twice");
            }
            keys.add(parts[1], client);
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(configKey + " must list at least one client (clientId:secret:tier)");
        }
        return new ApiClients(keys, byId, null);
    }

    static Optional<Tier> tier(String name) {
        return switch (name) {
            case "free" -> Optional.of(Tier.free());
            case "pro" -> Optional.of(Tier.pro());
            case "internal" ->
                Optional.of(new Tier("internal", List.of(Limit.of("per-second", 20_000, Duration.ofSeconds(1)))));
            default -> Optional.empty();
        };
    }

    /** The client presenting {@code Authorization: Bearer <secret>} or {@code X-API-Key: <secret>}. */
    public Optional<Client> authenticate(Map<String, String> headers) {
        return keys.authenticate(headers);
    }

    /**
     * The client making this request, allowed {@code scope}: by the edge's signed identity when the
     * request carries one (and the edge is trusted), else by API key.
     *
     * @throws ApiProblem 401 {@code unauthenticated} / {@code invalid-edge-signature}, 403
     *     {@code unknown-client} / {@code insufficient-scope}
     */
    public Client authenticate(HttpExchange exchange, String scope) {
        EdgeSignature.Verdict verdict = edge == null ? new EdgeSignature.Absent() : edge.verify(exchange);
        if (verdict instanceof EdgeSignature.Invalid invalid) {
            throw new ApiProblem(
                    401, "invalid-edge-signature", "The edge identity does not verify: " + invalid.reason());
        }
        if (verdict instanceof EdgeSignature.Verified verified) {
            EdgeSignature.Identity identity = verified.identity();
            Client client = byId.get(identity.client());
            if (client == null) {
                throw new ApiProblem(
                        403,
                        "unknown-client",
                        "The token names client '" + identity.client() + "', which is not a client of this API");
            }
            if (!identity.hasScope(scope)) {
                throw new ApiProblem(403, "insufficient-scope", "The token lacks the scope " + scope);
            }
            return client;
        }
        return keys.authenticate(ApiKeyRing.credentialHeaders(exchange))
                .orElseThrow(() -> new ApiProblem(
                        401,
                        "unauthenticated",
                        "Send a valid API key as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'",
                        Map.of("WWW-Authenticate", "Bearer realm=\"bulwark-orders\"")));
    }
}
