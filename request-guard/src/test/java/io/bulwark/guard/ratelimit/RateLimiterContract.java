package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * What every {@link RateLimiter} promises, run against each implementation (one subclass per algorithm)
 * on a real Redis: a burst up to the limit passes and the next request is refused with a wait; keys do
 * not share allowances; a cost no request could ever pay is an error; every key it writes expires; and
 * under 32 concurrent callers no window of one period admits more than the algorithm's bound.
 */
@ExtendWith(SharedInfraExtension.class)
abstract class RateLimiterContract {

    protected static final String PREFIX = "contract:";

    protected RedisClient client;
    protected StatefulRedisConnection<String, String> connection;
    protected RateLimiter limiter;
    protected final String key = "client-" + UUID.randomUUID();

    /** The limiter under test, keeping its keys under {@code prefix}. */
    abstract RateLimiter create(StatefulRedisConnection<String, String> connection, String prefix);

    /**
     * How many times a limit's capacity one window of its period may admit at most: 1 for an exact window;
     * 2 for the weighted counter (the previous window's estimate) and the token bucket (a full bucket, then
     * the period's refill).
     */
    abstract int capacitiesPerWindow();

    @BeforeEach
    void connect(RedisService redis) {
        client = RedisClient.create(redis.uri());
        connection = client.connect();
        limiter = create(connection, PREFIX);
    }

    @AfterEach
    void disconnect() {
        connection.close();
        client.shutdown();
    }

    @Test
    void shouldAdmitABurstUpToTheLimitThenRefuseWithAWaitWithinThePeriod() {
        Limit hourly = Limit.of("per-hour", 5, Duration.ofHours(1));
        for (int i = 0; i < 5; i++) {
            assertThat(limiter.decide(key, List.of(hourly), 1).allowed())
                    .as("request %d", i + 1)
                    .isTrue();
        }
        RateLimitDecision refused = limiter.decide(key, List.of(hourly), 1);

        assertThat(refused.allowed()).isFalse();
        assertThat(refused.limit()).isEqualTo(hourly);
        assertThat(refused.remaining()).isZero();
        assertThat(refused.retryAfter()).isPositive().isLessThanOrEqualTo(Duration.ofHours(1));
        assertThat(refused.degraded()).isFalse();
    }

    @Test
    void shouldKeepEachKeysAllowanceItsOwn() {
        Limit limit = Limit.of("per-hour", 2, Duration.ofHours(1));
        limiter.decide(key, List.of(limit), 1);
        limiter.decide(key, List.of(limit), 1);

        assertThat(limiter.decide(key, List.of(limit), 1).allowed()).isFalse();
        assertThat(limiter.decide(key + "-other", List.of(limit), 1).allowed()).isTrue();
    }

    @Test
    void shouldRefuseACostNoRequestCouldEverPay() {
        Limit limit = Limit.of("small", 2, Duration.ofSeconds(1));

        assertThatThrownBy(() -> limiter.decide(key, List.of(limit), 3)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> limiter.decide(key, List.of(limit), 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shouldLetEveryKeyItWritesExpire() {
        limiter.decide(key, List.of(Limit.of("per-minute", 3, Duration.ofMinutes(1))), 1);
        limiter.decide(key, List.of(Limit.of("per-minute", 3, Duration.ofMinutes(1))), 1);

        List<String> written = connection.sync().keys(PREFIX + "*" + key + "*");
        assertThat(written)
                .isNotEmpty()
                .allSatisfy(k -> assertThat(connection.sync().pttl(k))
                        .as("time to live of %s", k)
                        .isPositive()
                        .isLessThanOrEqualTo(Duration.ofMinutes(2).toMillis()));
    }

    @Test
    void shouldNeverAdmitMoreThanItsBoundInAnyWindowUnder32ConcurrentCallers() throws Exception {
        Limit limit = Limit.of("per-200ms", 20, Duration.ofMillis(200));
        List<Long> admittedAt = admissionsUnderLoad(limit, 32, Duration.ofSeconds(2));
        int bound = capacitiesPerWindow() * (int) limit.capacity();

        Collections.sort(admittedAt);
        for (int i = 0; i + bound < admittedAt.size(); i++) {
            // any bound + 1 admissions span at least one window: a window is (now - period, now]
            assertThat(admittedAt.get(i + bound) - admittedAt.get(i))
                    .as("admissions %d..%d", i, i + bound)
                    .isGreaterThanOrEqualTo(limit.periodMicros());
        }
        assertThat((long) admittedAt.size())
                .as("and it does admit, window after window")
                .isGreaterThan(3 * limit.capacity());
    }

    /** {@code callers} threads asking for {@code duration}; the Redis server times (µs) of the admitted calls. */
    protected List<Long> admissionsUnderLoad(Limit limit, int callers, Duration duration) throws Exception {
        List<Long> admittedAt = Collections.synchronizedList(new ArrayList<>());
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        long stopAt = System.nanoTime() + duration.toNanos();
        List<Future<?>> running = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            running.add(pool.submit(() -> {
                while (System.nanoTime() < stopAt) {
                    RateLimitDecision d = limiter.decide(key, List.of(limit), 1);
                    if (d.allowed()) {
                        admittedAt.add(d.serverTimeMicros());
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : running) {
            f.get();
        }
        pool.shutdown();
        return new ArrayList<>(admittedAt);
    }
}
