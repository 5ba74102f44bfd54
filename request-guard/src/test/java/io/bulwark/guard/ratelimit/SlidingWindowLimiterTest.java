package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class SlidingWindowLimiterTest {

    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private SlidingWindowLimiter limiter;
    private final String key = "client-" + UUID.randomUUID();

    @BeforeEach
    void setUp(RedisService redis) {
        client = RedisClient.create(redis.uri());
        connection = client.connect();
        limiter = new SlidingWindowLimiter(connection, "test:", Duration.ofSeconds(2));
    }

    @AfterEach
    void tearDown() {
        connection.close();
        client.shutdown();
    }

    @Test
    void shouldNeverAdmitMoreThanTheLimitInAnyWindowUnder32ConcurrentCallers() throws Exception {
        Limit limit = Limit.of("per-200ms", 20, Duration.ofMillis(200));
        List<Long> admittedAt = hammer((k, l) -> limiter.log(k, l, 1), limit);
        long window = limit.periodMicros();
        Collections.sort(admittedAt);
        for (int i = 0; i + limit.capacity() < admittedAt.size(); i++) {
            // any limit+1 admissions span at least one window: the window is (now - W, now]
            assertThat(admittedAt.get(i + (int) limit.capacity()) - admittedAt.get(i))
                    .as("admissions %d..%d", i, i + limit.capacity()).isGreaterThanOrEqualTo(window);
        }
        assertThat((long) admittedAt.size()).as("and it does admit, window after window").isGreaterThan(3 * limit.capacity());
    }

    @Test
    void shouldRefuseOverTheLogLimitWithRetryAfter() {
        Limit limit = Limit.of("per-hour", 3, Duration.ofHours(1));
        for (int i = 0; i < 3; i++) {
            assertThat(limiter.log(key, limit, 1).allowed()).isTrue();
        }
        RateLimitDecision refused = limiter.log(key, limit, 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
        assertThat(connection.sync().zcard("test:swl:{" + key + "}:per-hour")).as("refusals are not logged").isEqualTo(3);
    }

    @Test
    void shouldApproximateWithTheCounterWithinItsBound() throws Exception {
        Limit limit = Limit.of("per-200ms", 20, Duration.ofMillis(200));
        List<Long> admittedAt = hammer((k, l) -> limiter.counter(k, l, 1), limit);
        Collections.sort(admittedAt);
        long window = limit.periodMicros();
        // The weighted estimate never lets a fixed window take more than the limit, so any sliding
        // window holds at most twice the limit.
        for (int i = 0; i + 2 * limit.capacity() < admittedAt.size(); i++) {
            assertThat(admittedAt.get(i + 2 * (int) limit.capacity()) - admittedAt.get(i)).isGreaterThanOrEqualTo(window);
        }
        assertThat((long) admittedAt.size()).isGreaterThan(3 * limit.capacity());
    }

    @Test
    void shouldRefuseOverTheCounterLimitInOneWindow() {
        Limit limit = Limit.of("per-hour", 2, Duration.ofHours(1));
        assertThat(limiter.counter(key, limit, 1).allowed()).isTrue();
        assertThat(limiter.counter(key, limit, 1).allowed()).isTrue();
        RateLimitDecision refused = limiter.counter(key, limit, 1);
        assertThat(refused.allowed()).isFalse();
        assertThat(refused.retryAfter()).isPositive();
        assertThat(connection.sync().keys("*" + key + "*")).as("one key, declared in KEYS (Redis Cluster safe)")
                .hasSize(1).allSatisfy(k -> assertThat(connection.sync().pttl(k)).isPositive());
    }

    /** 32 callers for 2 s; returns the server times (µs) of the admitted calls. */
    private List<Long> hammer(BiFunction<String, Limit, RateLimitDecision> call, Limit limit) throws Exception {
        List<Long> admittedAt = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(32);
        long stopAt = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        List<Future<?>> callers = new ArrayList<>();
        for (int t = 0; t < 32; t++) {
            callers.add(pool.submit(() -> {
                while (System.nanoTime() < stopAt) {
                    RateLimitDecision d = call.apply(key, limit);
                    if (d.allowed()) {
                        admittedAt.add(d.serverTimeMicros());
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : callers) {
            f.get();
        }
        pool.shutdown();
        return new ArrayList<>(admittedAt);
    }
}
