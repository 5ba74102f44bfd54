package io.bulwark.guard.idempotency;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bulwark.guard.GuardMigrations;
import io.bulwark.guard.idempotency.IdempotencyStore.Kind;
import io.bulwark.guard.idempotency.IdempotencyStore.Outcome;
import io.bulwark.guard.idempotency.IdempotencyStore.StoredResponse;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * {@link IdempotencyStore} against a real PostgreSQL and Redis: executed once, replayed (from Redis, and from
 * PostgreSQL when Redis missed), refused while in flight or with another body, and PostgreSQL alone deciding
 * when Redis is gone.
 */
@ExtendWith(SharedInfraExtension.class)
class IdempotencyStoreTest {

    private static final byte[] BODY = "{\"amount\":5}".getBytes(StandardCharsets.UTF_8);
    private static final String FINGERPRINT = RequestFingerprint.of(BODY);

    private PGSimpleDataSource dataSource;
    private String schema;
    private RedisClient client;
    private StatefulRedisConnection<String, String> redis;
    private final AtomicInteger runs = new AtomicInteger();
    private IdempotencyScope scope;

    @BeforeEach
    void setUp(PostgresService postgres, RedisService redisServer) throws Exception {
        schema = postgres.createUniqueSchema("idem");
        GuardMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), schema);
        dataSource = new PGSimpleDataSource();
        dataSource.setUrl(postgres.jdbcUrl());
        dataSource.setUser(postgres.username());
        dataSource.setPassword(postgres.password());
        client = RedisClient.create(redisServer.uri());
        redis = client.connect();
        scope = new IdempotencyScope("client-1", "POST", "/orders", "key-" + UUID.randomUUID());
    }

    @AfterEach
    void tearDown() {
        client.shutdown();
    }

    @Test
    void shouldExecuteOnceAndReplayTheStoredResponseToARetry() throws Exception {
        IdempotencyStore store = store(redis);
        Outcome first = store.execute(scope, FINGERPRINT, tx -> created());
        Outcome retry = store.execute(scope, FINGERPRINT, tx -> created());

        assertThat(first.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(retry.kind()).isEqualTo(Kind.REPLAYED);
        assertThat(retry.response().body()).isEqualTo(first.response().body());
        assertThat(runs).hasValue(1);
        assertThat(redis.sync().get("bulwark:idem:" + scope.id()))
                .as("cached for the next replay")
                .contains("\"done\"");
    }

    @Test
    void shouldRefuseTheSameKeyWithAnotherBody() throws Exception {
        IdempotencyStore store = store(redis);
        store.execute(scope, FINGERPRINT, tx -> created());
        Outcome other =
                store.execute(scope, RequestFingerprint.of("{}".getBytes(StandardCharsets.UTF_8)), tx -> created());
        assertThat(other.kind()).isEqualTo(Kind.MISMATCH);
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldAnswerInFlightWhileTheFirstRequestStillRuns() throws Exception {
        IdempotencyStore store = store(redis);
        CountDownLatch working = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Outcome> first = CompletableFuture.supplyAsync(() -> {
            try {
                return store.execute(scope, FINGERPRINT, tx -> {
                    working.countDown();
                    finish.await(30, TimeUnit.SECONDS);
                    return created();
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(working.await(30, TimeUnit.SECONDS)).isTrue();

        Outcome second = store.execute(scope, FINGERPRINT, tx -> created());
        finish.countDown();

        assertThat(second.kind()).isEqualTo(Kind.IN_FLIGHT);
        assertThat(first.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Kind.EXECUTED);
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldAnswerARetryFromRedisAloneOnceTheResponseIsCached() throws Exception {
        IdempotencyStore store = store(redis);
        Outcome first = store.execute(scope, FINGERPRINT, tx -> created());
        await().atMost(Duration.ofSeconds(10)).until(() -> redis.sync().get("bulwark:idem:" + scope.id()) != null);
        // Without the durable record, only Redis can answer these two.
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("DELETE FROM " + schema + ".bulwark_idempotency");
        }

        Outcome retry = store.execute(scope, FINGERPRINT, tx -> created());
        Outcome other = store.execute(scope, RequestFingerprint.of(new byte[] {1}), tx -> created());

        assertThat(retry.kind()).isEqualTo(Kind.REPLAYED);
        assertThat(retry.response().body()).isEqualTo(first.response().body());
        assertThat(other.kind()).isEqualTo(Kind.MISMATCH);
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldReplayARecordCommittedAfterItsLookUpWasSent() throws Exception {
        IdempotencyStore store = store(redis);
        // Sent first, so Redis answers it before anything is cached: a miss, which is only a hint.
        IdempotencyStore.Lookup early = store.lookUp(scope);
        Outcome owner = store.execute(scope, FINGERPRINT, tx -> created());

        Outcome late = store.execute(early, FINGERPRINT, tx -> created());

        assertThat(owner.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(late.kind()).as("PostgreSQL's record decides").isEqualTo(Kind.REPLAYED);
        assertThat(late.response().body()).isEqualTo(owner.response().body());
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldIgnoreAnInFlightMarkLeftByAnEarlierVersion() throws Exception {
        // Versions before 2026-12-04 marked a key in flight in Redis; such a mark decides nothing.
        redis.sync()
                .set(
                        "bulwark:idem:" + scope.id(),
                        "{\"state\":\"in-flight\",\"fingerprint\":\"other\",\"owner\":\"dead\"}");
        Outcome outcome = store(redis).execute(scope, FINGERPRINT, tx -> created());
        assertThat(outcome.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldStoreNothingForAnErrorAnswer() throws Exception {
        IdempotencyStore store = store(redis);
        Outcome refused = store.execute(scope, FINGERPRINT, tx -> {
            runs.incrementAndGet();
            return new StoredResponse(409, "application/problem+json", "{}".getBytes(StandardCharsets.UTF_8));
        });
        assertThat(refused.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(redis.sync().get("bulwark:idem:" + scope.id()))
                .as("nothing in Redis")
                .isNull();
        assertThat(count("bulwark_idempotency")).as("nor in PostgreSQL").isZero();
        assertThat(store.execute(scope, FINGERPRINT, tx -> created()).kind())
                .as("a retry executes again")
                .isEqualTo(Kind.EXECUTED);
        assertThat(runs).hasValue(2);
    }

    @Test
    void shouldLetPostgresDecideAloneWhenRedisFails() throws Exception {
        redis.close(); // every command on a closed connection fails at once, as on a Redis that is gone
        IdempotencyStore store = store(redis);
        Outcome first = store.execute(scope, FINGERPRINT, tx -> created());
        Outcome retry = store.execute(scope, FINGERPRINT, tx -> created());
        Outcome other = store.execute(scope, RequestFingerprint.of(new byte[] {1}), tx -> created());

        assertThat(first.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(retry.kind()).as("replayed from PostgreSQL").isEqualTo(Kind.REPLAYED);
        assertThat(retry.response().body()).isEqualTo(first.response().body());
        assertThat(other.kind()).isEqualTo(Kind.MISMATCH);
        assertThat(runs).hasValue(1);
    }

    @Test
    void shouldCommitTheWorkWithItsRecordAndNeitherWhenTheRecordCannotBeWritten() throws Exception {
        createWorkTable();
        IdempotencyStore store = store(redis);
        // The record and the COMMIT travel together: when the record fails (here a row with its key, written by
        // the work itself), the commit must not happen and the work's row must go too.
        assertThatThrownBy(() -> store.execute(scope, FINGERPRINT, tx -> {
                    try (Statement s = tx.createStatement()) {
                        s.execute("INSERT INTO " + schema + ".work VALUES ('first')");
                        s.execute("INSERT INTO " + schema + ".bulwark_idempotency (scope_id, client_id, method, path,"
                                + " idem_key, fingerprint, status_code, response_body, expires_at) VALUES ('"
                                + scope.id() + "', 'c', 'POST', '/', 'k', 'f', 201, '', now() + interval '1 hour')");
                    }
                    return created();
                }))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("bulwark_idempotency_pkey");
        assertThat(count("work")).as("the work rolled back with its record").isZero();
        assertThat(count("bulwark_idempotency")).isZero();

        Outcome retry = store.execute(scope, FINGERPRINT, tx -> {
            try (Statement s = tx.createStatement()) {
                s.execute("INSERT INTO " + schema + ".work VALUES ('retry')");
            }
            return created();
        });
        assertThat(retry.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(count("work")).as("committed, seen from another connection").isEqualTo(1);
        assertThat(count("bulwark_idempotency")).isEqualTo(1);
        assertThat(store.execute(scope, FINGERPRINT, tx -> created()).kind()).isEqualTo(Kind.REPLAYED);
    }

    @Test
    void shouldClaimTheKeyInTheWorksOwnStatementAndReplayFromPostgres() throws Exception {
        createWorkTable();
        IdempotencyStore store = store(null); // every request reaches PostgreSQL
        Outcome first = store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> insertClaimed(tx, claim, "a"));
        Outcome retry = store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> insertClaimed(tx, claim, "b"));
        Outcome other = store.execute(
                store.lookUp(scope),
                RequestFingerprint.of(new byte[] {1}),
                (tx, claim) -> insertClaimed(tx, claim, "c"));

        assertThat(first.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(retry.kind()).as("the claim refused, the record replayed").isEqualTo(Kind.REPLAYED);
        assertThat(retry.response().body()).isEqualTo(first.response().body());
        assertThat(other.kind()).isEqualTo(Kind.MISMATCH);
        assertThat(runs).as("no statement ran after a refused claim").hasValue(1);
        assertThat(count("work")).isEqualTo(1);
    }

    @Test
    void shouldAnswerInFlightWhenTheClaimFindsTheKeyHeld() throws Exception {
        createWorkTable();
        IdempotencyStore store = store(null);
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        CompletableFuture<Outcome> first = CompletableFuture.supplyAsync(() -> {
            try {
                return store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> {
                    StoredResponse response = insertClaimed(tx, claim, "first");
                    claimed.countDown();
                    finish.await(30, TimeUnit.SECONDS);
                    return response;
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(claimed.await(30, TimeUnit.SECONDS)).isTrue();

        Outcome second =
                store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> insertClaimed(tx, claim, "second"));
        finish.countDown();

        assertThat(second.kind()).isEqualTo(Kind.IN_FLIGHT);
        assertThat(first.get(30, TimeUnit.SECONDS).kind()).isEqualTo(Kind.EXECUTED);
        assertThat(runs).hasValue(1);
        assertThat(count("work")).isEqualTo(1);
    }

    @Test
    void shouldTakeOverAnExpiredRecordInTheClaim() throws Exception {
        createWorkTable();
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + schema + ".bulwark_idempotency (scope_id, client_id, method, path, idem_key,"
                    + " fingerprint, status_code, response_body, expires_at) VALUES ('" + scope.id()
                    + "', 'c', 'POST', '/', 'k', 'old', 201, '', now() - interval '1 second')");
        }
        IdempotencyStore store = store(null);
        Outcome outcome = store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> insertClaimed(tx, claim, "a"));

        assertThat(outcome.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(store.execute(scope, FINGERPRINT, tx -> created()).kind()).isEqualTo(Kind.REPLAYED);
        assertThat(count("bulwark_idempotency")).isEqualTo(1);
    }

    @Test
    void shouldRollBackWorkThatReturnsWithoutSendingItsClaim() throws Exception {
        createWorkTable();
        IdempotencyStore store = store(null);
        assertThatThrownBy(() -> store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> {
                    try (Statement s = tx.createStatement()) {
                        s.execute("INSERT INTO " + schema + ".work VALUES ('unclaimed')");
                    }
                    return created();
                }))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("without sending its idempotency claim");
        assertThat(count("work")).isZero();
        assertThat(count("bulwark_idempotency")).isZero();

        Outcome sentAlone = store.execute(store.lookUp(scope), FINGERPRINT, (tx, claim) -> {
            claim.send(tx);
            try (Statement s = tx.createStatement()) {
                s.execute("INSERT INTO " + schema + ".work VALUES ('claimed')");
            }
            return created();
        });
        assertThat(sentAlone.kind()).isEqualTo(Kind.EXECUTED);
        assertThat(count("work")).isEqualTo(1);
    }

    private void createWorkTable() throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + schema + ".work (id text PRIMARY KEY)");
        }
    }

    /** A work's first statement, carrying the claim. */
    private StoredResponse insertClaimed(Connection tx, IdempotencyClaim claim, String row) throws SQLException {
        try (PreparedStatement insert =
                tx.prepareStatement(claim.prefix() + "INSERT INTO " + schema + ".work VALUES (?)")) {
            insert.setString(claim.bind(insert), row);
            assertThat(claim.executeUpdate(insert)).isEqualTo(1);
        }
        return created();
    }

    private long count(String table) throws SQLException {
        try (Connection c = dataSource.getConnection();
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT count(*) FROM " + schema + "." + table)) {
            rows.next();
            return rows.getLong(1);
        }
    }

    private IdempotencyStore store(StatefulRedisConnection<String, String> connection) {
        return new IdempotencyStore(
                dataSource, schema, connection, IdempotencyStore.Settings.defaults(), new SimpleMeterRegistry());
    }

    private StoredResponse created() {
        runs.incrementAndGet();
        return new StoredResponse(
                201, "application/json", ("{\"id\":\"" + UUID.randomUUID() + "\"}").getBytes(StandardCharsets.UTF_8));
    }
}
