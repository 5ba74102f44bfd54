package io.bulwark.infra;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;
import java.util.Properties;
import java.util.UUID;

/** A running PostgreSQL server with {@code wal_level=logical}. */
public interface PostgresService extends AutoCloseable {

    String host();

    int port();

    /** The superuser's name; the embedded server trusts loopback connections. */
    String username();

    String password();

    /** The database created for applications ({@code postgres} on the embedded server). */
    String database();

    default String jdbcUrl() {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database();
    }

    default Connection connect() throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", username());
        props.setProperty("password", password());
        return DriverManager.getConnection(jdbcUrl(), props);
    }

    /**
     * Creates a schema with a unique name starting with {@code prefix}, so tests sharing one server
     * do not see each other's tables.
     */
    default String createUniqueSchema(String prefix) throws SQLException {
        String schema = (prefix + "_"
                        + UUID.randomUUID().toString().replace("-", "").substring(0, 12))
                .toLowerCase(Locale.ROOT);
        if (!schema.matches("[a-z_][a-z0-9_]*")) {
            throw new IllegalArgumentException("Schema prefix '" + prefix + "' must be letters, digits and '_'");
        }
        try (Connection c = connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        return schema;
    }

    /** Stops the server. Idempotent. */
    @Override
    void close();
}
