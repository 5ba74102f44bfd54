package io.bulwark.guard.ratelimit;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A named set of token-bucket limits checked and consumed together
 * ({@link TokenBucketLimiter#decide(String, Tier, int)}): a request passes only if every limit has room,
 * and then takes from all of them; plus an optional strict {@code quota} over a longer period, kept by
 * the exact sliding window ({@link SlidingWindowLimiter}) — a bucket refills continuously and so lets a
 * client spend its hour at any pace, a sliding log counts exactly what the last hour admitted.
 */
public record Tier(String name, List<Limit> limits, Limit quota) {

    public Tier(String name, List<Limit> limits) {
        this(name, limits, null);
    }

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

    /** A bucket of 10 requests per second and a quota of 1,000 in any hour. */
    public static Tier free() {
        return new Tier(
                "free",
                List.of(Limit.of("per-second", 10, Duration.ofSeconds(1))),
                Limit.of("per-hour", 1_000, Duration.ofHours(1)));
    }

    /** A bucket of 100 requests per second and a quota of 100,000 in any hour. */
    public static Tier pro() {
        return new Tier(
                "pro",
                List.of(Limit.of("per-second", 100, Duration.ofSeconds(1))),
                Limit.of("per-hour", 100_000, Duration.ofHours(1)));
    }
}
