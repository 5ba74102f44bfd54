package io.bulwark.streams.query;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.app.StreamsApp;
import io.bulwark.streams.app.TopicInstaller;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Shared set-up of the query tests: app config on the shared broker, input records, HTTP calls. */
final class QueryFixture {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private QueryFixture() {}

    static AppConfig config(KafkaService kafka, String applicationId, Path state, Map<String, String> extra)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
        }
        Map<String, String> values = new HashMap<>(Map.of(
                AppConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers(),
                AppConfig.APPLICATION_ID, applicationId,
                AppConfig.STATE_DIR, state.toString(),
                AppConfig.HTTP_PORT, "0",
                "kafka." + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest")); // only this test's records
        values.putAll(extra);
        return ConfigLoader.load(null, Map.of(), values);
    }

    /** Waits until the apps, together, have positioned every partition of their input topics. */
    static void awaitPositioned(StreamsApp... apps) {
        List<String> inputs = List.of(Topics.ORDER_EVENTS.name(), Topics.INVENTORY_COMMANDS.name(),
                Topics.PAYMENT_EVENTS.name(), Topics.ORDER_OUTCOMES.name());
        await().atMost(Duration.ofSeconds(90)).until(() -> Arrays.stream(apps)
                .allMatch(app -> app.state() == org.apache.kafka.streams.KafkaStreams.State.RUNNING)
                && Arrays.stream(apps).mapToLong(app -> app.streams().metrics().keySet().stream()
                        .filter(m -> m.name().equals("records-lag") && inputs.contains(m.tags().get("topic")))
                        .count()).sum() >= (long) inputs.size() * Topics.DOMAIN_PARTITIONS);
    }

    static KafkaProducer<byte[], byte[]> producer(KafkaService kafka) {
        return KafkaClients.bytesProducer(kafka.bootstrapServers());
    }

    static void restock(KafkaProducer<byte[], byte[]> producer, String sku, int quantity, long timestampMs) {
        command(producer, sku, new InventoryCommand.Restock(UUID.randomUUID(), sku, null, quantity), timestampMs);
    }

    static void reserve(KafkaProducer<byte[], byte[]> producer, String sku, String orderId, int quantity,
            long timestampMs) {
        command(producer, sku, new InventoryCommand.Reserve(UUID.randomUUID(), sku, null, orderId, quantity),
                timestampMs);
    }

    private static void command(KafkaProducer<byte[], byte[]> producer, String sku, InventoryCommand command,
            long timestampMs) {
        try {
            byte[] value = Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command);
            producer.send(new ProducerRecord<>(Topics.INVENTORY_COMMANDS.name(), null, timestampMs,
                    sku.getBytes(StandardCharsets.UTF_8), value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void order(KafkaProducer<byte[], byte[]> producer, String orderId, String customerId, String sku,
            int quantity) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId).put("customerId", customerId).put("totalCents", 250 * quantity)
                .put("currency", "EUR");
        payload.putArray("lines").addObject().put("sku", sku).put("quantity", quantity).put("unitPriceCents", 250);
        EventEnvelope order = new EventEnvelope(UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.now(),
                null, null, null, payload);
        RecordHeaders headers = new RecordHeaders();
        byte[] value = EventEnvelopeSerde.inHeaders().serializer().serialize(Topics.ORDER_EVENTS.name(), headers, order);
        producer.send(new ProducerRecord<>(Topics.ORDER_EVENTS.name(), null, orderId.getBytes(StandardCharsets.UTF_8),
                value, headers));
    }

    static HttpResponse<String> get(int port, String pathAndQuery, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30)).GET();
        if (headers.length > 0) {
            request.headers(headers);
        }
        try {
            return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode json(HttpResponse<String> response) {
        try {
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
