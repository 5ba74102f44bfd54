package io.bulwark.guard.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class RedisScriptTest {

    private static final RedisScript<Long> INCR_BY =
            RedisScript.ofInteger("incr-by", "return redis.call('INCRBY', KEYS[1], ARGV[1])");

    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> redis;

    @BeforeEach
    void connect(RedisService server) {
        client = RedisClient.create(server.uri());
        connection = client.connect();
        redis = connection.sync();
    }

    @AfterEach
    void disconnect() {
        connection.close();
        client.shutdown();
    }

    @Test
    void shouldComputeTheSameShaAsRedis() {
        assertThat(redis.scriptLoad("return redis.call('INCRBY', KEYS[1], ARGV[1])"))
                .isEqualTo(INCR_BY.sha());
    }

    @Test
    void shouldLoadScriptOnFirstUseAndRunItBySha() {
        String key = "script-test:" + UUID.randomUUID();
        assertThat(INCR_BY.run(redis, new String[] {key}, "3")).isEqualTo(3L);
        assertThat(redis.scriptExists(INCR_BY.sha())).containsExactly(true);
        assertThat(INCR_BY.run(redis, new String[] {key}, "4")).isEqualTo(7L);
    }

    @Test
    void shouldReloadScriptAfterServerForgetsIt() {
        String key = "script-test:" + UUID.randomUUID();
        INCR_BY.run(redis, new String[] {key}, "1");
        redis.scriptFlush();
        assertThat(redis.scriptExists(INCR_BY.sha())).containsExactly(false);

        assertThat(INCR_BY.run(redis, new String[] {key}, "1")).isEqualTo(2L);
    }
}
