package io.bulwark.guard.pg;

import io.bulwark.guard.lock.LockNotAcquiredException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.time.Duration;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * PostgreSQL advisory locks on named resources.
 *
 * <p><b>Key mapping (stable, documented):</b> a resource name maps to the first 8 bytes, big-endian,
 * of the SHA-256 of its UTF-8 bytes, as a signed 64-bit key: {@link #key}. Every service that
 * locks the same name locks the same key, in any language.
 *
 * <ul>
 *   <li>Transaction scope ({@link #tryTransactionLock}, {@link #transactionLock},
 *       {@link #transactionLocks}): held until the transaction ends; nothing to release, nothing
 *       to leak. Prefer it.</li>
 *   <li>Session scope ({@link #trySessionLock}, {@link #sessionLock}): held until released or the
 *       connection closes.</li>
 * </ul>
 *
 * <p><b>Connection poolers.</b> Behind PgBouncer (or any pooler) in transaction mode, a session
 * lock stays with a server connection that the next transaction may hand to someone else: use
 * transaction-scoped locks there, or a direct connection for session locks.
 *
 * <p><b>Deadlocks.</b> {@link #transactionLocks} takes several locks in ascending key order, so two
 * transactions locking overlapping sets cannot wait on each other in a cycle.
 */
public final class AdvisoryLocks {

    private static final String LOCK_NOT_AVAILABLE = "55P03";

    private AdvisoryLocks() {}

    /** The advisory-lock key of {@code resource}. */
    public static long key(String resource) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(resource.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(digest, 0, 8).getLong();
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java runtime", e);
        }
    }

    /** {@code pg_try_advisory_xact_lock}: true when taken; held until the transaction ends. */
    public static boolean tryTransactionLock(Connection transaction, String resource) throws SQLException {
        requireTransaction(transaction);
        return call(transaction, "SELECT pg_try_advisory_xact_lock(?)", key(resource));
    }

    /** Waits up to {@code wait} for the transaction-scoped lock. */
    public static void transactionLock(Connection transaction, String resource, Duration wait)
            throws SQLException, LockNotAcquiredException {
        transactionLocks(transaction, List.of(resource), wait);
    }

    /**
     * Takes every lock in ascending key order (deadlock-free against other callers of this method),
     * each waiting up to {@code wait}.
     */
    public static void transactionLocks(Connection transaction, Collection<String> resources, Duration wait)
            throws SQLException, LockNotAcquiredException {
        requireTransaction(transaction);
        List<String> ordered = resources.stream()
                .distinct()
                .sorted(Comparator.comparingLong(AdvisoryLocks::key))
                .toList();
        String[] waitingFor = {null};
        withLockTimeout(transaction, wait, () -> waitingFor[0], () -> {
            for (String resource : ordered) {
                waitingFor[0] = resource;
                call(transaction, "SELECT pg_advisory_xact_lock(?) IS NULL", key(resource));
            }
        });
    }

    /** SQL that may wait for a lock. */
    @FunctionalInterface
    private interface LockWait {
        void run() throws SQLException;
    }

    /**
     * Runs {@code waits} in the caller's transaction with {@code lock_timeout} = {@code wait}, inside a
     * savepoint, and leaves the transaction as it found it: the caller's {@code lock_timeout} is restored
     * for its later statements, and when a lock is not available the savepoint is rolled back (with the
     * locks taken so far in it), so the caller's transaction stays usable — nothing is committed or rolled
     * back on the caller's behalf.
     */
    private static void withLockTimeout(
            Connection transaction, Duration wait, Supplier<String> resource, LockWait waits)
            throws SQLException, LockNotAcquiredException {
        String previous;
        try (Statement s = transaction.createStatement();
                ResultSet rs = s.executeQuery("SHOW lock_timeout")) {
            rs.next();
            previous = rs.getString(1);
        }
        Savepoint savepoint = transaction.setSavepoint();
        try {
            try (Statement s = transaction.createStatement()) {
                s.execute("SET LOCAL lock_timeout = '" + Math.max(1, wait.toMillis()) + "ms'");
            }
            waits.run();
            try (PreparedStatement restore =
                    transaction.prepareStatement("SELECT set_config('lock_timeout', ?, true)")) {
                restore.setString(1, previous);
                restore.execute();
            }
            transaction.releaseSavepoint(savepoint);
        } catch (SQLException e) {
            transaction.rollback(savepoint); // undoes the SET LOCAL and the error state
            if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
                throw new LockNotAcquiredException(resource.get(), wait);
            }
            throw e;
        }
    }

    /** {@code pg_try_advisory_lock}: the session-scoped lock, or empty when another session holds it. */
    public static Optional<SessionLock> trySessionLock(Connection connection, String resource) throws SQLException {
        return call(connection, "SELECT pg_try_advisory_lock(?)", key(resource))
                ? Optional.of(new SessionLock(connection, resource))
                : Optional.empty();
    }

    /**
     * Waits up to {@code wait} for the session-scoped lock. On a connection in auto-commit mode it uses a
     * short transaction of its own; inside the caller's open transaction it neither commits nor rolls it
     * back, and restores its {@code lock_timeout} (a session lock outlives the transaction either way).
     */
    public static SessionLock sessionLock(Connection connection, String resource, Duration wait)
            throws SQLException, LockNotAcquiredException {
        LockWait take = () -> call(connection, "SELECT pg_advisory_lock(?) IS NULL", key(resource));
        if (!connection.getAutoCommit()) {
            withLockTimeout(connection, wait, () -> resource, take);
            return new SessionLock(connection, resource);
        }
        connection.setAutoCommit(false); // our own short transaction, so SET LOCAL ends with it
        try {
            withLockTimeout(connection, wait, () -> resource, take);
            connection.commit();
            return new SessionLock(connection, resource);
        } catch (SQLException | LockNotAcquiredException | RuntimeException e) {
            connection.rollback();
            throw e;
        } finally {
            connection.setAutoCommit(true);
        }
    }

    private static boolean call(Connection connection, String sql, long key) throws SQLException {
        try (PreparedStatement s = connection.prepareStatement(sql)) {
            s.setLong(1, key);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getBoolean(1);
            }
        }
    }

    private static void requireTransaction(Connection connection) throws SQLException {
        if (connection.getAutoCommit()) {
            throw new IllegalStateException("A transaction-scoped advisory lock needs a transaction: "
                    + "call setAutoCommit(false) (in auto-commit it would be released at once)");
        }
    }

    /** A held session-scoped lock; close to release it (on the same connection). */
    public static final class SessionLock implements AutoCloseable {
        private final Connection connection;
        private final String resource;
        private boolean released;

        SessionLock(Connection connection, String resource) {
            this.connection = connection;
            this.resource = resource;
        }

        public String resource() {
            return resource;
        }

        @Override
        public void close() throws SQLException {
            if (!released) {
                released = true;
                call(connection, "SELECT pg_advisory_unlock(?)", key(resource));
            }
        }
    }
}
