package io.bulwark.schemas;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Clock;
import java.time.Instant;
import java.util.Comparator;
import java.util.Objects;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The metadata every Bulwark event carries, and its payload.
 *
 * <p>On Kafka the envelope travels split, in the shape Debezium's Outbox Event Router produces:
 * the record key is the aggregate id, the value is the payload, and the other fields are headers
 * (see {@link EnvelopeHeaders}). Its JSON form (this record serialized by {@link Json#mapper()})
 * is what {@code envelope.schema.json} describes.
 *
 * @param eventId unique id of this event; the deduplication key
 * @param type event type, PascalCase and past tense for events ({@code OrderPlaced})
 * @param aggregateType type of the aggregate the event belongs to ({@code order}); routes the topic
 * @param aggregateId id of that aggregate; the Kafka record key
 * @param aggregateVersion version of the aggregate after this event, or {@code null} where the
 *     source has no versioned aggregate
 * @param occurredAt when the event happened, by the producer's clock
 * @param correlationId id shared by every message of one business flow, or {@code null}
 * @param causationId id of the message that caused this one, or {@code null}
 * @param traceparent W3C Trace Context {@code traceparent}, or {@code null}
 * @param payload the event body, validated against the event type's JSON Schema at the edges
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EventEnvelope(
        UUID eventId,
        String type,
        String aggregateType,
        String aggregateId,
        Long aggregateVersion,
        Instant occurredAt,
        String correlationId,
        String causationId,
        String traceparent,
        JsonNode payload) {

    private static final Pattern TYPE = Pattern.compile("[A-Z][A-Za-z0-9]{0,127}");
    private static final Pattern AGGREGATE_TYPE = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    private static final Pattern TRACEPARENT =
            Pattern.compile("[0-9a-f]{2}-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}");

    public EventEnvelope {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(occurredAt, "occurredAt");
        Objects.requireNonNull(payload, "payload");
        require(
                type != null && TYPE.matcher(type).matches(),
                "type",
                type,
                "PascalCase letters and digits, at most 128 characters");
        require(
                aggregateType != null && AGGREGATE_TYPE.matcher(aggregateType).matches(),
                "aggregateType",
                aggregateType,
                "lower case letters, digits and '-', at most 64 characters");
        require(
                aggregateId != null && !aggregateId.isBlank() && aggregateId.length() <= 255,
                "aggregateId",
                aggregateId,
                "non-blank, at most 255 characters");
        require(
                aggregateVersion == null || aggregateVersion >= 0,
                "aggregateVersion",
                aggregateVersion,
                "null or >= 0");
        require(
                traceparent == null || TRACEPARENT.matcher(traceparent).matches(),
                "traceparent",
                traceparent,
                "W3C Trace Context format version-traceid-parentid-flags");
        require(!payload.isMissingNode(), "payload", "<missing>", "a JSON value");
    }

    /**
     * A new event with a random id, stamped with {@code clock}'s current instant. Add the optional
     * fields with the {@code with…} methods.
     */
    public static EventEnvelope newEvent(
            String type, String aggregateType, String aggregateId, JsonNode payload, Clock clock) {
        return new EventEnvelope(
                UUID.randomUUID(), type, aggregateType, aggregateId, null, clock.instant(), null, null, null, payload);
    }

    public EventEnvelope withAggregateVersion(long version) {
        return new EventEnvelope(
                eventId,
                type,
                aggregateType,
                aggregateId,
                version,
                occurredAt,
                correlationId,
                causationId,
                traceparent,
                payload);
    }

    public EventEnvelope withCorrelation(String correlationId, String causationId) {
        return new EventEnvelope(
                eventId,
                type,
                aggregateType,
                aggregateId,
                aggregateVersion,
                occurredAt,
                correlationId,
                causationId,
                traceparent,
                payload);
    }

    public EventEnvelope withTraceparent(String traceparent) {
        return new EventEnvelope(
                eventId,
                type,
                aggregateType,
                aggregateId,
                aggregateVersion,
                occurredAt,
                correlationId,
                causationId,
                traceparent,
                payload);
    }

    /**
     * Equal when every field is equal, payloads compared as JSON values: numbers by value, so a
     * payload built with {@code long}s equals the same payload read back from bytes (where Jackson
     * picks the smallest integer type).
     */
    @Override
    public boolean equals(Object other) {
        return other instanceof EventEnvelope that
                && eventId.equals(that.eventId)
                && type.equals(that.type)
                && aggregateType.equals(that.aggregateType)
                && aggregateId.equals(that.aggregateId)
                && Objects.equals(aggregateVersion, that.aggregateVersion)
                && occurredAt.equals(that.occurredAt)
                && Objects.equals(correlationId, that.correlationId)
                && Objects.equals(causationId, that.causationId)
                && Objects.equals(traceparent, that.traceparent)
                && payload.equals(NUMBERS_BY_VALUE, that.payload);
    }

    /** Consistent with {@link #equals}: equal envelopes have the same event id. */
    @Override
    public int hashCode() {
        return eventId.hashCode();
    }

    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private static void require(boolean ok, String field, Object value, String rule) {
        if (!ok) {
            throw new IllegalArgumentException(
                    "Invalid event envelope: " + field + " = '" + value + "' must be " + rule);
        }
    }
}
