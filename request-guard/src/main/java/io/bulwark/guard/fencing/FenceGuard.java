package io.bulwark.guard.fencing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.regex.Pattern;

/**
 * The resource side of fencing, for data in PostgreSQL: call {@link #check} in the same
 * transaction as the protected write. It accepts a token that is not older than the last accepted
 * one for the resource, records it, and holds the row lock until commit, so two writers are ordered;
 * an older token throws {@link StaleFencingTokenException} and the caller rolls back. A lock alone
 * cannot stop a holder that paused past its lease (GC, swap, a long network hiccup) from writing;
 * this can.
 */
public final class FenceGuard {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String sql;

    public FenceGuard(String schema) {
        this.sql = "INSERT INTO " + identifier(schema) + ".bulwark_fence (resource, last_token) VALUES (?, ?)"
                + " ON CONFLICT (resource) DO UPDATE SET last_token = EXCLUDED.last_token, updated_at = now()"
                + " WHERE bulwark_fence.last_token <= EXCLUDED.last_token";
    }

    /** Accepts {@code token} for {@code resource} inside {@code transaction}, or throws. */
    public void check(Connection transaction, String resource, long token) throws SQLException {
        if (transaction.getAutoCommit()) {
            throw new IllegalStateException("FenceGuard.check belongs in the transaction of the protected write: "
                    + "call setAutoCommit(false)");
        }
        try (PreparedStatement s = transaction.prepareStatement(sql)) {
            s.setString(1, resource);
            s.setLong(2, token);
            if (s.executeUpdate() == 0) {
                throw new StaleFencingTokenException(resource, token);
            }
        }
    }

    static String identifier(String schema) {
        if (schema == null || !IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException("Schema name '" + schema + "' must be a lower-case SQL identifier");
        }
        return schema;
    }
}
