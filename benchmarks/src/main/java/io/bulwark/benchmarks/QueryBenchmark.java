package io.bulwark.benchmarks;

import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.KafkaClients;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.app.StreamsApp;
import io.bulwark.streams.app.TopicInstaller;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;

/**
 * {@code iq-get-p99-ms} and {@code iq-forward-p99-ms}: two streams-app instances (same application
 * id) on the embedded broker, 1,000 inventory items; an open-loop load of GET-by-id at a fixed rate
 * against instance A, first for keys A owns, then for keys B owns (each forwarded one hop).
 * Latency is measured from when each request was due (no coordinated omission).
 *
 * <pre>benchmarks/query.sh [requests/s] [seconds]</pre>
 */
public final class QueryBenchmark {

    private static final int ITEMS = 1_000;

    private QueryBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rate = args.length > 0 ? Integer.parseInt(args[0]) : 1_000;
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 30;
        Path dir = Files.createTempDirectory("bulwark-query-bench");
        try (EmbeddedKafkaBroker kafka =
                EmbeddedKafkaBroker.builder(dir).build().start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
            }
            try (StreamsApp a = start(kafka, dir.resolve("a"));
                    StreamsApp b = start(kafka, dir.resolve("b"))) {
                while (a.state() != KafkaStreams.State.RUNNING || b.state() != KafkaStreams.State.RUNNING) {
                    Thread.sleep(100);
                }
                try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
                    for (int i = 0; i < ITEMS; i++) {
                        String sku = "bench-sku-" + i;
                        producer.send(new ProducerRecord<>(
                                Topics.INVENTORY_COMMANDS.name(),
                                sku.getBytes(StandardCharsets.UTF_8),
                                Json.mapper()
                                        .writerFor(InventoryCommand.class)
                                        .writeValueAsBytes(
                                                new InventoryCommand.Restock(UUID.randomUUID(), sku, null, 10))));
                    }
                }
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
                List<String> local = new ArrayList<>();
                List<String> remote = new ArrayList<>();
                for (int i = 0; i < ITEMS; i++) {
                    String sku = "bench-sku-" + i;
                    while (get(client, a, sku) != 200) {
                        Thread.sleep(50);
                    }
                    HostInfo owner = a.streams()
                            .queryMetadataForKey(
                                    InventoryAggregate.ITEMS_STORE,
                                    sku,
                                    Serdes.String().serializer())
                            .activeHost();
                    (owner.equals(a.endpoint()) ? local : remote).add(sku);
                }
                System.out.printf("keys owned by A: %d, by B: %d%n", local.size(), remote.size());
                measure("warm-up", client, a, local, rate, 5);
                measure("warm-up", client, a, remote, rate, 5);
                FixedRateLoad.Result own = measure("iq-get-p99-ms", client, a, local, rate, seconds);
                FixedRateLoad.Result forwarded = measure("iq-forward-p99-ms", client, a, remote, rate, seconds);
                System.out.printf(
                        "| iq-get-p99-ms | %.2f (p50 %.2f) at %d req/s for %d s, %d failures |%n",
                        own.percentileMs(99), own.percentileMs(50), rate, seconds, own.failures());
                System.out.printf(
                        "| iq-forward-p99-ms | %.2f (p50 %.2f) at %d req/s for %d s, %d failures |%n",
                        forwarded.percentileMs(99), forwarded.percentileMs(50), rate, seconds, forwarded.failures());
            }
        }
    }

    private static FixedRateLoad.Result measure(
            String name, HttpClient client, StreamsApp via, List<String> keys, int rate, int seconds)
            throws InterruptedException {
        FixedRateLoad.Result result = FixedRateLoad.run(rate, Duration.ofSeconds(seconds), 32, i -> {
            int status = get(client, via, keys.get((int) (i % keys.size())));
            if (status != 200) {
                throw new IllegalStateException("status " + status);
            }
        });
        System.out.printf(
                "%s: p50 %.2f ms, p99 %.2f ms, p99.9 %.2f ms, max %.2f ms, %.0f req/s, %d failures%n",
                name,
                result.percentileMs(50),
                result.percentileMs(99),
                result.percentileMs(99.9),
                result.percentileMs(100),
                result.achievedPerSecond(),
                result.failures());
        return result;
    }

    private static int get(HttpClient client, StreamsApp via, String sku) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + via.httpPort() + "/query/inventory/items/" + sku))
                .GET()
                .build();
        return client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    private static StreamsApp start(EmbeddedKafkaBroker kafka, Path state) {
        AppConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(
                        AppConfig.BOOTSTRAP_SERVERS,
                        kafka.bootstrapServers(),
                        AppConfig.APPLICATION_ID,
                        "bench-query",
                        AppConfig.STATE_DIR,
                        state.toString(),
                        AppConfig.HTTP_PORT,
                        "0"));
        return StreamsApp.start(config, BulwarkTopology.create(config));
    }
}
