package io.bulwark.connectors.outbox;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.SchemaViolationException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Objects;

/**
 * Appends events to the outbox inside the caller's JDBC transaction.
 *
 * <p>It never opens, commits or rolls back a transaction: the events become visible — and are
 * published — exactly when the caller's business rows commit, and vanish with them on rollback.
 * A connection in auto-commit mode is refused, because an outbox row committed on its own breaks
 * that promise. Every event is validated against its type's JSON Schema before the first row is
 * written, so an invalid event leaves nothing behind.
 */
public final class OutboxWriter {

    private final EventSchemas schemas;
    private final String insertSql;

    public OutboxWriter(EventSchemas schemas, OutboxTable table) {
        this.schemas = Objects.requireNonNull(schemas, "schemas");
        this.insertSql = "INSERT INTO " + table.qualified() + " (event_id, aggregate_type, aggregate_id,"
                + " aggregate_version, event_type, payload, occurred_at, correlation_id, causation_id, traceparent)"
                + " VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?)";
    }

    /**
     * Parses a payload given as JSON text, for callers that hold text (HTTP bodies, files).
     *
     * @throws InvalidEventException when the text is not JSON
     */
    public static JsonNode parsePayload(String json) {
        try {
            JsonNode node = Json.mapper().readTree(json);
            if (node == null || node.isMissingNode()) {
                throw new InvalidEventException("Event payload is empty");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw new InvalidEventException("Event payload is not JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** Appends one event; see {@link #appendAll}. */
    public void append(Connection transaction, EventEnvelope event) throws SQLException {
        appendAll(transaction, List.of(event));
    }

    /**
     * Validates every event, then inserts them in order, in one batch, in the caller's transaction.
     *
     * @throws InvalidEventException when an event breaks its schema or the connection auto-commits;
     *     nothing has been written then
     * @throws SQLException from the insert (for example a duplicate event id); the caller's
     *     transaction is then aborted, as always in PostgreSQL, and must be rolled back
     */
    public void appendAll(Connection transaction, List<EventEnvelope> events) throws SQLException {
        if (transaction.getAutoCommit()) {
            throw new InvalidEventException("OutboxWriter writes only inside the caller's transaction: "
                    + "call setAutoCommit(false) and commit together with the business rows");
        }
        for (EventEnvelope event : events) {
            try {
                schemas.validate(event);
            } catch (SchemaViolationException e) {
                throw new InvalidEventException(
                        "Event " + event.eventId() + " of type " + event.type() + " is invalid: "
                                + String.join("; ", e.violations()),
                        e);
            }
        }
        try (PreparedStatement insert = transaction.prepareStatement(insertSql)) {
            for (EventEnvelope event : events) {
                insert.setObject(1, event.eventId());
                insert.setString(2, event.aggregateType());
                insert.setString(3, event.aggregateId());
                if (event.aggregateVersion() == null) {
                    insert.setNull(4, Types.BIGINT);
                } else {
                    insert.setLong(4, event.aggregateVersion());
                }
                insert.setString(5, event.type());
                insert.setString(6, event.payload().toString());
                insert.setObject(7, event.occurredAt().atOffset(ZoneOffset.UTC));
                insert.setString(8, event.correlationId());
                insert.setString(9, event.causationId());
                insert.setString(10, event.traceparent());
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }
}
