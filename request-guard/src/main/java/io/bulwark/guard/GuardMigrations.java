package io.bulwark.guard;

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
        return SharedSchemaMigrations.migrate(jdbcUrl, user, password, schema, LOCATION, HISTORY_TABLE);
    }
}
