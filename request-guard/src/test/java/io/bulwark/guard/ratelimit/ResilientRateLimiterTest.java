package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.guard.ratelimit.ResilientRateLimiter.FailurePolicy;
import io.bulwark.infra.EmbeddedRedisServer;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** When Redis is gone: the configured policy answers, the breaker opens, and the metric counts. */
class ResilientRateLimiterTest {

    private static final List<Limit> LIMITS = List.of(Limit.of("per-second", 10, Duration.ofSeconds(1)));

    @Test
    void shouldFailOpenOrClosedAndOpenTheBreakerWhenRedisIsDown(@TempDir Path dir) {
        EmbeddedRedisServer server = EmbeddedRedisServer.builder(dir).build().start();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + server.port());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            TokenBucketLimiter limiter = new TokenBucketLimiter(connection, "res:", Duration.ofMillis(200));
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            CircuitBreaker breaker = ResilientRateLimiter.defaultBreaker("redis-open");
            ResilientRateLimiter open = new ResilientRateLimiter(limiter, FailurePolicy.FAIL_OPEN, breaker, registry);
            ResilientRateLimiter closed = new ResilientRateLimiter(
                    limiter, FailurePolicy.FAIL_CLOSED, ResilientRateLimiter.defaultBreaker("redis-closed"), registry);
            assertThat(open.decide("k", LIMITS, 1).degraded()).isFalse();

            server.close();

            RateLimitDecision admitted = open.decide("k", LIMITS, 1);
            assertThat(admitted.allowed()).isTrue();
            assertThat(admitted.degraded()).isTrue();
            RateLimitDecision refused = closed.decide("k", LIMITS, 1);
            assertThat(refused.allowed()).isFalse();
            assertThat(refused.degraded()).isTrue();

            for (int i = 0; i < 10 && open.breakerState() != CircuitBreaker.State.OPEN; i++) {
                open.decide("k", LIMITS, 1);
            }
            assertThat(open.breakerState()).isEqualTo(CircuitBreaker.State.OPEN);
            assertThat(registry.get("bulwark.ratelimit.breaker.transitions")
                            .tag("name", "redis-open")
                            .tag("from", "closed")
                            .tag("to", "open")
                            .counter()
                            .count())
                    .as("the opening is counted")
                    .isEqualTo(1.0);
            assertThat(open.decide("k", LIMITS, 1).allowed())
                    .as("answered without asking Redis")
                    .isTrue();
            assertThat(registry.get("bulwark.ratelimit.degraded")
                            .tag("policy", "fail_open")
                            .counter()
                            .count())
                    .isGreaterThanOrEqualTo(5);
        } finally {
            server.close();
            client.shutdown();
        }
    }
}
