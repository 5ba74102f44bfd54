package io.bulwark.guard;

import org.flywaydb.core.Flyway;

/**
 * Applies request-guard's tables ({@code classpath:db/migration/bulwark-guard}) to a schema, with
 * a history table of its own so it can share a schema with the outbox's migrations.
 */
public final class GuardMigrations {

    public static final String LOCATION = "classpath:db/migration/bulwark-guard";
    public static final String HISTORY_TABLE = "bulwark_guard_schema_history";

    private GuardMigrations() {}

    /** Migrates {@code schema} (created if missing); returns how many migrations ran. */
    public static int migrate(String jdbcUrl, String user, String password, String schema) {
        return Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .schemas(schema)
                .createSchemas(true)
                .table(HISTORY_TABLE)
                // The schema may already hold other components' tables (and their own history tables):
                // start this history at version 0 instead of refusing a non-empty schema.
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations(LOCATION)
                .failOnMissingLocations(true)
                .load()
                .migrate()
                .migrationsExecuted;
    }
}
