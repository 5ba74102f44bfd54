package io.bulwark.connectors.outbox;

import java.util.Objects;
import java.util.regex.Pattern;

/** The outbox table's location: {@code <schema>.bulwark_outbox}, next to its heartbeat table. */
public record OutboxTable(String schema) {

    public static final String TABLE = "bulwark_outbox";
    public static final String HEARTBEAT_TABLE = "bulwark_heartbeat";

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    public OutboxTable {
        Objects.requireNonNull(schema, "schema");
        if (!IDENTIFIER.matcher(schema).matches()) {
            throw new IllegalArgumentException("Schema name '" + schema
                    + "' must be a lower-case SQL identifier (letters, digits, '_', at most 63)");
        }
    }

    /** {@code schema.bulwark_outbox}, safe to splice into SQL (validated above). */
    public String qualified() {
        return schema + "." + TABLE;
    }

    public String qualifiedHeartbeat() {
        return schema + "." + HEARTBEAT_TABLE;
    }
}
