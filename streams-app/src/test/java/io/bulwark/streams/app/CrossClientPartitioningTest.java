package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.intake.KeyedInput;
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
import java.util.zip.CRC32;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records produced the way librdkafka-based clients (kcat, Python, Go, .NET) place them — CRC32 of the
 * key, not murmur2 — reach the task that owns their key: the item they restock is found by key, and a
 * copy of an event re-sent by such a client is still dropped by deduplication.
 */
@ExtendWith(SharedInfraExtension.class)
class CrossClientPartitioningTest {

    private static final int PARTITIONS = Topics.DOMAIN_PARTITIONS;

    /** librdkafka's default partitioner for keyed records (consistent_random): CRC32 of the key bytes. */
    static int crc32Partition(String key, int partitions) {
        CRC32 crc = new CRC32();
        crc.update(key.getBytes(StandardCharsets.UTF_8));
        return (int) (crc.getValue() % partitions);
    }

    /** A key whose CRC32 partition differs from its murmur2 one, so the test cannot pass by luck. */
    private static String misplacedKey(String prefix) {
        for (int i = 0; ; i++) {
            String key = prefix + i;
            if (crc32Partition(key, PARTITIONS) != KeyedInput.murmur2Partition(key, PARTITIONS)) {
                return key;
            }
        }
    }

    @Test
    void shouldServeAndDeduplicateRecordsPlacedByACrc32Partitioner(KafkaService kafka, @TempDir Path state)
            throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        AppConfig config = BrokerApps.config(kafka, "crc32-" + run, state, Map.of());
        StreamsApp app = StreamsApp.start(config, BulwarkTopology.create(config));
        HttpClient http = HttpClient.newHttpClient();
        try (app;
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers());
                KafkaConsumer<byte[], byte[]> unique = KafkaClients.bytesConsumer(
                        kafka.bootstrapServers(), Topics.ORDER_EVENTS_UNIQUE.name(), "latest")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                unique.poll(Duration.ofMillis(100));
                return !unique.assignment().isEmpty();
            });
            unique.assignment().forEach(unique::position);
            BrokerApps.awaitPositioned(app);

            // 1. A restock sent as kcat would: the item is found by its key.
            String sku = misplacedKey("sku-" + run + "-");
            byte[] restock = ("{\"type\":\"Restock\",\"commandId\":\"" + UUID.randomUUID() + "\",\"sku\":\"" + sku
                            + "\",\"expectedVersion\":null,\"quantity\":100}")
                    .getBytes(StandardCharsets.UTF_8);
            producer.send(new ProducerRecord<>(
                            Topics.INVENTORY_COMMANDS.name(),
                            crc32Partition(sku, PARTITIONS),
                            sku.getBytes(StandardCharsets.UTF_8),
                            restock))
                    .get();
            String url = "http://127.0.0.1:" + app.httpPort() + "/query/inventory/items/" + sku;
            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                HttpResponse<String> item = http.send(
                        HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(item.statusCode()).as(item.body()).isEqualTo(200);
                assertThat(Json.mapper().readTree(item.body()).path("available").asLong())
                        .isEqualTo(100);
            });

            // 2. The same OrderPlaced from a Java client and, again, from a CRC32 client: forwarded once.
            String orderId = misplacedKey("o-" + run + "-");
            EventEnvelope order = BrokerApps.orderPlaced(orderId, "c-" + orderId, "sku-x", 1, 100);
            send(producer, Topics.ORDER_EVENTS.name(), null, orderId, order);
            send(producer, Topics.ORDER_EVENTS.name(), crc32Partition(orderId, PARTITIONS), orderId, order);
            // A later event of the same key on the same path: once it is out, the copy was handled before it.
            EventEnvelope marker = BrokerApps.orderPlaced(orderId, "c-" + orderId, "sku-x", 1, 100);
            send(producer, Topics.ORDER_EVENTS.name(), crc32Partition(orderId, PARTITIONS), orderId, marker);

            List<UUID> seen = new ArrayList<>();
            EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : unique.poll(Duration.ofMillis(200))) {
                    if (orderId.equals(new String(r.key(), StandardCharsets.UTF_8))) {
                        seen.add(serde.deserializer()
                                .deserialize(r.topic(), r.headers(), r.value())
                                .eventId());
                    }
                }
                return seen.contains(marker.eventId());
            });
            assertThat(seen).containsExactly(order.eventId(), marker.eventId());
        }
    }

    private static void send(
            KafkaProducer<byte[], byte[]> producer, String topic, Integer partition, String key, EventEnvelope envelope)
            throws Exception {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventEnvelopeSerde.inHeaders().serializer().serialize(topic, headers, envelope);
        producer.send(new ProducerRecord<>(topic, partition, key.getBytes(StandardCharsets.UTF_8), value, headers))
                .get();
    }
}
