package io.bulwark.guard.idempotency;

import io.bulwark.guard.pg.AdvisoryLocks;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * An idempotency key's claim, for {@link IdempotencyStore.ClaimingWork} to send in front of its first
 * statement, so that claiming the key costs no round trip of its own.
 *
 * <p>The claim is a call of {@code bulwark_idempotency_claim(lock, scope)} (migration V3): it takes the key's
 * transaction advisory lock without waiting, removes an expired record, and raises SQLSTATE {@value #TAKEN}
 * when the lock is held by another request or a live record exists. PostgreSQL then skips the rest of the
 * message, the statement's own part included, and the store rolls back and asks the classic way which of
 * the two it was (409, or the record replayed). The work never runs its statement without the claim: both
 * travel in one message and run in turn.
 *
 * <p>Use: {@code prepareStatement(claim.prefix() + sql)}, bind the statement's parameters from
 * {@code claim.bind(statement)} on, then {@code claim.executeUpdate(statement)}. A work whose first statement
 * cannot carry it calls {@link #send} first. Once sent (or when the store already holds the key), the prefix
 * is empty and {@link #bind} starts at 1.
 */
public final class IdempotencyClaim {

    /** The SQLSTATE the claim raises when its key is taken. */
    public static final String TAKEN = "BWI01";

    private final String statement;
    private final String scopeId;
    private boolean pending;
    private boolean carried;

    private IdempotencyClaim(String statement, String scopeId, boolean pending) {
        this.statement = statement;
        this.scopeId = scopeId;
        this.pending = pending;
    }

    /** A claim still to be sent for {@code scopeId}, by calling {@code function} (schema-qualified). */
    static IdempotencyClaim pending(String function, String scopeId) {
        return new IdempotencyClaim("SELECT " + function + "(?, ?)", scopeId, true);
    }

    /** A claim the store already holds: nothing to send. */
    static IdempotencyClaim held() {
        return new IdempotencyClaim("", "", false);
    }

    /** The advisory lock of a scope: the same for this claim and for the store's classic one. */
    static long lockKey(String scopeId) {
        return AdvisoryLocks.key("idempotency:" + scopeId);
    }

    /** The SQL to put in front of the first statement, or {@code ""} once the claim is sent or held. */
    public String prefix() {
        return pending ? statement + "; " : "";
    }

    /**
     * Binds the claim's parameters into a statement built on {@link #prefix()}; returns the index of the
     * statement's own first parameter (3, or 1 when there was nothing to send).
     */
    public int bind(PreparedStatement carrier) throws SQLException {
        if (!pending) {
            return 1;
        }
        bindArguments(carrier);
        carried = true;
        return 3;
    }

    /** Executes a statement built on {@link #prefix()} and {@link #bind}: its own update count. */
    public int executeUpdate(PreparedStatement carrier) throws SQLException {
        if (!carried) {
            return carrier.executeUpdate();
        }
        carried = false;
        carrier.execute(); // the claim's (empty) row first
        carrier.getMoreResults();
        return carrier.getUpdateCount();
    }

    /** Sends the claim as a statement of its own: for work whose first statement cannot carry it. */
    public void send(Connection transaction) throws SQLException {
        if (!pending) {
            return;
        }
        try (PreparedStatement claim = transaction.prepareStatement(statement)) {
            bindArguments(claim);
            claim.execute();
        }
    }

    private void bindArguments(PreparedStatement target) throws SQLException {
        target.setLong(1, lockKey(scopeId));
        target.setString(2, scopeId);
        pending = false;
    }

    boolean unsent() {
        return pending;
    }

    /** Whether {@code e} (or a cause) is this claim's refusal: the key was taken. */
    static boolean refused(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql && TAKEN.equals(sql.getSQLState())) {
                return true;
            }
        }
        return false;
    }
}
