package io.bulwark.guard.ratelimit;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A token-bucket limit: at most {@code capacity} tokens, refilled by {@code refillTokens} every
 * {@code period} (continuously, to the microsecond). "10 per second" is {@code of("per-second", 10,
 * Duration.ofSeconds(1))}.
 *
 * <p>The Lua script keeps a bucket's level in exact integer units of {@code token × period in µs},
 * so {@code capacity × period(µs)} must stay below 2^53 (doubles are exact up to there): for example
 * 1,000,000 tokens per hour is fine, 10^9 per day is not.
 */
public record Limit(String name, long capacity, long refillTokens, Duration period) {

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,31}");
    private static final double EXACT = Math.pow(2, 53);

    public Limit {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(period, "period");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException(
                    "Limit name '" + name + "' must be lower-case letters, digits, '_', '-'");
        }
        if (capacity < 1 || refillTokens < 1) {
            throw new IllegalArgumentException("Limit '" + name + "': capacity = " + capacity + " and refillTokens = "
                    + refillTokens + " must be at least 1");
        }
        if (period.toNanos() < 1_000) {
            throw new IllegalArgumentException("Limit '" + name + "': period = " + period + " must be at least 1 µs");
        }
        if ((double) capacity * periodMicros(period) >= EXACT) {
            throw new IllegalArgumentException(
                    "Limit '" + name + "': capacity × period = " + capacity + " × " + period
                            + " exceeds 2^53 µs-tokens, beyond exact arithmetic in Redis Lua; use a shorter period or fewer tokens");
        }
    }

    /** {@code tokens} per {@code period}, bursting up to {@code tokens}. */
    public static Limit of(String name, long tokens, Duration period) {
        return new Limit(name, tokens, tokens, period);
    }

    long periodMicros() {
        return periodMicros(period);
    }

    private static long periodMicros(Duration period) {
        return period.toNanos() / 1_000;
    }
}
