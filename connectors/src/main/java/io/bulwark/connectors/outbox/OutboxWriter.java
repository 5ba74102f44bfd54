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

    private static final String COLUMNS = " (event_id, aggregate_type, aggregate_id, aggregate_version, event_type,"
            + " payload, occurred_at, correlation_id, causation_id, traceparent)";
    private static final String VALUES = "?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?";

    private final EventSchemas schemas;
    private final String table;
    private final String insertSql;

    public OutboxWriter(EventSchemas schemas, OutboxTable table) {
        this.schemas = Objects.requireNonNull(schemas, "schemas");
        this.table = table.qualified();
        this.insertSql = "INSERT INTO " + this.table + COLUMNS + " VALUES (" + VALUES + ")";
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
        requireTransaction(transaction);
        events.forEach(this::validate);
        try (PreparedStatement insert = transaction.prepareStatement(insertSql)) {
            for (EventEnvelope event : events) {
                bindValues(insert, 1, event);
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    /**
     * The outbox insert as the last part of a caller's statement, so that the event travels in the same round
     * trip as the business rows it belongs to: {@code INSERT INTO <outbox> (...) SELECT ?, ... FROM <source>},
     * one row per row of {@code source} (typically a {@code WITH} query of the same statement that returns one
     * row when the business write happened and none when it did not). Bind its ten values with {@link #bind}.
     */
    public String insertFrom(String source) {
        return "INSERT INTO " + table + COLUMNS + " SELECT " + VALUES + " FROM " + source;
    }

    /**
     * Validates {@code event} and binds it to the ten placeholders of {@link #insertFrom} in {@code statement},
     * starting at parameter {@code first}; returns the index after them.
     *
     * @throws InvalidEventException when the event breaks its schema or the statement's connection
     *     auto-commits; nothing has been executed then
     */
    public int bind(PreparedStatement statement, int first, EventEnvelope event) throws SQLException {
        requireTransaction(statement.getConnection());
        validate(event);
        return bindValues(statement, first, event);
    }

    private static void requireTransaction(Connection connection) throws SQLException {
        if (connection.getAutoCommit()) {
            throw new InvalidEventException("OutboxWriter writes only inside the caller's transaction: "
                    + "call setAutoCommit(false) and commit together with the business rows");
        }
    }

    private void validate(EventEnvelope event) {
        try {
            schemas.validate(event);
        } catch (SchemaViolationException e) {
            throw new InvalidEventException(
                    "Event " + event.eventId() + " of type " + event.type() + " is invalid: "
                            + String.join("; ", e.violations()),
                    e);
        }
    }

    private static int bindValues(PreparedStatement insert, int first, EventEnvelope event) throws SQLException {
        int i = first;
        insert.setObject(i++, event.eventId());
        insert.setString(i++, event.aggregateType());
        insert.setString(i++, event.aggregateId());
        if (event.aggregateVersion() == null) {
            insert.setNull(i++, Types.BIGINT);
        } else {
            insert.setLong(i++, event.aggregateVersion());
        }
        insert.setString(i++, event.type());
        insert.setString(i++, event.payload().toString());
        insert.setObject(i++, event.occurredAt().atOffset(ZoneOffset.UTC));
        insert.setString(i++, event.correlationId());
        insert.setString(i++, event.causationId());
        insert.setString(i++, event.traceparent());
        return i;
    }
}
