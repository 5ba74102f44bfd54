package io.bulwark.connectors.outbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class OutboxWriterTest {

    private PostgresService postgres;
    private OutboxTable table;
    private OutboxWriter writer;

    @BeforeEach
    void setUp(PostgresService postgres) {
        this.postgres = postgres;
        this.table = new OutboxTable(
                "writer_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10));
        DatabaseMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), table.schema());
        this.writer = new OutboxWriter(EventSchemas.load(), table);
    }

    @Test
    void shouldWriteEventsWhenCallerCommits() throws Exception {
        EventEnvelope first = event("o-1");
        EventEnvelope second = event("o-1");
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            writer.appendAll(c, List.of(first, second));
            assertThat(countFromOtherConnection()).as("invisible before commit").isZero();
            c.commit();
        }
        assertThat(countFromOtherConnection()).isEqualTo(2);
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT event_id, payload->>'orderId', aggregate_version FROM "
                        + table.qualified() + " ORDER BY seq")) {
            rs.next();
            assertThat(rs.getObject(1)).isEqualTo(first.eventId());
            assertThat(rs.getString(2)).isEqualTo("o-1");
            assertThat(rs.getLong(3)).isEqualTo(3L);
        }
    }

    @Test
    void shouldLeaveNothingWhenCallerRollsBack() throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            writer.append(c, event("o-2"));
            c.rollback();
        }
        assertThat(countFromOtherConnection()).isZero();
    }

    @Test
    void shouldRejectSchemaInvalidEventBeforeWritingAnything() throws Exception {
        ObjectNode bad = Json.mapper().createObjectNode().put("orderId", "o-3");
        EventEnvelope invalid = EventEnvelope.newEvent("OrderPlaced", "order", "o-3", bad, Clock.systemUTC());
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            assertThatThrownBy(() -> writer.appendAll(c, List.of(event("o-3"), invalid)))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining(invalid.eventId().toString())
                    .hasMessageContaining("customerId");
            // The valid event before it was not written either, and the transaction is still usable.
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table.qualified())) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
            c.rollback();
        }
    }

    @Test
    void shouldRejectPayloadThatIsNotJson() {
        assertThatThrownBy(() -> OutboxWriter.parsePayload("{\"orderId\": "))
                .isInstanceOf(InvalidEventException.class)
                .hasMessageContaining("not JSON");
    }

    @Test
    void shouldRefuseAutoCommitConnection() throws Exception {
        try (Connection c = postgres.connect()) {
            assertThatThrownBy(() -> writer.append(c, event("o-4")))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining("setAutoCommit(false)");
        }
        assertThat(countFromOtherConnection()).isZero();
    }

    @Test
    void shouldFailOnDuplicateEventIdAndLeaveRollbackToCaller() throws Exception {
        EventEnvelope event = event("o-5");
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            writer.append(c, event);
            c.commit();
            assertThatThrownBy(() -> writer.append(c, event)).isInstanceOf(SQLException.class);
            c.rollback();
        }
        assertThat(countFromOtherConnection()).isEqualTo(1);
    }

    @Test
    void shouldWriteAnEventInTheCallersStatementOnlyWhenItsSourceYieldsARow() throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            for (boolean written : new boolean[] {true, false}) {
                try (PreparedStatement s =
                        c.prepareStatement("WITH done AS (SELECT 1 WHERE ?) " + writer.insertFrom("done"))) {
                    s.setBoolean(1, written);
                    assertThat(writer.bind(s, 2, event(written ? "o-6" : "o-7")))
                            .as("the index after the event's ten values")
                            .isEqualTo(12);
                    assertThat(s.executeUpdate()).isEqualTo(written ? 1 : 0);
                }
            }
            c.commit();
        }
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery(
                        "SELECT aggregate_id, payload->>'currency', aggregate_version FROM " + table.qualified())) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("o-6");
            assertThat(rs.getString(2)).isEqualTo("EUR");
            assertThat(rs.getLong(3)).isEqualTo(3L);
            assertThat(rs.next()).as("nothing from the empty source").isFalse();
        }
    }

    @Test
    void shouldRefuseToBindAnInvalidEventOrOneOutsideATransaction() throws Exception {
        ObjectNode bad = Json.mapper().createObjectNode().put("orderId", "o-8");
        EventEnvelope invalid = EventEnvelope.newEvent("OrderPlaced", "order", "o-8", bad, Clock.systemUTC());
        try (Connection c = postgres.connect();
                PreparedStatement s = c.prepareStatement("WITH done AS (SELECT 1) " + writer.insertFrom("done"))) {
            assertThatThrownBy(() -> writer.bind(s, 1, event("o-8")))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining("setAutoCommit(false)");
            c.setAutoCommit(false);
            assertThatThrownBy(() -> writer.bind(s, 1, invalid))
                    .isInstanceOf(InvalidEventException.class)
                    .hasMessageContaining("customerId");
            c.rollback();
        }
        assertThat(countFromOtherConnection()).isZero();
    }

    private int countFromOtherConnection() throws SQLException {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table.qualified())) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static EventEnvelope event(String orderId) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", "c-1")
                .put("totalCents", 100)
                .put("currency", "EUR");
        payload.putArray("lines").addObject().put("sku", "s").put("quantity", 1).put("unitPriceCents", 100);
        return EventEnvelope.newEvent("OrderPlaced", "order", orderId, payload, Clock.systemUTC())
                .withAggregateVersion(3);
    }
}
