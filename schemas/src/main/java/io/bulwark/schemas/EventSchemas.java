package io.bulwark.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Validates envelopes and payloads against their JSON Schemas (draft 2020-12, formats asserted),
 * with the networknt validator.
 *
 * <p>Schemas are parsed once, when this object is built; validation is thread-safe. An event
 * whose type has no schema here is rejected: at the edges, unknown means invalid.
 */
public final class EventSchemas {

    /** Classpath resource of the envelope's schema. */
    public static final String ENVELOPE_SCHEMA = "io/bulwark/schemas/envelope.schema.json";

    /** The instants whose {@code toString} has a four-digit year, as {@code date-time} requires. */
    private static final long FIRST_FOUR_DIGIT_YEAR =
            Instant.parse("0001-01-01T00:00:00Z").getEpochSecond();

    private static final long LAST_FOUR_DIGIT_YEAR =
            Instant.parse("9999-12-31T23:59:59Z").getEpochSecond();

    private final Schema envelope;
    private final Map<String, Schema> payloads;

    private EventSchemas(Schema envelope, Map<String, Schema> payloads) {
        this.envelope = envelope;
        this.payloads = Map.copyOf(payloads);
    }

    /** The schemas of every type in {@link EventTypes#all()}, parsed anew. */
    public static EventSchemas load() {
        return load(EventTypes.all());
    }

    /**
     * The schemas of every type in {@link EventTypes#all()}, parsed once per JVM and shared: the topic
     * registry's serdes ({@link Topics}) validate with them.
     */
    public static EventSchemas standard() {
        return Standard.SCHEMAS;
    }

    private static final class Standard {
        static final EventSchemas SCHEMAS = load();
    }

    public static EventSchemas load(Collection<EventType> types) {
        SchemaRegistry registry = SchemaRegistry.withDefaultDialect(
                SpecificationVersion.DRAFT_2020_12,
                builder -> builder.schemaRegistryConfig(SchemaRegistryConfig.builder()
                        .formatAssertionsEnabled(true)
                        .build()));
        Map<String, Schema> payloads = new HashMap<>();
        for (EventType type : types) {
            if (payloads.put(type.name(), read(registry, type.schemaResource())) != null) {
                throw new IllegalArgumentException("Event type '" + type.name() + "' is listed twice");
            }
        }
        return new EventSchemas(read(registry, ENVELOPE_SCHEMA), payloads);
    }

    /** Validates the envelope's JSON form and then its payload against the payload schema of its type. */
    public void validate(EventEnvelope event) throws SchemaViolationException {
        if (!meetsEnvelopeSchema(event)) {
            // Rare (an invalid envelope, or a year outside 1–9999): the validator names what breaks it.
            check("envelope", envelope, Json.mapper().valueToTree(event));
        }
        validatePayload(event.type(), event.payload());
    }

    /**
     * Whether the envelope's JSON form certainly meets {@code envelope.schema.json}, decided without the validator:
     * {@link EventEnvelope}'s constructor already holds type, aggregate type and id, version and traceparent to
     * the schema's rules or stricter ones, and a {@code UUID} and an {@code Instant} always print in the
     * {@code uuid} and {@code date-time} formats within four-digit years; what it leaves open are the lengths of
     * the correlation and causation ids. {@code false} does not mean invalid: the schema then decides. Running the
     * validator on every record read (regexes for patterns and formats, a tree per record) was 13% of the dedup
     * benchmark's stream thread (PROFILES.md, 2026-12-03). {@code EventSchemasTest} holds this to the schema: it
     * never says yes where the schema says no, and it fails when the schema changes (this must be revisited then).
     */
    static boolean meetsEnvelopeSchema(EventEnvelope event) {
        long seconds = event.occurredAt().getEpochSecond();
        return idLength(event.correlationId())
                && idLength(event.causationId())
                && seconds >= FIRST_FOUR_DIGIT_YEAR
                && seconds <= LAST_FOUR_DIGIT_YEAR;
    }

    /** The schema's 1 to 255 characters (code points; a UTF-16 length within the bounds is within them too). */
    private static boolean idLength(String id) {
        return id == null || (!id.isEmpty() && id.length() <= 255);
    }

    /**
     * Validates an envelope in its JSON form, as it arrives from outside (HTTP, files), before it
     * is turned into an {@link EventEnvelope}; the payload is checked against its type's schema
     * when the envelope itself is valid.
     */
    public void validateEnvelopeJson(JsonNode json) throws SchemaViolationException {
        check("envelope", envelope, json);
        validatePayload(json.path("type").asText(), json.path("payload"));
    }

    /** Validates one payload against the schema of {@code type}. */
    public void validatePayload(String type, JsonNode payload) throws SchemaViolationException {
        Schema schema = payloads.get(type);
        if (schema == null) {
            throw new SchemaViolationException(
                    type,
                    List.of("$: no schema is registered for event type '" + type + "' (known: "
                            + String.join(
                                    ", ", payloads.keySet().stream().sorted().toList()) + ")"));
        }
        check(type, schema, payload);
    }

    public boolean knows(String type) {
        return payloads.containsKey(type);
    }

    private static void check(String name, Schema schema, JsonNode node) {
        List<Error> errors = schema.validate(node);
        if (!errors.isEmpty()) {
            throw new SchemaViolationException(
                    name, errors.stream().map(Error::toString).toList());
        }
    }

    private static Schema read(SchemaRegistry registry, String resource) {
        try (InputStream in = EventSchemas.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("JSON Schema resource not found on the classpath: " + resource);
            }
            return registry.getSchema(in);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read JSON Schema " + resource, e);
        }
    }
}
