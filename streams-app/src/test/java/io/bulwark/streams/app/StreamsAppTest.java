package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The app against the embedded broker. The registry's topic names are fixed, so this class uses
 * the shared broker's real topics and a unique application id; other suites in this JVM do not
 * write the order topic.
 */
@ExtendWith(SharedInfraExtension.class)
class StreamsAppTest {

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void shouldServeHealthAndMetricsDeadLetterPoisonAndStopWithinTimeout(KafkaService kafka, @TempDir Path state)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
        }
        AppConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        AppConfig.BOOTSTRAP_SERVERS,
                        kafka.bootstrapServers(),
                        AppConfig.APPLICATION_ID,
                        "streams-app-test-" + UUID.randomUUID(),
                        AppConfig.STATE_DIR,
                        state.toString(),
                        AppConfig.HTTP_PORT,
                        "0"));
        StreamsApp app = StreamsApp.start(config, BulwarkTopology.create(config));
        try {
            String base = "http://127.0.0.1:" + app.httpPort();
            await().atMost(Duration.ofSeconds(60))
                    .untilAsserted(() ->
                            assertThat(get(base + "/health/ready").statusCode()).isEqualTo(200));
            HttpResponse<String> health = get(base + "/health");
            assertThat(health.body()).contains("\"status\":\"UP\"").contains("\"state\":\"RUNNING\"");
            assertThat(get(base + "/health/live").statusCode()).isEqualTo(200);

            app.addHealthCheck("probe", () -> HealthStatus.down(Map.of("reason", "testing")));
            HttpResponse<String> down = get(base + "/health");
            assertThat(down.statusCode()).isEqualTo(503);
            assertThat(down.body()).contains("\"probe\":{\"status\":\"DOWN\",\"reason\":\"testing\"}");
            assertThat(get(base + "/health/live").statusCode())
                    .as("a component never fails liveness")
                    .isEqualTo(200);
            app.addHealthCheck("probe", () -> HealthStatus.up(Map.of()));
            assertThat(get(base + "/health/ready").statusCode()).isEqualTo(200);

            HttpResponse<String> metrics = get(base + "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.headers().firstValue("Content-Type"))
                    .hasValueSatisfying(v -> assertThat(v).startsWith("text/plain"));
            assertThat(metrics.body()).contains("kafka_stream_").contains("jvm_memory_used_bytes");

            HttpResponse<String> missing = get(base + "/nope");
            assertThat(missing.statusCode()).isEqualTo(404);
            assertThat(missing.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(missing.body()).contains("\"code\":\"not-found\"");
            HttpResponse<String> post = http.send(
                    HttpRequest.newBuilder(URI.create(base + "/health"))
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(post.statusCode()).isEqualTo(405);

            String poisonKey = "poison-" + UUID.randomUUID();
            produceNotJson(kafka, poisonKey);
            ConsumerRecord<byte[], byte[]> dead = awaitDeadLetter(kafka, poisonKey);
            assertThat(new String(dead.value(), StandardCharsets.UTF_8)).isEqualTo("{not json");
            assertThat(dead.headers().lastHeader("__streams.errors.exception")).isNotNull();
            assertThat(new String(
                            dead.headers().lastHeader("__streams.errors.topic").value(), StandardCharsets.UTF_8))
                    .isEqualTo(Topics.ORDER_EVENTS.name());
            assertThat(app.state()).isEqualTo(KafkaStreams.State.RUNNING);
        } finally {
            // Bounded, not timed: once in CI a close took 10.02 s on a slow disk (the final commit and store
            // flush); the point is that close returns and the instance ends NOT_RUNNING.
            assertThat(app.close(Duration.ofSeconds(30)))
                    .as("closed within 30 s")
                    .isTrue();
        }
        assertThat(app.state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
        assertThatThrownBy(() -> get("http://127.0.0.1:" + app.httpPort() + "/health"))
                .isInstanceOf(IOException.class);
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5))
                        .GET()
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static void produceNotJson(KafkaService kafka, String key) throws Exception {
        Map<String, Object> config = Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class,
                ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class);
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(config)) {
            producer.send(new ProducerRecord<>(Topics.ORDER_EVENTS.name(), key, "{not json"))
                    .get();
        }
    }

    private static ConsumerRecord<byte[], byte[]> awaitDeadLetter(KafkaService kafka, String key) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "dlq-reader-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "earliest",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class);
        List<ConsumerRecord<byte[], byte[]>> found = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config)) {
            consumer.subscribe(List.of(Topics.DEAD_LETTERS.name()));
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key() != null && new String(record.key(), StandardCharsets.UTF_8).equals(key)) {
                        found.add(record);
                    }
                }
                return !found.isEmpty();
            });
        }
        return found.get(0);
    }
}
