package io.bulwark.orders;

import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.guard.GuardMigrations;
import io.bulwark.guard.SharedSchemaMigrations;

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
        SharedSchemaMigrations.migrate(jdbcUrl, user, password, schema, LOCATION, HISTORY_TABLE);
    }
}
