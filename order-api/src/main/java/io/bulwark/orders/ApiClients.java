package io.bulwark.orders;

import io.bulwark.guard.ratelimit.Limit;
import io.bulwark.guard.ratelimit.Tier;
import io.bulwark.http.ApiKeyRing;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
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

    private ApiClients(ApiKeyRing<Client> keys) {
        this.keys = keys;
    }

    public static ApiClients parse(String value, String configKey) {
        ApiKeyRing<Client> keys = new ApiKeyRing<>();
        Set<String> ids = new HashSet<>();
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
            Tier tier = tier(parts[2]).orElseThrow(() -> new IllegalArgumentException(configKey + ": entry "
                    + parts[0] + " has unknown tier '" + parts[2] + "' (free, pro, internal)"));
            if (!ids.add(parts[0])) {
                throw new IllegalArgumentException(configKey + ": client '" + parts[0] + "' appears twice");
            }
            keys.add(parts[1], new Client(parts[0], tier));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(configKey + " must list at least one client (clientId:secret:tier)");
        }
        return new ApiClients(keys);
    }

    static Optional<Tier> tier(String name) {
        return switch (name) {
            case "free" -> Optional.of(Tier.free());
            case "pro" -> Optional.of(Tier.pro());
            case "internal" -> Optional.of(new Tier("internal", List.of(
                    Limit.of("per-second", 20_000, Duration.ofSeconds(1)))));
            default -> Optional.empty();
        };
    }

    /** The client presenting {@code Authorization: Bearer <secret>} or {@code X-API-Key: <secret>}. */
    public Optional<Client> authenticate(Map<String, String> headers) {
        return keys.authenticate(headers);
    }
}
