package io.bulwark.infra;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dev-stack keeps its data across restarts; these servers must resume from their directories. */
class EmbeddedRestartTest {

    @Test
    void shouldKeepTopicsWhenKafkaRestartsOnSameDirectory(@TempDir Path dir) throws Exception {
        try (EmbeddedKafkaBroker kafka =
                EmbeddedKafkaBroker.builder(dir).build().start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("survivor", 2, (short) 1)))
                        .all()
                        .get();
            }
        }
        try (EmbeddedKafkaBroker kafka =
                        EmbeddedKafkaBroker.builder(dir).build().start();
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            assertThat(admin.listTopics().names().get()).contains("survivor");
        }
    }

    @Test
    void shouldKeepRowsWhenPostgresRestartsOnSameDirectory(@TempDir Path dir) throws Exception {
        try (EmbeddedPostgresServer pg =
                        EmbeddedPostgresServer.builder(dir).build().start();
                var c = pg.connect();
                var s = c.createStatement()) {
            s.execute("CREATE TABLE kept (v text)");
            s.execute("INSERT INTO kept VALUES ('still here')");
        }
        try (EmbeddedPostgresServer pg =
                        EmbeddedPostgresServer.builder(dir).build().start();
                var c = pg.connect();
                var s = c.createStatement();
                var rs = s.executeQuery("SELECT v FROM kept")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("still here");
        }
    }

    @Test
    void shouldReleasePortAndProcessWhenRedisStops(@TempDir Path dir) {
        EmbeddedRedisServer redis = EmbeddedRedisServer.builder(dir).build().start();
        long pid = redis.pid().orElseThrow();
        assertThat(Ports.isListening(redis.port())).isTrue();
        redis.close();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false))
                .isFalse();
        assertThat(Ports.isListening(redis.port())).isFalse();
    }
}
