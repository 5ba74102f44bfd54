package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.Ports;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * connectors/outbox-connector.json, POSTed unchanged (but for test-unique slot names) to a real
 * Kafka Connect worker, produces the same records as the embedded relay for the same rows. The
 * worker runs standalone in its own JVM, so its {@code ${env:…}} references resolve through
 * Kafka's EnvVarConfigProvider from a real environment, exactly as in docker-compose.
 */
@ExtendWith(SharedInfraExtension.class)
class ConnectWorkerParityTest {

    @Test
    void shouldProduceTheSameRecordsAsTheRelay(PostgresService postgres, KafkaService kafka, @TempDir Path dir)
            throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        String prefix = "connect-" + outbox.id + "-";
        outbox.commit(RelayModeParityTest.sampleEvents(prefix));

        try (TopicReader reader = new TopicReader(
                kafka.bootstrapServers(), Topics.ORDER_EVENTS.name(), r -> new String(r.key()).startsWith(prefix))) {
            try (OutboxRelay relay =
                    OutboxRelay.start(outbox.relaySettings(), OutboxFixture.SCHEMAS, new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().size() >= 3);
            } finally {
                outbox.dropSlot();
            }

            Process worker = startWorker(outbox, kafka, dir);
            try {
                postConnector(outbox);
                await().atMost(Duration.ofSeconds(90)).until(() -> reader.poll().size() >= 6);
            } finally {
                worker.destroy();
                worker.waitFor(30, TimeUnit.SECONDS);
                dropSlot(outbox, "connect_" + outbox.id);
            }
            Map<String, List<ConsumerRecord<byte[], byte[]>>> byId = RecordParity.byEventId(reader.drainToEnd());
            assertThat(byId).hasSize(3);
            byId.forEach((id, copies) -> {
                assertThat(copies).as("relay copy and Connect copy of %s", id).hasSize(2);
                RecordParity.assertIdentical(copies.get(0), copies.get(1));
            });
        }
    }

    private int restPort;

    private Process startWorker(OutboxFixture outbox, KafkaService kafka, Path dir) throws Exception {
        restPort = Ports.freePort();
        Path workerProperties = dir.resolve("worker.properties");
        Files.writeString(
                workerProperties,
                String.join(
                        "\n",
                        "bootstrap.servers=" + kafka.bootstrapServers(),
                        "key.converter=org.apache.kafka.connect.storage.StringConverter",
                        "value.converter=org.apache.kafka.connect.json.JsonConverter",
                        "offset.storage.file.filename=" + dir.resolve("connect.offsets"),
                        "offset.flush.interval.ms=1000",
                        "listeners=http://127.0.0.1:" + restPort,
                        "plugin.discovery=service_load",
                        "config.providers=env",
                        "config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider",
                        ""));
        String java = ProcessHandle.current().info().command().orElse("java");
        ProcessBuilder builder = new ProcessBuilder(
                        java,
                        "-Xmx512m",
                        "-cp",
                        System.getProperty("java.class.path"),
                        "org.apache.kafka.connect.cli.ConnectStandalone",
                        workerProperties.toString())
                .redirectErrorStream(true)
                .redirectOutput(Path.of("target", "connect-worker.log").toFile());
        Map<String, String> env = builder.environment();
        env.put("BULWARK_RELAY_DB_HOST", outbox.postgres.host());
        env.put("BULWARK_RELAY_DB_PORT", Integer.toString(outbox.postgres.port()));
        env.put("BULWARK_RELAY_DB_NAME", outbox.postgres.database());
        env.put("BULWARK_RELAY_DB_SCHEMA", outbox.table.schema());
        env.put("BULWARK_RELAY_CAPTURE_USER", outbox.postgres.username());
        env.put("BULWARK_RELAY_CAPTURE_PASSWORD", outbox.postgres.password());
        Process process = builder.start();
        HttpClient http = HttpClient.newHttpClient();
        await().atMost(Duration.ofSeconds(60))
                .failFast(() -> !process.isAlive())
                .ignoreExceptions()
                .until(() -> http.send(
                                        HttpRequest.newBuilder(
                                                        URI.create("http://127.0.0.1:" + restPort + "/connectors"))
                                                .build(),
                                        HttpResponse.BodyHandlers.ofString())
                                .statusCode()
                        == 200);
        return process;
    }

    private void postConnector(OutboxFixture outbox) throws Exception {
        ObjectNode body = (ObjectNode) Json.mapper().readTree(Files.readString(Path.of("outbox-connector.json")));
        ObjectNode config = (ObjectNode) body.get("config");
        config.put("slot.name", "connect_" + outbox.id);
        config.put("publication.name", "connect_pub_" + outbox.id);
        config.put("topic.prefix", "connect-" + outbox.id);
        HttpResponse<String> created = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + "/connectors"))
                                .header("Content-Type", "application/json")
                                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    }

    private static void dropSlot(OutboxFixture outbox, String slot) {
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> {
            try (var c = outbox.postgres.connect();
                    var s = c.createStatement()) {
                s.execute("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = '"
                        + slot + "' AND NOT active");
                try (var rs =
                        s.executeQuery("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "'")) {
                    rs.next();
                    return rs.getInt(1) == 0;
                }
            }
        });
    }
}
