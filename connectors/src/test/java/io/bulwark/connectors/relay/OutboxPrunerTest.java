package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class OutboxPrunerTest {

    @Test
    void shouldDeleteOnlyRowsPublishedLongerAgoThanRetentionInPollingMode(PostgresService postgres, KafkaService kafka)
            throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        EventEnvelope old = OutboxFixture.orderPlaced("p-1", 1);
        EventEnvelope recent = OutboxFixture.orderPlaced("p-1", 2);
        EventEnvelope unpublished = OutboxFixture.orderPlaced("p-1", 3);
        outbox.commit(List.of(old, recent, unpublished));
        execute(
                outbox,
                "UPDATE " + outbox.table.qualified()
                        + " SET published_at = now() - interval '2 days' WHERE event_id = '" + old.eventId() + "'");
        execute(
                outbox,
                "UPDATE " + outbox.table.qualified()
                        + " SET published_at = now() - interval '1 hour' WHERE event_id = '" + recent.eventId() + "'");

        try (OutboxPruner pruner = new OutboxPruner(
                outbox.database(),
                outbox.table,
                OutboxPruner.Mode.POLLING,
                Duration.ofDays(1),
                null,
                new SimpleMeterRegistry())) {
            assertThat(pruner.pruneOnce()).isEqualTo(1);
            assertThat(pruner.pruneOnce()).isZero();
        }
        assertThat(count(outbox)).isEqualTo(2);
    }

    @Test
    void shouldPruneByAgeInCdcModeOnlyOnceTheSlotExists(PostgresService postgres, KafkaService kafka) throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        outbox.commit(List.of(OutboxFixture.orderPlaced("p-2", 1), OutboxFixture.orderPlaced("p-2", 2)));
        execute(outbox, "UPDATE " + outbox.table.qualified() + " SET created_at = now() - interval '3 days'");
        String slot = "slot_" + outbox.id;

        try (OutboxPruner pruner = new OutboxPruner(
                outbox.database(),
                outbox.table,
                OutboxPruner.Mode.CDC,
                Duration.ofDays(1),
                slot,
                new SimpleMeterRegistry())) {
            assertThat(pruner.pruneOnce())
                    .as("no slot yet: rows not captured may not be pruned")
                    .isZero();
            execute(outbox, "SELECT pg_create_logical_replication_slot('" + slot + "', 'pgoutput')");
            assertThat(pruner.pruneOnce()).isEqualTo(2);
        } finally {
            outbox.dropSlot();
        }
        assertThat(count(outbox)).isZero();
    }

    private static void execute(OutboxFixture outbox, String sql) throws Exception {
        try (Connection c = outbox.postgres.connect();
                Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static int count(OutboxFixture outbox) throws Exception {
        try (Connection c = outbox.postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + outbox.table.qualified())) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
