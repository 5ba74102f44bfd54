package io.bulwark.guard.ratelimit;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A named set of limits checked and consumed together ({@link TokenBucketLimiter#decide(String, Tier, int)}):
 * a request passes only if every limit has room, and then takes from all of them.
 */
public record Tier(String name, List<Limit> limits) {

    public Tier {
        Objects.requireNonNull(name, "name");
        limits = List.copyOf(limits);
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("Tier '" + name + "' needs at least one limit");
        }
        if (limits.stream().map(Limit::name).distinct().count() != limits.size()) {
            throw new IllegalArgumentException("Tier '" + name + "' has two limits with one name");
        }
    }

    /** 10 requests per second and 1,000 per hour. */
    public static Tier free() {
        return new Tier("free", List.of(Limit.of("per-second", 10, Duration.ofSeconds(1)),
                Limit.of("per-hour", 1_000, Duration.ofHours(1))));
    }

    /** 100 requests per second and 100,000 per hour. */
    public static Tier pro() {
        return new Tier("pro", List.of(Limit.of("per-second", 100, Duration.ofSeconds(1)),
                Limit.of("per-hour", 100_000, Duration.ofHours(1))));
    }
}
