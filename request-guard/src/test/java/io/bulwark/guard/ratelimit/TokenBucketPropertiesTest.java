package io.bulwark.guard.ratelimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.Infra;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * The Lua arithmetic against a reference model: with a refill far slower than the test (one token
 * an hour), every decision and every remaining count must equal a plain in-memory bucket's.
 */
class TokenBucketPropertiesTest {

    private static RedisService redis;
    private static RedisClient client;
    private static StatefulRedisConnection<String, String> connection;

    @BeforeContainer
    static void start() throws Exception {
        redis = Infra.selected().startRedis(Files.createTempDirectory("bucket-props"));
        client = RedisClient.create(redis.uri());
        connection = client.connect();
    }

    @AfterContainer
    static void stop() {
        connection.close();
        client.shutdown();
        redis.close();
    }

    @Property(tries = 100)
    void shouldDecideLikeTheReferenceBucket(
            @ForAll @IntRange(min = 1, max = 20) int capacity,
            @ForAll @Size(min = 1, max = 40) List<@IntRange(min = 1, max = 5) Integer> costs) {
        TokenBucketLimiter limiter = new TokenBucketLimiter(connection, "prop:", Duration.ofSeconds(2));
        Limit limit = new Limit("slow", capacity, 1, Duration.ofHours(1));
        String key = UUID.randomUUID().toString();
        long level = capacity; // the reference model
        for (int cost : costs) {
            if (cost > capacity) {
                continue;
            }
            boolean expected = cost <= level;
            if (expected) {
                level -= cost;
            }
            RateLimitDecision decision = limiter.decide(key, List.of(limit), cost);
            assertThat(decision.allowed()).isEqualTo(expected);
            assertThat(decision.remaining()).isEqualTo(level);
        }
    }
}
