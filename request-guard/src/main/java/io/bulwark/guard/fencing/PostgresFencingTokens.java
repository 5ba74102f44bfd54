package io.bulwark.guard.fencing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Objects;
import javax.sql.DataSource;

/** A durable fencing-token sequence per resource, in {@code <schema>.bulwark_fencing_sequence}. */
public final class PostgresFencingTokens implements FencingTokens {

    private final DataSource dataSource;
    private final String sql;

    public PostgresFencingTokens(DataSource dataSource, String schema) {
        this.dataSource = Objects.requireNonNull(dataSource, "dataSource");
        this.sql = "INSERT INTO " + FenceGuard.identifier(schema) + ".bulwark_fencing_sequence (resource, token)"
                + " VALUES (?, 1) ON CONFLICT (resource) DO UPDATE SET token = bulwark_fencing_sequence.token + 1"
                + " RETURNING token";
    }

    @Override
    public long next(String resource) throws SQLException {
        try (Connection c = dataSource.getConnection();
                PreparedStatement s = c.prepareStatement(sql)) {
            c.setAutoCommit(true);
            s.setString(1, resource);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }
}
