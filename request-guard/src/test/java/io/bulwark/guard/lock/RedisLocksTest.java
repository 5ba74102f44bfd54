package io.bulwark.guard.lock;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bulwark.guard.GuardMigrations;
import io.bulwark.guard.fencing.FenceGuard;
import io.bulwark.guard.fencing.StaleFencingTokenException;
import io.bulwark.guard.redis.RedisCallFailedException;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class RedisLocksTest {

    private final List<RedisClient> clients = new ArrayList<>();
    private RedisService redis;
    private String resource;

    @BeforeEach
    void setUp(RedisService redis) {
        this.redis = redis;
        this.resource = "res-" + UUID.randomUUID();
    }

    @AfterEach
    void tearDown() {
        clients.forEach(RedisClient::shutdown);
    }

    @Test
    void shouldLoseNoUpdateWhen32ThreadsOnTwoClientsIncrementUnderTheLock() throws Exception {
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofSeconds(5))
                .waitTimeout(Duration.ofMinutes(2))
                .backoff(Duration.ofMillis(1), Duration.ofMillis(10));
        StatefulRedisConnection<String, String> first = connect();
        StatefulRedisConnection<String, String> second = connect();
        String counter = "counter:" + resource;
        int threads = 32;
        int total = 10_000;
        try (RedisLocks a = new RedisLocks(first, config);
                RedisLocks b = new RedisLocks(second, config)) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                RedisLocks locks = t % 2 == 0 ? a : b;
                StatefulRedisConnection<String, String> data = t % 2 == 0 ? first : second;
                int increments = total / threads + (t < total % threads ? 1 : 0);
                done.add(pool.submit(() -> {
                    for (int i = 0; i < increments; i++) {
                        try (Lease lease = locks.acquire(resource)) {
                            String value = data.sync().get(counter); // read-modify-write: only safe under the lock
                            data.sync().set(counter, Long.toString(value == null ? 1 : Long.parseLong(value) + 1));
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
        }
        assertThat(first.sync().get(counter)).isEqualTo(Integer.toString(total));
    }

    @Test
    void shouldNotDeleteAnotherOwnersLockWhenAnExpiredHolderReleases() throws Exception {
        RedisLockConfig shortLease =
                RedisLockConfig.withTtl(Duration.ofMillis(100)).watchdog(false);
        StatefulRedisConnection<String, String> connection = connect();
        try (RedisLocks locks = new RedisLocks(connection, shortLease)) {
            Lease expired = locks.tryAcquire(resource).orElseThrow();
            await().atMost(Duration.ofSeconds(5)).until(() -> connection.sync().exists(locks.lockKey(resource)) == 0);
            Lease current = locks.tryAcquire(resource).orElseThrow();

            expired.close(); // the old holder releases late

            assertThat(connection.sync().exists(locks.lockKey(resource)))
                    .as("the new owner's lock is intact")
                    .isEqualTo(1);
            assertThat(locks.tryAcquire(resource)).isEmpty();
            assertThat(expired.extend())
                    .as("an expired lease cannot renew another owner's lock")
                    .isFalse();
            current.close();
            assertThat(connection.sync().exists(locks.lockKey(resource))).isZero();
        }
    }

    @Test
    void shouldRejectStaleHoldersWriteThroughFencing(PostgresService postgres) throws Exception {
        String schema = "fence_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
        GuardMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), schema);
        FenceGuard fence = new FenceGuard(schema);
        RedisLockConfig shortLease =
                RedisLockConfig.withTtl(Duration.ofMillis(100)).watchdog(false);
        StatefulRedisConnection<String, String> connection = connect();
        try (RedisLocks locks = new RedisLocks(connection, shortLease)) {
            Lease paused = locks.tryAcquire(resource).orElseThrow();
            // The holder "pauses" past its lease; another process takes the lock and writes.
            await().atMost(Duration.ofSeconds(5)).until(() -> connection.sync().exists(locks.lockKey(resource)) == 0);
            Lease next = locks.tryAcquire(resource).orElseThrow();
            assertThat(next.fencingToken()).isGreaterThan(paused.fencingToken());
            write(postgres, fence, next.fencingToken());

            assertThatThrownBy(() -> write(postgres, fence, paused.fencingToken()))
                    .isInstanceOf(StaleFencingTokenException.class)
                    .hasMessageContaining("lost its lock");
            write(postgres, fence, next.fencingToken()); // the current holder may write again
        }
    }

    @Test
    void shouldKeepLockWhileWorkLastsLongerThanTheTtl() throws Exception {
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofMillis(150));
        StatefulRedisConnection<String, String> connection = connect();
        try (RedisLocks locks = new RedisLocks(connection, config);
                Lease lease = locks.acquire(resource)) {
            await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(2)).until(lease::isHeld);
            assertThat(connection.sync().pttl(locks.lockKey(resource))).isPositive();
            assertThat(locks.tryAcquire(resource)).isEmpty();
            assertThat(lease.lost()).isNotDone();
        }
    }

    @Test
    void shouldReleaseALockWhoseAcquireGotNoReplyInTime() throws Exception {
        StatefulRedisConnection<String, String> connection = connect();
        StatefulRedisConnection<String, String> sleeper = connect();
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofSeconds(10)).commandTimeout(Duration.ofMillis(50));
        try (RedisLocks locks = new RedisLocks(connection, config)) {
            var pause = debugSleep(sleeper, 0.4); // Redis answers nothing for 400 ms
            await().atMost(Duration.ofSeconds(2)).until(() -> asleep(connection));
            assertThatThrownBy(() -> locks.tryAcquire(resource)).isInstanceOf(RedisCallFailedException.class);
            pause.get();
            await().atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(connection.sync().exists(locks.lockKey(resource)))
                            .as("the SET that landed after the timeout was undone; no 10 s orphan")
                            .isZero());
            try (Lease next = locks.tryAcquire(resource).orElseThrow()) {
                assertThat(next.isHeld()).isTrue();
            }
        }
    }

    @Test
    void shouldTellTheHolderWhenRenewalsCannotReachRedisBeforeTheLeaseEnds() throws Exception {
        StatefulRedisConnection<String, String> sleeper = connect();
        try (RedisLocks locks = new RedisLocks(connect(), RedisLockConfig.withTtl(Duration.ofMillis(300)));
                Lease lease = locks.acquire(resource)) {
            debugSleep(sleeper, 0.9);
            String reason = lease.lost().get(3, TimeUnit.SECONDS);
            assertThat(reason).contains("not renewed within its ttl");
            assertThat(lease.isHeld()).isFalse();
        }
    }

    @Test
    void shouldStopRenewingAHoldLongerThanMaxHold() throws Exception {
        StatefulRedisConnection<String, String> connection = connect();
        RedisLockConfig config = RedisLockConfig.withTtl(Duration.ofMillis(150)).maxHold(Duration.ofMillis(450));
        try (RedisLocks locks = new RedisLocks(connection, config);
                Lease lease = locks.acquire(resource)) {
            String reason = lease.lost().get(3, TimeUnit.SECONDS);
            assertThat(reason).contains("maxHold");
            await().atMost(Duration.ofSeconds(1))
                    .untilAsserted(() -> assertThat(locks.tryAcquire(resource))
                            .as("the lock ends at its ttl")
                            .isPresent());
        }
    }

    @Test
    void shouldRefuseConfigWithoutUsableTtl() {
        assertThatThrownBy(() -> RedisLockConfig.withTtl(Duration.ZERO)).hasMessageContaining("ttl");
        assertThatThrownBy(() -> RedisLockConfig.withTtl(Duration.ofSeconds(1)).commandTimeout(Duration.ofSeconds(2)))
                .hasMessageContaining("shorter than ttl");
    }

    /** {@code DEBUG SLEEP}: the server answers nobody for that long (Lettuce has no method for it). */
    private static RedisFuture<String> debugSleep(StatefulRedisConnection<String, String> connection, double seconds) {
        return connection
                .async()
                .dispatch(
                        CommandType.DEBUG,
                        new StatusOutput<>(StringCodec.UTF8),
                        new CommandArgs<>(StringCodec.UTF8).add("SLEEP").add(Double.toString(seconds)));
    }

    /** Whether Redis is inside a DEBUG SLEEP: a PING gets no answer within 20 ms. */
    static boolean asleep(StatefulRedisConnection<String, String> probe) {
        try {
            probe.async().ping().get(20, TimeUnit.MILLISECONDS);
            return false;
        } catch (TimeoutException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    private static void write(PostgresService postgres, FenceGuard fence, long token) throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            try {
                fence.check(c, "account-42", token);
                c.commit();
            } catch (RuntimeException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private StatefulRedisConnection<String, String> connect() {
        RedisClient client = RedisClient.create(redis.uri());
        clients.add(client);
        return client.connect();
    }
}
