package io.bulwark.connectors;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class DatabaseMigrationsTest {

    @Test
    void shouldCreateHeartbeatTableOnceAndBeIdempotent(PostgresService postgres) throws Exception {
        String schema = "mig_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

        int first = DatabaseMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), schema);
        int second = DatabaseMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), schema);

        assertThat(first).isPositive();
        assertThat(second).isZero();
        try (Connection c = postgres.connect();
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + schema + ".bulwark_heartbeat")) {
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(1);
        }
    }
}
