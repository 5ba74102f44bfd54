package io.bulwark.guard;

import org.flywaydb.core.Flyway;

/**
 * Flyway for a component that shares its database schema with others (the outbox, request-guard,
 * order-api): each keeps its own history table, and a schema that already holds the others' tables
 * starts this history at version 0 instead of being refused as non-empty.
 */
public final class SharedSchemaMigrations {

    private SharedSchemaMigrations() {}

    /** Migrates {@code schema} (created if missing) from {@code location}; returns how many migrations ran. */
    public static int migrate(
            String jdbcUrl, String user, String password, String schema, String location, String historyTable) {
        return Flyway.configure()
                .dataSource(jdbcUrl, user, password)
                .schemas(schema)
                .createSchemas(true)
                .table(historyTable)
                .baselineOnMigrate(true)
                .baselineVersion("0")
                .locations(location)
                .failOnMissingLocations(true)
                .load()
                .migrate()
                .migrationsExecuted;
    }
}
