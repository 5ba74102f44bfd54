package io.bulwark.guard.idempotency;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.IntPredicate;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotency keys with the semantics of the IETF "Idempotency-Key" draft and Stripe's behaviour:
 * the first request with a key executes; a retry with the same body gets the stored response again
 * (replayed); a request arriving while the first still runs gets {@link Kind#IN_FLIGHT} (409); the
 * same key with a different body gets {@link Kind#MISMATCH} (422).
 *
 * <p><b>Durable record, same transaction.</b> {@link #execute} runs the caller's work in a
 * PostgreSQL transaction and inserts the record in that transaction, so the record exists exactly
 * when the work's rows (order, outbox event) do: a crash anywhere before commit leaves neither, and
 * the client's retry executes once. A transaction-scoped advisory lock on the scope serialises
 * concurrent requests with one key even when Redis is unavailable.
 *
 * <p><b>Redis in front.</b> Before touching PostgreSQL, Redis answers replays from a cached copy of the
 * stored response (a {@code GET}; the copy is written after the commit, without waiting). A miss is only a
 * hint — Redis may have lost the copy, or another request may be running or have just committed — so a miss
 * goes to PostgreSQL, which decides: inside the transaction the scope's advisory lock is taken (held by
 * someone → {@link Kind#IN_FLIGHT}, 409), then the durable record is read (found → replayed or mismatch;
 * none → the work runs). Redis is an accelerator only: when it fails, requests take the PostgreSQL path
 * (counted in {@code bulwark.idempotency.redis.errors}).
 *
 * <p><b>The look-up can start early.</b> {@link #lookUp} sends the {@code GET} and returns at once, so a
 * caller with other Redis work of its own (a rate limit) waits once for both replies;
 * {@link #execute(Lookup, String, Work)} then reads the reply. Until 2026-12-04 the look-up also left an
 * in-flight mark in Redis; a mark only ever sent the next request on to PostgreSQL (whose advisory lock says
 * whether its owner is alive), so it cost a script per request and a compare-and-delete after every error
 * answer while deciding nothing. Marks written by those versions are ignored.
 *
 * <p><b>The claim can travel with the work.</b> The classic claim (advisory lock, then the record read) is a
 * round trip before the work. A {@link ClaimingWork} sends the claim in front of its own first statement
 * instead ({@link IdempotencyClaim}): one call that raises when the key is taken, so PostgreSQL skips the
 * statement; the store then rolls back and runs the classic claim to tell 409 from a replay.
 *
 * <p><b>What is stored.</b> Responses whose status passes {@code storable} (default: 2xx only — an
 * error answer is never cached, so a client that fixes the cause and retries with the same key is
 * executed again; an operator may opt in per status for final business answers). Anything else
 * (4xx and 5xx by default, and exceptions, which include timeouts) rolls the transaction back and
 * stores nothing, so a retry executes again. Records live for {@code ttl}
 * (default 24 h); expired ones are ignored and {@link #deleteExpired} removes them.
 */
public final class IdempotencyStore {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyStore.class);
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String REDIS_PREFIX = "bulwark:idem:";

    /** Defaults: records kept 24 h, only 2xx stored, Redis answers awaited 200 ms. */
    public record Settings(Duration ttl, IntPredicate storable, Duration redisTimeout) {
        public Settings {
            Objects.requireNonNull(ttl, "ttl");
            Objects.requireNonNull(storable, "storable");
            Objects.requireNonNull(redisTimeout, "redisTimeout");
        }

        public static Settings defaults() {
            return new Settings(Duration.ofHours(24), status -> status >= 200 && status < 300, Duration.ofMillis(200));
        }

        public Settings withTtl(Duration newTtl) {
            return new Settings(newTtl, storable, redisTimeout);
        }

        public Settings withStorable(IntPredicate newStorable) {
            return new Settings(ttl, newStorable, redisTimeout);
        }
    }

    /** A response as stored and replayed. */
    public record StoredResponse(int status, String contentType, byte[] body) {
        public StoredResponse {
            body = body == null ? new byte[0] : body;
        }
    }

    public enum Kind {
        /** The work ran now; its response was stored if storable. */
        EXECUTED,
        /** A stored response of an earlier request with this key and body. */
        REPLAYED,
        /** Another request with this key is running. */
        IN_FLIGHT,
        /** This key was used with a different body. */
        MISMATCH
    }

    /** What {@link #execute} did; {@code response} is null for IN_FLIGHT and MISMATCH. */
    public record Outcome(Kind kind, StoredResponse response) {}

    /**
     * A key's look-up in Redis, under way: {@link #lookUp} sent it, {@link #execute(Lookup, String, Work)}
     * reads its reply. Dropping one unread costs nothing (nothing is marked).
     */
    public static final class Lookup {
        private final IdempotencyScope scope;
        private final RedisFuture<String> reply;

        private Lookup(IdempotencyScope scope, RedisFuture<String> reply) {
            this.scope = scope;
            this.reply = reply;
        }

        public IdempotencyScope scope() {
            return scope;
        }
    }

    /** The caller's work, inside the transaction (the key is claimed before it runs). */
    @FunctionalInterface
    public interface Work {
        StoredResponse run(Connection transaction) throws Exception;
    }

    /**
     * Work that sends the key's {@link IdempotencyClaim} in front of its first statement: one round trip fewer
     * than {@link Work}. It must send the claim before it returns (an {@link IllegalStateException} and a roll
     * back otherwise); a statement that runs before the claim is undone with everything else when the claim is
     * refused, but it would run while another request may hold the key.
     */
    @FunctionalInterface
    public interface ClaimingWork {
        StoredResponse run(Connection transaction, IdempotencyClaim claim) throws Exception;
    }

    private final DataSource dataSource;
    private final String table;
    private final String claimSql;
    private final String claimFunction;
    private final StatefulRedisConnection<String, String> redis;
    private final Settings settings;
    private final Counter replayed;
    private final Counter redisErrors;
    private final Counter conflicts;

    /** {@code redis} may be null: PostgreSQL alone then (every duplicate costs a database round trip). */
    public IdempotencyStore(
            DataSource dataSource,
            String schema,
            StatefulRedisConnection<String, String> redis,
            Settings settings,
            MeterRegistry registry) {
        if (!IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException("Schema name '" + schema + "' must be a lower-case SQL identifier");
        }
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.table = schema + ".bulwark_idempotency";
        this.claimSql = "SELECT pg_try_advisory_xact_lock(?); SELECT fingerprint, status_code, content_type,"
                + " response_body, expires_at < now() AS expired FROM " + table + " WHERE scope_id = ?";
        this.claimFunction = schema + ".bulwark_idempotency_claim";
        this.redis = redis;
        this.settings = Objects.requireNonNull(settings, "settings");
        this.replayed = Counter.builder("bulwark.idempotency.replayed").register(registry);
        this.redisErrors = Counter.builder("bulwark.idempotency.redis.errors").register(registry);
        this.conflicts = Counter.builder("bulwark.idempotency.conflicts")
                .description("Requests refused because their key was in flight or reused with another body")
                .register(registry);
    }

    /**
     * Runs {@code work} at most once per scope (within the TTL), in a transaction that also stores
     * its response. Exceptions from {@code work} roll back and propagate; nothing is stored.
     */
    public Outcome execute(IdempotencyScope scope, String fingerprint, Work work) throws Exception {
        return execute(lookUp(scope), fingerprint, work);
    }

    /**
     * Sends the scope's look-up to Redis and returns without waiting for the reply, so that the caller's own
     * Redis calls made before {@link #execute(Lookup, String, Work)} travel with it.
     */
    public Lookup lookUp(IdempotencyScope scope) {
        if (redis == null) {
            return new Lookup(scope, null);
        }
        try {
            return new Lookup(scope, redis.async().get(REDIS_PREFIX + scope.id()));
        } catch (RuntimeException e) {
            redisFailed("look-up", e);
            return new Lookup(scope, null);
        }
    }

    /** As {@link #execute(IdempotencyScope, String, Work)}, with the look-up already sent by {@link #lookUp}. */
    public Outcome execute(Lookup lookup, String fingerprint, Work work) throws Exception {
        Outcome cached = cached(lookup, fingerprint);
        if (cached != null) {
            return count(cached);
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            return claimThenRun(connection, lookup.scope(), fingerprint, work);
        }
    }

    /**
     * As {@link #execute(Lookup, String, Work)}, with the claim sent by the work in front of its first
     * statement. When the claim is refused (the key in flight, or its record there), the transaction rolls back
     * and the classic claim tells which: 409, or the record replayed; should the key have come free meanwhile,
     * the work runs again, under the claim already held.
     */
    public Outcome execute(Lookup lookup, String fingerprint, ClaimingWork work) throws Exception {
        Outcome cached = cached(lookup, fingerprint);
        if (cached != null) {
            return count(cached);
        }
        IdempotencyScope scope = lookup.scope();
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            IdempotencyClaim claim = IdempotencyClaim.pending(claimFunction, scope.id());
            try {
                StoredResponse response = work.run(connection, claim);
                if (claim.unsent()) {
                    throw new IllegalStateException("The work returned without sending its idempotency claim");
                }
                return finish(connection, scope, fingerprint, response);
            } catch (Exception | Error e) {
                rollbackQuietly(connection, e);
                if (!IdempotencyClaim.refused(e)) {
                    throw e;
                }
            }
            return claimThenRun(connection, scope, fingerprint, tx -> work.run(tx, IdempotencyClaim.held()));
        }
    }

    /** The classic path, in {@code connection}'s transaction: claim (one round trip), then the work. */
    private Outcome claimThenRun(Connection connection, IdempotencyScope scope, String fingerprint, Work work)
            throws Exception {
        String id = scope.id();
        try {
            Outcome outcome = claim(connection, id, fingerprint);
            if (outcome != null) {
                connection.rollback();
                if (outcome.kind() == Kind.REPLAYED) {
                    cache(id, fingerprint, outcome.response());
                }
                return count(outcome);
            }
            return finish(connection, scope, fingerprint, work.run(connection));
        } catch (Exception | Error e) {
            rollbackQuietly(connection, e);
            throw e;
        }
    }

    /** Stores a storable response with the work and commits, or rolls the work back. */
    private Outcome finish(Connection connection, IdempotencyScope scope, String fingerprint, StoredResponse response)
            throws SQLException {
        if (settings.storable().test(response.status())) {
            insertAndCommit(connection, scope, scope.id(), fingerprint, response);
            cache(scope.id(), fingerprint, response);
        } else {
            connection.rollback();
        }
        return new Outcome(Kind.EXECUTED, response);
    }

    /** Deletes up to {@code batch} expired records; returns how many. Run it periodically. */
    public int deleteExpired(int batch) throws SQLException {
        try (Connection connection = dataSource.getConnection();
                PreparedStatement delete = connection.prepareStatement("DELETE FROM " + table
                        + " WHERE scope_id IN (SELECT scope_id FROM " + table
                        + " WHERE expires_at < now() ORDER BY expires_at LIMIT ?)")) {
            delete.setInt(1, batch);
            return delete.executeUpdate();
        }
    }

    private Outcome count(Outcome outcome) {
        if (outcome.kind() == Kind.REPLAYED) {
            replayed.increment();
        } else {
            conflicts.increment();
        }
        return outcome;
    }

    /**
     * Inside the transaction: serialise on the scope, then consult the durable record — one round trip.
     * The two statements travel together but run one after the other, each with its own snapshot (READ
     * COMMITTED), so the record is read after the lock is held: an owner that committed while we waited
     * for the lock is seen.
     */
    private Outcome claim(Connection connection, String id, String fingerprint) throws SQLException {
        try (PreparedStatement claim = connection.prepareStatement(claimSql)) {
            claim.setLong(1, IdempotencyClaim.lockKey(id));
            claim.setString(2, id);
            claim.execute();
            try (ResultSet lock = claim.getResultSet()) {
                lock.next();
                if (!lock.getBoolean(1)) {
                    return new Outcome(Kind.IN_FLIGHT, null);
                }
            }
            claim.getMoreResults();
            try (ResultSet row = claim.getResultSet()) {
                if (!row.next()) {
                    return null;
                }
                if (row.getBoolean("expired")) {
                    try (PreparedStatement delete =
                            connection.prepareStatement("DELETE FROM " + table + " WHERE scope_id = ?")) {
                        delete.setString(1, id);
                        delete.executeUpdate();
                    }
                    return null;
                }
                if (!row.getString("fingerprint").equals(fingerprint)) {
                    return new Outcome(Kind.MISMATCH, null);
                }
                return new Outcome(
                        Kind.REPLAYED,
                        new StoredResponse(
                                row.getInt("status_code"),
                                row.getString("content_type"),
                                row.getBytes("response_body")));
            }
        }
    }

    /**
     * Inserts the record and commits, in one round trip: the {@code INSERT} and a {@code COMMIT} travel in one
     * message and run in turn, so the commit follows the record (a failed insert skips it, and the caller rolls
     * back). The {@link Connection#commit()} afterwards finds the transaction ended and sends nothing (PgJDBC
     * asks the server's transaction status), and it keeps the connection pool's bookkeeping right.
     */
    private void insertAndCommit(
            Connection connection, IdempotencyScope scope, String id, String fingerprint, StoredResponse response)
            throws SQLException {
        try (PreparedStatement insert = connection.prepareStatement("INSERT INTO " + table
                + " (scope_id, client_id, method, path, idem_key, fingerprint, status_code, content_type,"
                + " response_body, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?); COMMIT")) {
            insert.setString(1, id);
            insert.setString(2, scope.clientId());
            insert.setString(3, scope.method());
            insert.setString(4, scope.path());
            insert.setString(5, scope.key());
            insert.setString(6, fingerprint);
            insert.setInt(7, response.status());
            insert.setString(8, response.contentType());
            insert.setBytes(9, response.body());
            insert.setTimestamp(10, Timestamp.from(Instant.now().plus(settings.ttl())));
            insert.execute();
        }
        connection.commit();
    }

    /**
     * The answer Redis holds for the look-up: a replay, or a mismatch for another body. Null when it holds
     * none (or only a mark of an earlier version), failed, or is not configured: PostgreSQL decides then.
     */
    private Outcome cached(Lookup lookup, String fingerprint) {
        if (lookup.reply == null) {
            return null;
        }
        try {
            String found = lookup.reply.get(settings.redisTimeout().toNanos(), TimeUnit.NANOSECONDS);
            return found == null ? null : entry(found, fingerprint);
        } catch (InterruptedException | ExecutionException | TimeoutException | IOException | RuntimeException e) {
            redisFailed("look-up", e);
            return null;
        }
    }

    /** A stored response Redis held: replayable, or a different body's; null for anything else. */
    private static Outcome entry(String value, String fingerprint) throws IOException {
        JsonNode entry = JSON.readTree(value);
        if (!entry.path("state").asText().equals("done")) {
            return null;
        }
        if (!entry.path("fingerprint").asText().equals(fingerprint)) {
            return new Outcome(Kind.MISMATCH, null);
        }
        return new Outcome(
                Kind.REPLAYED,
                new StoredResponse(
                        entry.path("status").asInt(),
                        entry.path("contentType").isNull()
                                ? null
                                : entry.path("contentType").asText(),
                        Base64.getDecoder().decode(entry.path("body").asText())));
    }

    /**
     * Caches the stored response, without waiting for Redis: the caller's answer does not
     * depend on it (the durable record answers replays either way), and a later request on this connection is
     * ordered after the write.
     */
    private void cache(String id, String fingerprint, StoredResponse response) {
        if (redis == null) {
            return;
        }
        try {
            ObjectNode entry = JSON.createObjectNode()
                    .put("state", "done")
                    .put("fingerprint", fingerprint)
                    .put("status", response.status())
                    .put("contentType", response.contentType())
                    .put("body", Base64.getEncoder().encodeToString(response.body()));
            redis.async()
                    .set(
                            REDIS_PREFIX + id,
                            JSON.writeValueAsString(entry),
                            SetArgs.Builder.px(settings.ttl().toMillis()))
                    .whenComplete((ok, error) -> {
                        if (error != null) {
                            // the durable record answers replays instead
                            redisFailed("cache", error);
                        }
                    });
        } catch (RuntimeException | JsonProcessingException e) {
            redisFailed("cache", e);
        }
    }

    private void redisFailed(String what, Throwable e) {
        if (e instanceof InterruptedException) {
            Thread.currentThread().interrupt();
        }
        redisErrors.increment();
        log.debug("Idempotency {} in Redis failed; PostgreSQL decides: {}", what, e.toString());
    }

    private static void rollbackQuietly(Connection connection, Throwable cause) {
        try {
            connection.rollback();
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }
}
