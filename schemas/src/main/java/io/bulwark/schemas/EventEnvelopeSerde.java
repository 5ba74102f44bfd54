package io.bulwark.schemas;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Serde for {@link EventEnvelope} in one of two wire forms.
 *
 * <ul>
 *   <li>{@link #inHeaders} — the topic form: the value is the payload JSON and the metadata is in
 *       {@link EnvelopeHeaders headers}, exactly what the Debezium Outbox Event Router emits. It
 *       needs the headers-aware {@code serialize/deserialize} calls, which Kafka producers,
 *       consumers and Kafka Streams sources and sinks make; a call without headers fails.</li>
 *   <li>{@link #asJson} — the self-contained form: the whole envelope as one JSON document, for
 *       state stores and other places where headers do not travel.</li>
 * </ul>
 *
 * <p>The topic form can validate what it reads against the envelope and payload schemas
 * ({@link EventSchemas}); a violation is a {@link SerializationException} carrying the
 * {@link SchemaViolationException} as its cause.
 */
public final class EventEnvelopeSerde implements Serde<EventEnvelope> {

    private final Serializer<EventEnvelope> serializer;
    private final Deserializer<EventEnvelope> deserializer;

    private EventEnvelopeSerde(Serializer<EventEnvelope> serializer, Deserializer<EventEnvelope> deserializer) {
        this.serializer = serializer;
        this.deserializer = deserializer;
    }

    /** Topic form without validation on read. */
    public static EventEnvelopeSerde inHeaders() {
        return new EventEnvelopeSerde(new HeaderSerializer(), new HeaderDeserializer(null));
    }

    /** Topic form that validates every record it reads against {@code schemas}. */
    public static EventEnvelopeSerde inHeaders(EventSchemas schemas) {
        return new EventEnvelopeSerde(new HeaderSerializer(), new HeaderDeserializer(Objects.requireNonNull(schemas)));
    }

    /** Self-contained JSON form, without validation on read. */
    public static EventEnvelopeSerde asJson() {
        JsonSerde<EventEnvelope> json = JsonSerde.of(EventEnvelope.class);
        return new EventEnvelopeSerde(json.serializer(), json.deserializer());
    }

    @Override
    public Serializer<EventEnvelope> serializer() {
        return serializer;
    }

    @Override
    public Deserializer<EventEnvelope> deserializer() {
        return deserializer;
    }

    private static final class HeaderSerializer implements Serializer<EventEnvelope> {
        @Override
        public byte[] serialize(String topic, EventEnvelope data) {
            throw new SerializationException("EventEnvelope on topic '" + topic
                    + "' travels as headers plus payload; this caller passed no headers"
                    + " (use EventEnvelopeSerde.asJson() where headers do not travel)");
        }

        @Override
        public byte[] serialize(String topic, Headers headers, EventEnvelope data) {
            if (data == null) {
                return null;
            }
            EnvelopeHeaders.write(data, headers);
            try {
                return Json.mapper().writeValueAsBytes(data.payload());
            } catch (IOException e) {
                throw new SerializationException("Cannot write payload of event " + data.eventId(), e);
            }
        }
    }

    private static final class HeaderDeserializer implements Deserializer<EventEnvelope> {
        private final EventSchemas schemas;

        HeaderDeserializer(EventSchemas schemas) {
            this.schemas = schemas;
        }

        @Override
        public EventEnvelope deserialize(String topic, byte[] data) {
            throw new SerializationException("EventEnvelope on topic '" + topic
                    + "' travels as headers plus payload; this caller passed no headers");
        }

        @Override
        public EventEnvelope deserialize(String topic, Headers headers, byte[] data) {
            if (data == null) {
                return null;
            }
            JsonNode payload;
            try {
                payload = Json.mapper().readTree(data);
            } catch (IOException e) {
                throw new SerializationException(
                        "Record on topic '" + topic + "' has a payload that is not JSON: " + e.getMessage(), e);
            }
            if (payload == null || payload.isMissingNode()) {
                throw new SerializationException("Record on topic '" + topic + "' has an empty payload");
            }
            EventEnvelope envelope = EnvelopeHeaders.read(headers, payload);
            if (schemas != null) {
                try {
                    schemas.validate(envelope);
                } catch (SchemaViolationException e) {
                    throw new SerializationException(
                            "Record on topic '" + topic + "' breaks its schema: " + e.getMessage(), e);
                }
            }
            return envelope;
        }
    }
}
