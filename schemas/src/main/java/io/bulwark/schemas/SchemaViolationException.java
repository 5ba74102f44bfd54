package io.bulwark.schemas;

import java.util.List;

/** A JSON document broke the schema it must follow; {@link #violations()} says where and how. */
public final class SchemaViolationException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String schema;
    private final List<String> violations;

    public SchemaViolationException(String schema, List<String> violations) {
        super("'" + schema + "' violated: " + String.join("; ", violations));
        this.schema = schema;
        this.violations = List.copyOf(violations);
    }

    /** Which schema was broken: {@code envelope} or an event type name. */
    public String schema() {
        return schema;
    }

    /** One line per violation: the JSON path and what is wrong there. */
    public List<String> violations() {
        return violations;
    }
}
