package io.bulwark.guard.ratelimit;

import java.util.List;

/**
 * Decides whether a request of {@code cost} may pass the {@code limits} of {@code key}, and takes what
 * it uses. Implemented by the token bucket ({@link TokenBucketLimiter}) and the exact sliding window
 * ({@link SlidingWindowLimiter}); {@link ResilientRateLimiter} puts either behind a breaker and a
 * failure policy.
 */
@FunctionalInterface
public interface RateLimiter {

    RateLimitDecision decide(String key, List<Limit> limits, int cost);
}
