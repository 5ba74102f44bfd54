package io.bulwark.connectors;

import java.util.Objects;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies Bulwark's database migrations ({@code classpath:db/migration/bulwark}, Flyway) to one
 * schema. Migrations are forward-only and versioned; running again is a no-op.
 */
public final class DatabaseMigrations {

    /** Where the migrations live on the classpath. */
    public static final String LOCATION = "classpath:db/migration/bulwark";

    private static final Logger log = LoggerFactory.getLogger(DatabaseMigrations.class);

    private DatabaseMigrations() {}

    /**
     * Migrates {@code schema} (created if missing) of the database at {@code jdbcUrl} to the
     * latest version and returns how many migrations were applied.
     */
    public static int migrate(String jdbcUrl, String user, String password, String schema) {
        Objects.requireNonNull(schema, "schema");
        MigrateResult result = Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .schemas(schema)
                .createSchemas(true)
                .locations(LOCATION)
                .failOnMissingLocations(true)
                .load()
                .migrate();
        log.info(
                "Database schema '{}' at version {} ({} migration(s) applied)",
                schema,
                result.targetSchemaVersion,
                result.migrationsExecuted);
        return result.migrationsExecuted;
    }
}
