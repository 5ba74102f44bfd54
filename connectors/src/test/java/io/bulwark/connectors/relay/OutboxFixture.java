package io.bulwark.connectors.relay;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.outbox.OutboxWriter;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.Topics;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;

/** One test's own outbox: a fresh schema, its own slot, publication and offsets topic. */
final class OutboxFixture {

    static final EventSchemas SCHEMAS = EventSchemas.load();

    final PostgresService postgres;
    final KafkaService kafka;
    final String id = UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    final OutboxTable table = new OutboxTable("outbox_" + id);
    final OutboxWriter writer = new OutboxWriter(SCHEMAS, table);

    OutboxFixture(PostgresService postgres, KafkaService kafka) throws Exception {
        this.postgres = postgres;
        this.kafka = kafka;
        DatabaseMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), table.schema());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Set<String> existing = admin.listTopics().names().get();
            List<NewTopic> missing = Topics.all().stream()
                    .filter(t -> !existing.contains(t.name()))
                    .map(t -> t.newTopic((short) 1))
                    .toList();
            try {
                admin.createTopics(missing).all().get();
            } catch (Exception e) {
                // created concurrently by another test class: fine
            }
            TopicLeaders.await(admin, Topics.all().stream().map(t -> t.name()).toList(), Duration.ofSeconds(60));
        }
    }

    Database database() {
        return new Database(
                postgres.host(), postgres.port(), postgres.database(), postgres.username(), postgres.password());
    }

    OutboxRelay.Settings relaySettings() {
        return OutboxRelay.Settings.of(kafka.bootstrapServers(), database(), table)
                .withOffsetsTopic("relay-offsets-" + id)
                .withOverrides(Map.of(
                        "slot.name", "slot_" + id,
                        "publication.name", "pub_" + id,
                        "topic.prefix", "outbox-" + id));
    }

    /** An OrderPlaced event for {@code orderId}, its instant cut to microseconds as Postgres keeps it. */
    static EventEnvelope orderPlaced(String orderId, long version) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", "c-" + orderId)
                .put("totalCents", (int) (1999 + version))
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", "sku-1")
                .put("quantity", 1)
                .put("unitPriceCents", (int) (1999 + version));
        return new EventEnvelope(
                UUID.randomUUID(),
                "OrderPlaced",
                "order",
                orderId,
                version,
                Instant.now().truncatedTo(ChronoUnit.MICROS),
                "corr-" + orderId,
                null,
                "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                payload);
    }

    /** Writes events in one committed transaction. */
    void commit(List<EventEnvelope> events) throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            writer.appendAll(c, events);
            c.commit();
        }
    }

    /** Writes events in a transaction that is rolled back. */
    void rollback(List<EventEnvelope> events) throws Exception {
        try (Connection c = postgres.connect()) {
            c.setAutoCommit(false);
            writer.appendAll(c, events);
            c.rollback();
        }
    }

    /** Inserts a row by hand, bypassing OutboxWriter's validation, as a careless human might. */
    void insertRaw(UUID eventId, String aggregateType, String aggregateId, String eventType, String payloadJson)
            throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("INSERT INTO " + table.qualified()
                    + " (event_id, aggregate_type, aggregate_id, event_type, payload,"
                    + " occurred_at) VALUES ('" + eventId + "', '" + aggregateType + "', '" + aggregateId + "', '"
                    + eventType + "', '" + payloadJson.replace("'", "''") + "'::jsonb, now())");
        }
    }

    /** Rows the polling relay has not marked published yet. */
    int unpublished() throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT count(*) FROM " + table.qualified() + " WHERE published_at IS NULL")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /**
     * Writes WAL the relay does not capture (a table outside the publication) and returns the WAL
     * position after it, as bytes from 0/0.
     */
    long writeUncapturedWal() throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS " + table.schema() + ".uncaptured (n int)");
            s.execute("INSERT INTO " + table.schema() + ".uncaptured SELECT generate_series(1, 1000)");
            try (var rs = s.executeQuery("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint")) {
                rs.next();
                return rs.getLong(1);
            }
        }
    }

    /** The slot's confirmed flush position as bytes from 0/0, or -1 while the slot does not exist. */
    long confirmedFlushLsn() throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                var rs = s.executeQuery("SELECT pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint"
                        + " FROM pg_replication_slots WHERE slot_name = 'slot_" + id + "'")) {
            return rs.next() ? rs.getLong(1) : -1;
        }
    }

    /** Drops the slot so the shared database does not keep WAL for a finished test. */
    void dropSlot() {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'slot_"
                    + id + "' AND NOT active");
        } catch (Exception ignored) {
            // best effort
        }
    }
}
