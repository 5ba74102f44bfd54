package io.bulwark.orders;

import io.bulwark.guard.ratelimit.Limit;
import io.bulwark.guard.ratelimit.Tier;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The API's clients: each has an id (which scopes its idempotency keys, orders and limits), a
 * secret and a rate-limit tier. Configured as {@code clientId:secret:tier} entries separated by
 * commas; tiers are {@code free}, {@code pro} and {@code internal} (for trusted services and load
 * tests). Secrets are kept as SHA-256 digests and compared in constant time.
 */
public final class ApiClients {

    /** An authenticated caller. */
    public record Client(String id, Tier tier) {}

    private record Entry(Client client, byte[] digest) {}

    private final List<Entry> entries;

    private ApiClients(List<Entry> entries) {
        this.entries = List.copyOf(entries);
    }

    public static ApiClients parse(String value, String configKey) {
        List<Entry> entries = new ArrayList<>();
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
            if (entries.stream().anyMatch(e -> e.client().id().equals(parts[0]))) {
                throw new IllegalArgumentException(configKey + ": client '" + parts[0] + "' appears twice");
            }
            entries.add(new Entry(new Client(parts[0], tier), sha256(parts[1])));
        }
        if (entries.isEmpty()) {
            throw new IllegalArgumentException(configKey + " must list at least one client (clientId:secret:tier)");
        }
        return new ApiClients(entries);
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
        String secret = null;
        String authorization = headers.get("Authorization");
        if (authorization != null && authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            secret = authorization.substring(7).trim();
        } else if (headers.get("X-API-Key") != null) {
            secret = headers.get("X-API-Key").trim();
        }
        if (secret == null || secret.isEmpty()) {
            return Optional.empty();
        }
        byte[] digest = sha256(secret);
        Client match = null;
        for (Entry entry : entries) {
            if (MessageDigest.isEqual(entry.digest(), digest)) {
                match = entry.client();
            }
        }
        return Optional.ofNullable(match);
    }

    private static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
