package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.streams.query.QueryRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A processor that blocks on purpose stalls its stream thread under exactly-once: the watchdog must
 * take readiness (then liveness) down, count it, and log the stuck task with the thread's stack; and
 * all of that must clear once the processor returns.
 */
@ExtendWith(SharedInfraExtension.class)
class ProgressWatchdogTest {

    @Test
    void shouldReportAStreamThreadBlockedInAProcessorAndClearWhenItResumes(KafkaService kafka, @TempDir Path state)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String input = "watchdog-in-" + run;
        String output = "watchdog-out-" + run;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(input, 1, (short) 1), new NewTopic(output, 1, (short) 1)))
                    .all()
                    .get();
            TopicLeaders.await(admin, List.of(input, output), Duration.ofSeconds(30));
        }
        CountDownLatch release = new CountDownLatch(1);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
                .peek((k, v) -> {
                    if (v.equals("block")) {
                        try {
                            release.await();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                })
                .to(output, Produced.with(Serdes.String(), Serdes.String()));
        Topology topology = builder.build();
        AppConfig config = BrokerApps.config(
                kafka,
                "watchdog-" + run,
                state,
                Map.of(
                        AppConfig.PROGRESS_STALL_TIMEOUT_MS,
                        "2000",
                        AppConfig.PROGRESS_STALL_LIVE_TIMEOUT_MS,
                        "4000",
                        AppConfig.QUERY_CACHE_CONTROL,
                        "default=1/5",
                        "kafka.max.poll.interval.ms",
                        "120000"));
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        Logger watchdogLog = (Logger) LoggerFactory.getLogger(ProgressWatchdog.class);
        logs.start();
        watchdogLog.addAppender(logs);
        HttpClient http = HttpClient.newHttpClient();
        try (StreamsApp app = StreamsApp.start(config, topology, new QueryRegistry());
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            String base = "http://127.0.0.1:" + app.httpPort();
            await().atMost(Duration.ofSeconds(60)).until(() -> status(http, base + "/health/ready") == 200);
            send(producer, input, "k", "first");
            await().atMost(Duration.ofSeconds(30)).until(() -> status(http, base + "/health/ready") == 200);

            send(producer, input, "k", "block");
            for (int i = 0; i < 5; i++) {
                send(producer, input, "k", "waiting-" + i);
            }
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> ready = get(http, base + "/health/ready");
                assertThat(ready.statusCode()).isEqualTo(503);
                assertThat(ready.body())
                        .contains("\"progress\":{\"status\":\"DOWN\"")
                        .contains("0_0");
            });
            assertThat(app.progress()).anySatisfy(r -> {
                assertThat(r.stalled()).isTrue();
                assertThat(r.tasks()).containsExactly("0_0");
            });
            assertThat(get(http, base + "/metrics").body())
                    .containsPattern("bulwark_streams_stalled_threads\\{[^}]*\\} 1\\.0")
                    .containsPattern("bulwark_streams_stalls_total\\{[^}]*\\} 1\\.0");
            await().atMost(Duration.ofSeconds(60)).until(() -> status(http, base + "/health/live") == 503);
            assertThat(logs.list)
                    .anySatisfy(e -> assertThat(e.getFormattedMessage())
                            .contains("STALL: stream thread")
                            .contains("with tasks [0_0]")
                            .contains("ProgressWatchdogTest")
                            .contains("CountDownLatch.await"));

            release.countDown();
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(status(http, base + "/health/ready")).isEqualTo(200);
                assertThat(status(http, base + "/health/live")).isEqualTo(200);
            });
            assertThat(logs.list)
                    .anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("makes progress again"));
        } finally {
            release.countDown();
            watchdogLog.detachAppender(logs);
        }
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String topic, String key, String value)
            throws Exception {
        producer.send(new ProducerRecord<>(
                        topic, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8)))
                .get();
    }

    private static int status(HttpClient http, String url) throws Exception {
        return get(http, url).statusCode();
    }

    private static HttpResponse<String> get(HttpClient http, String url) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
