package io.bulwark.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.UUID;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.Headers;

/**
 * Names and encoding of the Kafka headers that carry an {@link EventEnvelope}'s metadata.
 *
 * <p>The names match the Debezium Outbox Event Router's output as Bulwark configures it
 * ({@code id} is the router's own event-id header; the others are placed as headers by
 * {@code table.fields.additional.placement}). Every value is UTF-8 text.
 */
public final class EnvelopeHeaders {

    public static final String EVENT_ID = "id";
    public static final String EVENT_TYPE = "eventType";
    public static final String AGGREGATE_TYPE = "aggregateType";
    /** Also the record key; repeated as a header so the value can be read without the key. */
    public static final String AGGREGATE_ID = "aggregateId";

    public static final String AGGREGATE_VERSION = "aggregateVersion";
    public static final String OCCURRED_AT = "occurredAt";
    public static final String CORRELATION_ID = "correlationId";
    public static final String CAUSATION_ID = "causationId";
    public static final String TRACEPARENT = "traceparent";

    private EnvelopeHeaders() {}

    /** Writes the envelope's metadata into {@code headers}, replacing earlier values of the same names. */
    public static void write(EventEnvelope envelope, Headers headers) {
        put(headers, EVENT_ID, envelope.eventId().toString());
        put(headers, EVENT_TYPE, envelope.type());
        put(headers, AGGREGATE_TYPE, envelope.aggregateType());
        put(headers, AGGREGATE_ID, envelope.aggregateId());
        put(
                headers,
                AGGREGATE_VERSION,
                envelope.aggregateVersion() == null
                        ? null
                        : envelope.aggregateVersion().toString());
        put(headers, OCCURRED_AT, envelope.occurredAt().toString());
        put(headers, CORRELATION_ID, envelope.correlationId());
        put(headers, CAUSATION_ID, envelope.causationId());
        put(headers, TRACEPARENT, envelope.traceparent());
    }

    /**
     * Rebuilds an envelope from a record's headers and payload.
     *
     * @throws SerializationException naming the header that is missing or malformed
     */
    public static EventEnvelope read(Headers headers, JsonNode payload) {
        String id = required(headers, EVENT_ID);
        String occurredAt = required(headers, OCCURRED_AT);
        String version = text(headers, AGGREGATE_VERSION);
        try {
            return new EventEnvelope(
                    parseUuid(id),
                    required(headers, EVENT_TYPE),
                    required(headers, AGGREGATE_TYPE),
                    required(headers, AGGREGATE_ID),
                    version == null ? null : parseLong(version),
                    parseInstant(occurredAt),
                    text(headers, CORRELATION_ID),
                    text(headers, CAUSATION_ID),
                    text(headers, TRACEPARENT),
                    payload);
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new SerializationException(e.getMessage(), e);
        }
    }

    /** The text of the last header named {@code name}, or {@code null} when there is none. */
    public static String text(Headers headers, String name) {
        Header header = headers.lastHeader(name);
        return header == null || header.value() == null ? null : new String(header.value(), StandardCharsets.UTF_8);
    }

    private static String required(Headers headers, String name) {
        String value = text(headers, name);
        if (value == null || value.isBlank()) {
            throw new SerializationException("Event record has no '" + name + "' header");
        }
        return value;
    }

    private static void put(Headers headers, String name, String value) {
        headers.remove(name);
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static UUID parseUuid(String value) {
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            throw new SerializationException("Header '" + EVENT_ID + "' = '" + value + "' is not a UUID");
        }
    }

    private static long parseLong(String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new SerializationException("Header '" + AGGREGATE_VERSION + "' = '" + value + "' is not an integer");
        }
    }

    private static Instant parseInstant(String value) {
        try {
            return Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw new SerializationException(
                    "Header '" + OCCURRED_AT + "' = '" + value + "' is not an ISO-8601 instant");
        }
    }
}
