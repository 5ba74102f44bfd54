package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Both kinds of sliding window, each against the {@link RateLimiterContract}, and what is particular to each. */
class SlidingWindowLimiterTest {

    @Nested
    class Log extends RateLimiterContract {

        @Override
        RateLimiter create(StatefulRedisConnection<String, String> connection, String prefix) {
            return new SlidingWindowLimiter(connection, prefix, Duration.ofSeconds(2), SlidingWindowLimiter.Kind.LOG);
        }

        @Override
        int capacitiesPerWindow() {
            return 1;
        }

        @Test
        void shouldNotLogRefusals() {
            Limit limit = Limit.of("per-hour", 3, Duration.ofHours(1));
            for (int i = 0; i < 5; i++) {
                limiter.decide(key, List.of(limit), 1);
            }
            assertThat(connection.sync().zcard(PREFIX + "swl:{" + key + "}:per-hour"))
                    .isEqualTo(3);
        }

        @Test
        void shouldWaitForTheOldestAdmissionToLeaveTheWindow() {
            Limit limit = Limit.of("per-hour", 3, Duration.ofHours(1));
            for (int i = 0; i < 3; i++) {
                limiter.decide(key, List.of(limit), 1);
            }
            assertThat(limiter.decide(key, List.of(limit), 1).retryAfter())
                    .isBetween(Duration.ofMinutes(59), Duration.ofMinutes(61));
        }
    }

    @Nested
    class Counter extends RateLimiterContract {

        @Override
        RateLimiter create(StatefulRedisConnection<String, String> connection, String prefix) {
            return new SlidingWindowLimiter(
                    connection, prefix, Duration.ofSeconds(2), SlidingWindowLimiter.Kind.COUNTER);
        }

        @Override
        int capacitiesPerWindow() {
            return 2;
        }

        @Test
        void shouldKeepOneKeyDeclaredInKeysPerLimit() {
            Limit limit = Limit.of("per-hour", 2, Duration.ofHours(1));
            for (int i = 0; i < 3; i++) {
                limiter.decide(key, List.of(limit), 1);
            }
            assertThat(connection.sync().keys("*" + key + "*"))
                    .as("one key (Redis Cluster safe)")
                    .containsExactly(PREFIX + "swc:{" + key + "}:per-hour");
        }
    }
}
