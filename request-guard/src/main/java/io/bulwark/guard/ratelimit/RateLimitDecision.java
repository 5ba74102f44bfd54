package io.bulwark.guard.ratelimit;

import java.time.Duration;

/**
 * The answer for one request.
 *
 * @param allowed whether the request may proceed (tokens were taken from every limit)
 * @param limit the binding limit: the one that refused, or the one with the fewest tokens left
 * @param remaining whole tokens left in the binding limit
 * @param retryAfter when a refused request could succeed ({@link Duration#ZERO} when allowed)
 * @param reset when the binding limit is full again
 * @param serverTimeMicros Redis server time of the decision (µs since the epoch)
 * @param degraded true when Redis could not be asked and the failure policy answered instead
 */
public record RateLimitDecision(
        boolean allowed,
        Limit limit,
        long remaining,
        Duration retryAfter,
        Duration reset,
        long serverTimeMicros,
        boolean degraded) {}
