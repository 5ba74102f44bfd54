package io.bulwark.topology.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.readmodel.CustomerOrders;
import io.bulwark.streams.readmodel.OrderStatus;
import io.bulwark.streams.readmodel.ReadModels;
import io.bulwark.streams.readmodel.StockLevel;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReadModelsTopologyTest {

    @TempDir
    Path stateDir;

    private TestTopology topology;
    private TestInputTopic<String, byte[]> commands;

    @BeforeEach
    void setUp() {
        topology = new TestTopology(stateDir, Map.of());
        commands = topology.driver.createInputTopic(
                Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer());
    }

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void shouldAnswerStockLevelsAsOfAPastTime() {
        command(new InventoryCommand.Restock(UUID.randomUUID(), "sku-1", null, 10), 1_000);
        command(new InventoryCommand.Reserve(UUID.randomUUID(), "sku-1", null, "o-1", 4), 2_000);
        command(new InventoryCommand.Reserve(UUID.randomUUID(), "sku-1", null, "o-2", 99), 2_500); // rejected
        command(new InventoryCommand.Release(UUID.randomUUID(), "sku-1", null, "o-1"), 3_000);

        VersionedKeyValueStore<String, StockLevel> levels =
                topology.driver.getVersionedKeyValueStore(ReadModels.STOCK_LEVELS);
        assertThat(levels.get("sku-1").value()).isEqualTo(new StockLevel("sku-1", 10, 0, 3, 3_000));
        VersionedRecord<StockLevel> asOf = levels.get("sku-1", 2_700);
        assertThat(asOf.value()).isEqualTo(new StockLevel("sku-1", 6, 4, 2, 2_000));
        assertThat(asOf.timestamp()).isEqualTo(2_000);
        assertThat(levels.get("sku-1", 1_500).value().available()).isEqualTo(10);
        assertThat(levels.get("sku-1", 500)).as("before the first event").isNull();
    }

    @Test
    void shouldKeepEveryChangeInTheLatestStockLevelWhenEventTimesStepBack() {
        // Commands for different orders arrive interleaved: a later command can carry an earlier time.
        command(new InventoryCommand.Restock(UUID.randomUUID(), "sku-1", null, 10), 1_000);
        command(new InventoryCommand.Reserve(UUID.randomUUID(), "sku-1", null, "o-1", 4), 3_000);
        command(new InventoryCommand.Reserve(UUID.randomUUID(), "sku-1", null, "o-2", 2), 2_500);
        command(new InventoryCommand.Release(UUID.randomUUID(), "sku-1", null, "o-1"), 2_800);

        VersionedKeyValueStore<String, StockLevel> levels =
                topology.driver.getVersionedKeyValueStore(ReadModels.STOCK_LEVELS);
        assertThat(levels.get("sku-1").value())
                .as("o-2's reservation and o-1's release, both stamped before the latest version")
                .isEqualTo(new StockLevel("sku-1", 8, 2, 4, 3_000));
        assertThat(levels.get("sku-1", 2_900).value()).isEqualTo(new StockLevel("sku-1", 10, 0, 1, 1_000));
    }

    @Test
    void shouldDeleteAnOrdersStatusWithinTwoRetentionsOfItsLastEventInStreamTime(@TempDir Path otherDir) {
        try (TestTopology shortLived =
                new TestTopology(otherDir, Map.of(AppConfig.ORDER_STATUS_RETENTION_MS, "60000"))) {
            shortLived.pipe(at(TestTopology.order("o-old", "c-1", null, 500), 1_000), 1_000);
            KeyValueStore<String, OrderStatus> statuses = shortLived.driver.getKeyValueStore(ReadModels.ORDER_STATUS);
            assertThat(statuses.get("o-old")).isNotNull();

            shortLived.pipe(at(TestTopology.order("o-new", "c-1", null, 500), 60_000), 60_000);
            assertThat(statuses.get("o-old")).as("within its retention").isNotNull();
            for (long t = 70_000; t <= 1_000 + 2 * 60_000 + 60_000; t += 10_000) {
                shortLived.pipe(at(TestTopology.order("o-" + t, "c-1", null, 500), t), t); // sweeps on the way
            }
            assertThat(statuses.get("o-old"))
                    .as("two retentions and a sweep after its last event: deleted")
                    .isNull();
            assertThat(statuses.get("o-180000")).as("last event just now").isNotNull();
        }
    }

    private static EventEnvelope at(EventEnvelope e, long ms) {
        return new EventEnvelope(
                e.eventId(),
                e.type(),
                e.aggregateType(),
                e.aggregateId(),
                e.aggregateVersion(),
                Instant.ofEpochMilli(ms),
                e.correlationId(),
                e.causationId(),
                e.traceparent(),
                e.payload());
    }

    @Test
    void shouldFollowAnOrderThroughItsEvents() {
        // The order's line is sku-1, which has no stock: the saga's reservation is refused and it rejects.
        EventEnvelope placed = TestTopology.order("o-7", "c-1", null, 500);
        topology.pipe(placed, 1_000);

        KeyValueStore<String, OrderStatus> statuses = topology.driver.getKeyValueStore(ReadModels.ORDER_STATUS);
        OrderStatus status = statuses.get("o-7");
        assertThat(status.status()).isEqualTo("REJECTED");
        assertThat(status.history())
                .extracting(OrderStatus.Step::status)
                .containsExactly("PLACED", "STOCK_REJECTED", "REJECTED");
        assertThat(status.history().get(0).eventId()).isEqualTo(placed.eventId().toString());
    }

    @Test
    void shouldStillFoldOrderEventsThatAnEarlierReleaseLeftOnTheRepartitionTopic() {
        // Until 2026-12-03 order events and outcomes reached the projector through this repartition topic as
        // JSON envelopes; those in it at an upgrade must still be folded (README, "Upgrading a running app").
        String topic = topology.config.streamsProperties().get("application.id") + "-" + ReadModels.ORDER_STATUS
                + "-grouped-repartition";
        TestInputTopic<String, EventEnvelope> leftOver = topology.driver.createInputTopic(
                topic, new StringSerializer(), EventEnvelopeSerde.asJson().serializer());
        EventEnvelope placed = TestTopology.order("o-9", "c-1", null, 500);
        EventEnvelope confirmed = new EventEnvelope(
                UUID.randomUUID(),
                "OrderConfirmed",
                "order",
                "o-9",
                null,
                Instant.ofEpochMilli(2_000),
                "o-9",
                placed.eventId().toString(),
                null,
                Json.mapper().createObjectNode().put("orderId", "o-9"));
        TestOutputTopic<byte[], byte[]> deadLetters = topology.driver.createOutputTopic(
                Topics.DEAD_LETTERS.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        leftOver.pipeInput("o-9", placed, 1_000);
        leftOver.pipeInput("o-9", confirmed, 2_000);
        leftOver.pipeInput("o-9", confirmed, 2_000);

        OrderStatus status = topology.driver
                .<String, OrderStatus>getKeyValueStore(ReadModels.ORDER_STATUS)
                .get("o-9");
        assertThat(status.status()).isEqualTo("CONFIRMED");
        assertThat(status.history())
                .as("each event once")
                .extracting(OrderStatus.Step::status)
                .containsExactly("PLACED", "CONFIRMED");
        assertThat(deadLetters.isEmpty())
                .as("the saga reads inventory replies from this topic now; an order event is none (o-9 has no saga)")
                .isTrue();
    }

    @Test
    void shouldKeepACustomersOrderHistory() {
        topology.pipe(TestTopology.order("o-1", "c-2", null, 100), 1_000);
        topology.pipe(TestTopology.order("o-2", "c-2", null, 250), 2_000);
        topology.pipe(TestTopology.order("o-3", "c-3", null, 1), 3_000);

        KeyValueStore<String, CustomerOrders> history = topology.driver.getKeyValueStore(ReadModels.CUSTOMER_ORDERS);
        assertThat(history.get("c-2").orders())
                .extracting(CustomerOrders.Entry::orderId)
                .containsExactly("o-1", "o-2");
        assertThat(history.get("c-2").totalOrders()).isEqualTo(2);
        assertThat(history.get("c-2").orders().get(1).totalCents()).isEqualTo(250);
        assertThat(history.get("c-3").orders()).hasSize(1);
        assertThat(Instant.ofEpochMilli(history.get("c-2").orders().get(0).placedAtMs()))
                .isEqualTo(Instant.EPOCH);
    }

    private void command(InventoryCommand command, long timestamp) {
        try {
            commands.pipeInput(
                    command.sku(),
                    Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command),
                    timestamp);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
