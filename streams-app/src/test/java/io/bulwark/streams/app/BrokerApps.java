package io.bulwark.streams.app;

import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaService;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
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
import org.apache.kafka.streams.KafkaStreams;

/** Streams apps on the shared test broker: their configuration and waiting until they read their inputs. */
public final class BrokerApps {

    private BrokerApps() {}

    /**
     * The registry's topics created, and a config for {@code applicationId} with a free HTTP port and
     * {@code auto.offset.reset=latest} (only this test's records; {@code extra} may say otherwise).
     */
    public static AppConfig config(KafkaService kafka, String applicationId, Path state, Map<String, String> extra)
            throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
        }
        Map<String, String> values = new HashMap<>(Map.of(
                AppConfig.BOOTSTRAP_SERVERS,
                kafka.bootstrapServers(),
                AppConfig.APPLICATION_ID,
                applicationId,
                AppConfig.STATE_DIR,
                state.toString(),
                AppConfig.HTTP_PORT,
                "0",
                "kafka." + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "latest"));
        values.putAll(extra);
        return ConfigLoader.load(null, Map.of(), values);
    }

    /**
     * Waits until the apps are RUNNING and, together, have positioned every partition of their input
     * topics — with "latest", records produced before that would be skipped.
     */
    public static void awaitPositioned(StreamsApp... apps) {
        // Not bulwark.order.outcomes: since 2026-12-05 the order status takes the saga's outcomes directly.
        List<String> inputs =
                List.of(Topics.ORDER_EVENTS.name(), Topics.INVENTORY_COMMANDS.name(), Topics.PAYMENT_EVENTS.name());
        await().atMost(Duration.ofSeconds(90))
                .until(() -> Arrays.stream(apps).allMatch(app -> app.state() == KafkaStreams.State.RUNNING)
                        && Arrays.stream(apps)
                                        .mapToLong(app -> app.streams().metrics().keySet().stream()
                                                .filter(m -> m.name().equals("records-lag")
                                                        && inputs.contains(
                                                                m.tags().get("topic")))
                                                .count())
                                        .sum()
                                >= (long) inputs.size() * Topics.DOMAIN_PARTITIONS);
    }

    /** An {@code OrderPlaced} event of one line ({@code quantity} × {@code unitPriceCents} of {@code sku}), new id. */
    public static EventEnvelope orderPlaced(
            String orderId, String customerId, String sku, int quantity, long unitPriceCents) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", customerId)
                .put("totalCents", quantity * unitPriceCents)
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", sku)
                .put("quantity", quantity)
                .put("unitPriceCents", unitPriceCents);
        return new EventEnvelope(
                UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.now(), null, null, null, payload);
    }
}
