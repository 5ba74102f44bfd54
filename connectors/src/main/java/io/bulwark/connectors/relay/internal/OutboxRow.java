package io.bulwark.connectors.relay.internal;

import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.UUID;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * One outbox row, and the Kafka record the Outbox Event Router makes of it — built here
 * byte for byte as the CDC path builds it, so both relay modes publish identical records.
 */
public record OutboxRow(
        long seq,
        UUID eventId,
        String aggregateType,
        String aggregateId,
        Long aggregateVersion,
        String eventType,
        String payloadJson,
        OffsetDateTime occurredAt,
        String correlationId,
        String causationId,
        String traceparent) {

    /** Debezium's ZonedTimestamp for a timestamptz(6) column: always six fraction digits, 'Z' for UTC. */
    private static final DateTimeFormatter OCCURRED_AT_FORMAT =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSSSSSXXX");

    /** The columns {@link #read} expects, in order. */
    public static final String COLUMNS = "seq, event_id, aggregate_type, aggregate_id, aggregate_version, event_type,"
            + " payload::text, occurred_at, correlation_id, causation_id, traceparent";

    public static OutboxRow read(ResultSet rs) throws SQLException {
        long version = rs.getLong(5);
        Long aggregateVersion = rs.wasNull() ? null : version;
        return new OutboxRow(
                rs.getLong(1),
                rs.getObject(2, UUID.class),
                rs.getString(3),
                rs.getString(4),
                aggregateVersion,
                rs.getString(6),
                rs.getString(7),
                rs.getObject(8, OffsetDateTime.class),
                rs.getString(9),
                rs.getString(10),
                rs.getString(11));
    }

    /**
     * Topic {@code bulwark.<aggregate_type>.events}, key the aggregate id, value the payload as
     * compact JSON, headers {@code id} then the additional fields in the connector's order. Values
     * are text as Kafka Connect's {@code SimpleHeaderConverter} writes them; an SQL NULL is a header
     * with a null value; {@code occurred_at} is ISO-8601 in UTC with microseconds, as Debezium's
     * {@code ZonedTimestamp}.
     */
    public ProducerRecord<byte[], byte[]> toRecord() {
        RecordHeaders headers = new RecordHeaders();
        add(headers, EnvelopeHeaders.EVENT_ID, eventId.toString());
        add(headers, EnvelopeHeaders.EVENT_TYPE, eventType);
        add(headers, EnvelopeHeaders.AGGREGATE_TYPE, aggregateType);
        add(headers, EnvelopeHeaders.AGGREGATE_ID, aggregateId);
        add(headers, EnvelopeHeaders.AGGREGATE_VERSION, aggregateVersion == null ? null : aggregateVersion.toString());
        add(
                headers,
                EnvelopeHeaders.OCCURRED_AT,
                OCCURRED_AT_FORMAT.format(occurredAt.withOffsetSameInstant(ZoneOffset.UTC)));
        add(headers, EnvelopeHeaders.CORRELATION_ID, correlationId);
        add(headers, EnvelopeHeaders.CAUSATION_ID, causationId);
        add(headers, EnvelopeHeaders.TRACEPARENT, traceparent);
        return new ProducerRecord<>(
                Topics.eventTopicName(aggregateType),
                null,
                aggregateId.getBytes(StandardCharsets.UTF_8),
                compactJson(payloadJson),
                headers);
    }

    private static byte[] compactJson(String json) {
        try {
            return Json.mapper().writeValueAsBytes(Json.mapper().readTree(json));
        } catch (IOException e) {
            // jsonb is always JSON; keep the text so the publisher dead-letters it with the cause
            return json.getBytes(StandardCharsets.UTF_8);
        }
    }

    private static void add(RecordHeaders headers, String name, String value) {
        headers.add(name, value == null ? null : value.getBytes(StandardCharsets.UTF_8));
    }
}
