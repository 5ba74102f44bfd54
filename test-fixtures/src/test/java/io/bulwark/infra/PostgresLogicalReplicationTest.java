package io.bulwark.infra;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.junit.SharedInfraExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class PostgresLogicalReplicationTest {

    @Test
    void shouldRunWithLogicalWalLevel(PostgresService postgres) throws Exception {
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SHOW wal_level")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("logical");
        }
    }

    @Test
    void shouldCreateAndDropPgoutputReplicationSlot(PostgresService postgres) throws Exception {
        String slot =
                "bulwark_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            try (ResultSet rs = s.executeQuery(
                    "SELECT slot_name FROM pg_create_logical_replication_slot('" + slot + "', 'pgoutput')")) {
                assertThat(rs.next()).isTrue();
                assertThat(rs.getString(1)).isEqualTo(slot);
            }
            assertThat(slotExists(s, slot)).isTrue();
            s.execute("SELECT pg_drop_replication_slot('" + slot + "')");
            assertThat(slotExists(s, slot)).isFalse();
        }
    }

    @Test
    void shouldIsolateTestsInUniqueSchemas(PostgresService postgres) throws Exception {
        String first = postgres.createUniqueSchema("iso");
        String second = postgres.createUniqueSchema("iso");
        assertThat(first).isNotEqualTo(second).startsWith("iso_");
        try (Connection c = postgres.connect();
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + first + ".t (id int)");
            try (ResultSet rs = s.executeQuery(
                    "SELECT count(*) FROM information_schema.tables WHERE table_schema = '" + second + "'")) {
                rs.next();
                assertThat(rs.getInt(1)).isZero();
            }
        }
    }

    private static boolean slotExists(Statement s, String slot) throws Exception {
        try (ResultSet rs =
                s.executeQuery("SELECT plugin FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
            return rs.next() && rs.getString(1).equals("pgoutput");
        }
    }
}
