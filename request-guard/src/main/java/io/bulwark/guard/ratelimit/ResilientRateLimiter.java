package io.bulwark.guard.ratelimit;

import io.bulwark.guard.redis.RedisCallFailedException;
import io.bulwark.guard.resilience.BreakerTransitions;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * A {@link RateLimiter} (token bucket or sliding window) behind a circuit breaker, with an explicit answer for when Redis
 * cannot be asked: {@link FailurePolicy#FAIL_OPEN} admits (availability first),
 * {@link FailurePolicy#FAIL_CLOSED} refuses (protection first). Either way the decision is marked
 * {@code degraded} and counted in {@code bulwark.ratelimit.degraded{policy}}. While the breaker is
 * open no request waits for Redis at all; a dead Redis costs a request at most one command timeout.
 * The breaker's transitions are logged and counted in {@code bulwark.ratelimit.breaker.transitions}.
 */
public final class ResilientRateLimiter {

    /** What to answer when Redis is unreachable. */
    public enum FailurePolicy {
        FAIL_OPEN,
        FAIL_CLOSED
    }

    private final RateLimiter limiter;
    private final FailurePolicy policy;
    private final CircuitBreaker breaker;
    private final Counter degraded;

    public ResilientRateLimiter(
            RateLimiter limiter, FailurePolicy policy, CircuitBreaker breaker, MeterRegistry registry) {
        this.limiter = Objects.requireNonNull(limiter, "limiter");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.breaker = BreakerTransitions.publish(
                Objects.requireNonNull(breaker, "breaker"),
                "rate limiter's Redis",
                "bulwark.ratelimit.breaker.transitions",
                registry);
        this.degraded = Counter.builder("bulwark.ratelimit.degraded")
                .description("Decisions made by the failure policy because Redis could not be asked")
                .tag("policy", policy.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    /**
     * A breaker that opens when half of the last 20 calls failed, stays open 5 s, then lets 3 trial
     * calls through. Only Redis failures count; a refusal is a successful call.
     */
    public static CircuitBreaker defaultBreaker(String name) {
        return CircuitBreaker.of(
                name,
                CircuitBreakerConfig.custom()
                        .slidingWindowSize(20)
                        .minimumNumberOfCalls(5)
                        .failureRateThreshold(50)
                        .waitDurationInOpenState(Duration.ofSeconds(5))
                        .permittedNumberOfCallsInHalfOpenState(3)
                        .recordExceptions(RedisCallFailedException.class)
                        .build());
    }

    public RateLimitDecision decide(String key, List<Limit> limits, int cost) {
        try {
            return breaker.executeSupplier(() -> limiter.decide(key, limits, cost));
        } catch (CallNotPermittedException | RedisCallFailedException e) {
            degraded.increment();
            Limit first = limits.get(0);
            boolean allowed = policy == FailurePolicy.FAIL_OPEN;
            return new RateLimitDecision(
                    allowed,
                    first,
                    allowed ? first.capacity() : 0,
                    allowed ? Duration.ZERO : first.period(),
                    first.period(),
                    System.currentTimeMillis() * 1_000,
                    true);
        }
    }

    public CircuitBreaker.State breakerState() {
        return breaker.getState();
    }
}
