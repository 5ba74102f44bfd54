package io.bulwark.guard.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.infra.EmbeddedRedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Redlock on five real, independent redis-server processes. */
class RedlockTest {

    private final List<EmbeddedRedisServer> servers = new ArrayList<>();
    private final List<RedisClient> clients = new ArrayList<>();
    private final List<StatefulRedisConnection<String, String>> connections = new ArrayList<>();

    @BeforeEach
    void startFive(@TempDir Path dir) {
        for (int i = 0; i < 5; i++) {
            EmbeddedRedisServer server =
                    EmbeddedRedisServer.builder(dir.resolve("r" + i)).build().start();
            servers.add(server);
            RedisClient client = RedisClient.create("redis://127.0.0.1:" + server.port());
            clients.add(client);
            connections.add(client.connect());
        }
    }

    @AfterEach
    void stopAll() {
        connections.forEach(StatefulRedisConnection::close);
        clients.forEach(RedisClient::shutdown);
        servers.forEach(EmbeddedRedisServer::close);
    }

    @Test
    void shouldAcquireWithTwoMastersDownAndFailWithinDeadlineWithThreeDown() throws Exception {
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofSeconds(2))
                .waitTimeout(Duration.ofMillis(500))
                .commandTimeout(Duration.ofMillis(100));
        Redlock redlock = new Redlock(connections, config);

        try (Redlock.RedlockLease lease = redlock.acquire("job")) {
            assertThat(lease.isValid()).isTrue();
            assertThat(redlock.tryAcquire("job"))
                    .as("held on a quorum: nobody else gets it")
                    .isEmpty();
        }

        servers.get(0).close();
        servers.get(1).close();
        try (Redlock.RedlockLease lease = redlock.acquire("job")) {
            assertThat(lease.isValid()).as("3 of 5 is a quorum").isTrue();
        }

        servers.get(2).close();
        long start = System.nanoTime();
        assertThatThrownBy(() -> redlock.acquire("job")).isInstanceOf(LockNotAcquiredException.class);
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        // the deadline (500 ms) plus at most one in-flight attempt (100 ms) and scheduling slack
        assertThat(took).isLessThan(Duration.ofSeconds(3));
    }

    @Test
    void shouldReleaseOnEveryMasterAfterFailingToReachQuorum() throws Exception {
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofSeconds(30)).commandTimeout(Duration.ofMillis(100));
        Redlock redlock = new Redlock(connections, config);
        // Someone else holds the key on three masters: we can win at most two.
        for (int i = 0; i < 3; i++) {
            connections.get(i).sync().set("bulwark:redlock:{contended}", "other");
        }
        assertThat(redlock.tryAcquire("contended")).isEmpty();
        for (int i = 3; i < 5; i++) {
            assertThat(connections.get(i).sync().exists("bulwark:redlock:{contended}"))
                    .as("the minority keys we took were released")
                    .isZero();
        }
        assertThat(connections.get(0).sync().get("bulwark:redlock:{contended}"))
                .as("others' keys untouched")
                .isEqualTo("other");
    }
}
