package io.bulwark.orders;

import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.guard.GuardMigrations;
import org.flywaydb.core.Flyway;

/**
 * Everything order-api needs in its schema: the outbox (connectors), request-guard's tables
 * (fencing, idempotency) and its own business tables — three histories, one schema.
 */
public final class OrderMigrations {

    public static final String LOCATION = "classpath:db/migration/bulwark-orders";
    public static final String HISTORY_TABLE = "bulwark_orders_schema_history";

    private OrderMigrations() {}

    public static void migrateAll(String jdbcUrl, String user, String password, String schema) {
        DatabaseMigrations.migrate(jdbcUrl, user, password, schema);
        GuardMigrations.migrate(jdbcUrl, user, password, schema);
        Flyway.configure()
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
                .migrate();
    }
}
