package io.bulwark.schemas;

import java.util.Objects;

/**
 * One kind of event: its name (the envelope's {@code type}), the aggregate type it belongs to,
 * and the classpath resource of its payload's JSON Schema.
 */
public record EventType(String name, String aggregateType, String schemaResource) {

    public EventType {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(aggregateType, "aggregateType");
        Objects.requireNonNull(schemaResource, "schemaResource");
    }
}
