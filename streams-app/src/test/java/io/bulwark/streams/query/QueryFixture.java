package io.bulwark.streams.query;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;

/** Shared set-up of the query tests: input records and HTTP calls (apps: {@link io.bulwark.streams.app.BrokerApps}). */
final class QueryFixture {

    private static final HttpClient HTTP =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private QueryFixture() {}

    static KafkaProducer<byte[], byte[]> producer(KafkaService kafka) {
        return KafkaClients.bytesProducer(kafka.bootstrapServers());
    }

    static void restock(KafkaProducer<byte[], byte[]> producer, String sku, int quantity, long timestampMs) {
        command(producer, sku, new InventoryCommand.Restock(UUID.randomUUID(), sku, null, quantity), timestampMs);
    }

    static void reserve(
            KafkaProducer<byte[], byte[]> producer, String sku, String orderId, int quantity, long timestampMs) {
        command(
                producer,
                sku,
                new InventoryCommand.Reserve(UUID.randomUUID(), sku, null, orderId, quantity),
                timestampMs);
    }

    private static void command(
            KafkaProducer<byte[], byte[]> producer, String sku, InventoryCommand command, long timestampMs) {
        try {
            byte[] value = Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command);
            producer.send(new ProducerRecord<>(
                    Topics.INVENTORY_COMMANDS.name(), null, timestampMs, sku.getBytes(StandardCharsets.UTF_8), value));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void order(
            KafkaProducer<byte[], byte[]> producer, String orderId, String customerId, String sku, int quantity) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", customerId)
                .put("totalCents", 250 * quantity)
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", sku)
                .put("quantity", quantity)
                .put("unitPriceCents", 250);
        EventEnvelope order = new EventEnvelope(
                UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.now(), null, null, null, payload);
        RecordHeaders headers = new RecordHeaders();
        byte[] value =
                EventEnvelopeSerde.inHeaders().serializer().serialize(Topics.ORDER_EVENTS.name(), headers, order);
        producer.send(new ProducerRecord<>(
                Topics.ORDER_EVENTS.name(), null, orderId.getBytes(StandardCharsets.UTF_8), value, headers));
    }

    static HttpResponse<String> get(int port, String pathAndQuery, String... headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + pathAndQuery))
                .timeout(Duration.ofSeconds(30))
                .GET();
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
