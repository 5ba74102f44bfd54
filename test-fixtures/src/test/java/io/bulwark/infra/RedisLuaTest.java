package io.bulwark.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class RedisLuaTest {

    private static final String INCR_BY_ARG = "return redis.call('INCRBY', KEYS[1], ARGV[1])";

    @Test
    void shouldRunLuaScriptByShaAfterScriptLoad(RedisService redis) {
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            RedisCommands<String, String> commands = connection.sync();
            String sha = commands.scriptLoad(INCR_BY_ARG);
            assertThat(commands.scriptExists(sha)).containsExactly(true);

            String key = "lua-test:" + UUID.randomUUID();
            Long first = commands.evalsha(sha, ScriptOutputType.INTEGER, new String[] {key}, "5");
            Long second = commands.evalsha(sha, ScriptOutputType.INTEGER, new String[] {key}, "7");

            assertThat(first).isEqualTo(5L);
            assertThat(second).isEqualTo(12L);
            assertThat(commands.get(key)).isEqualTo("12");
        } finally {
            client.shutdown();
        }
    }
}
