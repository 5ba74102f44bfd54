package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The token bucket against the {@link RateLimiterContract}, and what is particular to it. */
class TokenBucketLimiterTest extends RateLimiterContract {

    @Override
    RateLimiter create(StatefulRedisConnection<String, String> connection, String prefix) {
        return new TokenBucketLimiter(connection, prefix, Duration.ofSeconds(2));
    }

    @Override
    int capacitiesPerWindow() {
        return 2;
    }

    private TokenBucketLimiter buckets() {
        return (TokenBucketLimiter) limiter;
    }

    @Test
    void shouldCountRemainingTokensAndRefillOneTokenAtATime() {
        Limit hourly = Limit.of("per-hour", 5, Duration.ofHours(1));
        for (int i = 0; i < 5; i++) {
            RateLimitDecision d = limiter.decide(key, List.of(hourly), 1);
            assertThat(d.allowed()).isTrue();
            assertThat(d.remaining()).isEqualTo(4 - i);
        }
        RateLimitDecision refused = limiter.decide(key, List.of(hourly), 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.remaining()).isZero();
        assertThat(refused.retryAfter()).isBetween(Duration.ofMinutes(11), Duration.ofMinutes(12)); // 1 token = 12 min
        assertThat(refused.reset()).isBetween(Duration.ofMinutes(59), Duration.ofMinutes(60));
    }

    @Test
    void shouldCheckAndConsumeTieredLimitsAllOrNone() {
        Limit small = Limit.of("burst", 3, Duration.ofHours(1));
        Limit large = Limit.of("hourly", 5, Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.decide(key, List.of(small, large), 1).allowed()).isTrue();
        }
        RateLimitDecision refused = limiter.decide(key, List.of(small, large), 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.limit()).isEqualTo(small);
        // The refused request took nothing from the larger limit: 2 left there.
        assertThat(limiter.decide(key, List.of(large), 1).remaining()).isEqualTo(1);
    }

    @Test
    void shouldLimitTiersSeparately() {
        for (int i = 0; i < 10; i++) {
            assertThat(buckets().decide(key, Tier.free(), 1).allowed()).isTrue();
        }
        RateLimitDecision refused = buckets().decide(key, Tier.free(), 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.limit().name()).isEqualTo("per-second");
        assertThat(buckets().decide(key, Tier.pro(), 1).allowed())
                .as("pro buckets are its own")
                .isTrue();
    }

    @Test
    void shouldNeverAdmitMoreThanCapacityPlusRefillUnder32ConcurrentCallers() throws Exception {
        Limit limit = new Limit("per-second", 50, 100, Duration.ofSeconds(1));
        AtomicLong admitted = new AtomicLong();
        AtomicLong first = new AtomicLong(Long.MAX_VALUE);
        AtomicLong last = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(32);
        long stopAt = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        List<Future<?>> callers = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
            callers.add(pool.submit(() -> {
                while (System.nanoTime() < stopAt) {
                    RateLimitDecision d = limiter.decide(key, List.of(limit), 1);
                    first.accumulateAndGet(d.serverTimeMicros(), Math::min);
                    last.accumulateAndGet(d.serverTimeMicros(), Math::max);
                    if (d.allowed()) {
                        admitted.incrementAndGet();
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : callers) {
            f.get();
        }
        pool.shutdown();
        double elapsedSeconds = (last.get() - first.get()) / 1e6;
        long bound = limit.capacity() + (long) Math.floor(limit.refillTokens() * elapsedSeconds);
        assertThat(admitted.get())
                .as("admitted in %.3f s of server time", elapsedSeconds)
                .isLessThanOrEqualTo(bound);
        assertThat(admitted.get()).as("and the limiter does admit").isGreaterThan(limit.capacity());
    }

    @Test
    void shouldRefuseImpossibleRequestsAndUnsafeLimits() {
        Limit limit = Limit.of("small", 2, Duration.ofSeconds(1));
        assertThatThrownBy(() -> limiter.decide(key, List.of(limit), 3)).hasMessageContaining("could never pass");
        assertThatThrownBy(() -> limiter.decide(key, List.of(), 1)).hasMessageContaining("At least one limit");
        assertThatThrownBy(() -> Limit.of("huge", 1_000_000_000L, Duration.ofDays(1)))
                .hasMessageContaining("2^53");
        assertThatThrownBy(() -> Limit.of("Bad Name", 1, Duration.ofSeconds(1))).hasMessageContaining("lower-case");
    }

    @Test
    void shouldRenderDraftHeaders() {
        Limit limit = Limit.of("per-second", 10, Duration.ofSeconds(1));
        RateLimitDecision refused =
                new RateLimitDecision(false, limit, 0, Duration.ofMillis(100), Duration.ofMillis(1000), 0, false);
        assertThat(RateLimitHeaders.of(refused))
                .containsEntry("RateLimit-Policy", "\"per-second\";q=10;w=1")
                .containsEntry("RateLimit", "\"per-second\";r=0;t=1")
                .containsEntry("Retry-After", "1");
    }
}
