package io.bulwark.topology.example;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.readmodel.CustomerOrders;
import io.bulwark.streams.readmodel.ReadModels;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The example to copy (README, "Write a TopologyTestDriver test"): the app's real topology, configured
 * the way the app is, driven without a broker. It sends one order event twice — as a relay does after
 * a crash — and checks what a user sees: one copy on the deduplicated topic, one order in the
 * customer's read model. Self-contained on purpose: it uses only public Bulwark and Kafka classes.
 */
class YourFirstTopologyTest {

    @Test
    void aDuplicatedOrderEventHasOneEffect(@TempDir Path stateDir) {
        // 1. The same configuration the app loads (file < BULWARK_STREAMS_* env < flags); no broker is contacted.
        AppConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(AppConfig.BOOTSTRAP_SERVERS, "unused:9092", AppConfig.STATE_DIR, stateDir.toString()));

        try (TopologyTestDriver driver = new TopologyTestDriver(
                BulwarkTopology.create(config), config.streamsProperties(), Instant.parse("2026-11-26T00:00:00Z"))) {
            // 2. Topics through the registry and its serdes: metadata in headers, payload as JSON, validated on read.
            var orders = driver.createInputTopic(
                    Topics.ORDER_EVENTS.name(),
                    Topics.ORDER_EVENTS.keySerde().serializer(),
                    Topics.ORDER_EVENTS.valueSerde().serializer());
            var unique = driver.createOutputTopic(
                    Topics.ORDER_EVENTS_UNIQUE.name(),
                    Topics.ORDER_EVENTS_UNIQUE.keySerde().deserializer(),
                    Topics.ORDER_EVENTS_UNIQUE.valueSerde().deserializer());

            // 3. One OrderPlaced event, delivered twice.
            EventEnvelope placed = orderPlaced("o-1", "c-1", 2_500);
            orders.pipeInput(placed.aggregateId(), placed);
            orders.pipeInput(placed.aggregateId(), placed);

            // 4. What downstream consumers and the query API see.
            assertThat(unique.readValuesToList()).containsExactly(placed);
            CustomerOrders history = driver.<String, CustomerOrders>getKeyValueStore(ReadModels.CUSTOMER_ORDERS)
                    .get("c-1");
            assertThat(history.totalOrders()).isEqualTo(1);
            assertThat(history.orders().get(0).totalCents()).isEqualTo(2_500);
        }
    }

    private static EventEnvelope orderPlaced(String orderId, String customerId, long cents) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("customerId", customerId)
                .put("totalCents", cents)
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", "sku-1")
                .put("quantity", 1)
                .put("unitPriceCents", cents);
        return new EventEnvelope(
                UUID.randomUUID(),
                "OrderPlaced",
                "order",
                orderId,
                null,
                Instant.parse("2026-11-26T00:00:00Z"),
                null,
                null,
                null,
                payload);
    }
}
