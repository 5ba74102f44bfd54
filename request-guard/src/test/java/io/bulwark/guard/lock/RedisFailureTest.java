package io.bulwark.guard.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bulwark.guard.GuardMigrations;
import io.bulwark.guard.fencing.FenceGuard;
import io.bulwark.guard.fencing.PostgresFencingTokens;
import io.bulwark.guard.fencing.StaleFencingTokenException;
import io.bulwark.infra.EmbeddedRedisServer;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.postgresql.ds.PGSimpleDataSource;

/** Locks when their Redis server stops or comes back empty; each test owns its server. */
@ExtendWith(SharedInfraExtension.class)
class RedisFailureTest {

    @Test
    void shouldSignalLeaseLostWhenRedisStopsMidWork(@TempDir Path dir) throws Exception {
        EmbeddedRedisServer server = EmbeddedRedisServer.builder(dir).build().start();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + server.port());
        try (StatefulRedisConnection<String, String> connection = client.connect();
                RedisLocks locks = new RedisLocks(connection, RedisLockConfig.withTtl(Duration.ofMillis(300)));
                Lease lease = locks.acquire("work")) {
            server.close(); // mid-work

            await().atMost(Duration.ofSeconds(5)).until(() -> lease.lost().isDone());
            assertThat(lease.isHeld()).isFalse();
            assertThat(lease.lost().get()).contains("work");
        } finally {
            server.close();
            client.shutdown();
        }
    }

    @Test
    void shouldFenceStaleHolderEvenAfterRedisComesBackEmptyWithDurableTokens(
            PostgresService postgres, @TempDir Path dir) throws Exception {
        String schema =
                "durable_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        GuardMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), schema);
        PGSimpleDataSource dataSource = new PGSimpleDataSource();
        dataSource.setURL(postgres.jdbcUrl());
        dataSource.setUser(postgres.username());
        dataSource.setPassword(postgres.password());
        PostgresFencingTokens tokens = new PostgresFencingTokens(dataSource, schema);
        FenceGuard fence = new FenceGuard(schema);

        EmbeddedRedisServer first =
                EmbeddedRedisServer.builder(dir.resolve("a")).build().start();
        int port = first.port();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
        EmbeddedRedisServer second = null;
        try (StatefulRedisConnection<String, String> connection = client.connect();
                RedisLocks locks = new RedisLocks(
                        connection,
                        RedisLockConfig.withTtl(Duration.ofSeconds(10)).watchdog(false),
                        tokens)) {
            Lease before = locks.tryAcquire("ledger").orElseThrow();
            write(postgres, fence, before.fencingToken());

            first.close(); // the server dies and comes back with none of its data: the lock is gone
            second = EmbeddedRedisServer.builder(dir.resolve("b"))
                    .port(port)
                    .build()
                    .start();
            Lease after = await().atMost(Duration.ofSeconds(10))
                    .ignoreExceptions()
                    .until(() -> locks.tryAcquire("ledger"), Optional::isPresent)
                    .orElseThrow();

            assertThat(after.fencingToken())
                    .as("the durable sequence kept counting")
                    .isGreaterThan(before.fencingToken());
            write(postgres, fence, after.fencingToken());
            assertThatThrownBy(() -> write(postgres, fence, before.fencingToken()))
                    .isInstanceOf(StaleFencingTokenException.class);
        } finally {
            first.close();
            if (second != null) {
                second.close();
            }
            client.shutdown();
        }
    }

    private static void write(PostgresService postgres, FenceGuard fence, long token) throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            try {
                fence.check(c, "ledger", token);
                c.commit();
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }
}
