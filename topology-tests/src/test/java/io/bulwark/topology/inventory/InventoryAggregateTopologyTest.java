package io.bulwark.topology.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryBehavior;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.aggregate.inventory.InventoryItem;
import io.bulwark.streams.aggregate.inventory.StoredAnswer;
import io.bulwark.topology.support.TestTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InventoryAggregateTopologyTest {

    @TempDir
    Path stateDir;

    private TestTopology topology;
    private TestInputTopic<String, byte[]> commands;
    private TestOutputTopic<String, EventEnvelope> events;
    private final List<EventEnvelope> published = new ArrayList<>();
    private long time = 1_000;

    @BeforeEach
    void setUp() {
        topology = new TestTopology(stateDir, Map.of());
        commands = topology.driver.createInputTopic(
                Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer());
        events = topology.driver.createOutputTopic(
                Topics.INVENTORY_EVENTS.name(),
                new StringDeserializer(),
                EventEnvelopeSerde.inHeaders(EventSchemas.load()).deserializer());
    }

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void shouldRestockReserveAndReleaseWithVersionedEvents() {
        List<EventEnvelope> out = send(new InventoryCommand.Restock(id(), "sku-1", null, 10));
        out.addAll(send(new InventoryCommand.Reserve(id(), "sku-1", 1L, "o-1", 4)));
        out.addAll(send(new InventoryCommand.Release(id(), "sku-1", null, "o-1")));

        assertThat(out).extracting(EventEnvelope::type).containsExactly("Restocked", "StockReserved", "StockReleased");
        assertThat(out).extracting(EventEnvelope::aggregateVersion).containsExactly(1L, 2L, 3L);
        assertThat(out.get(1).correlationId()).isEqualTo("o-1");
        InventoryItem item = store().get("sku-1");
        assertThat(item.available()).isEqualTo(10);
        assertThat(item.version()).isEqualTo(3);
        assertThat(item.reservations()).isEmpty();
    }

    @Test
    void shouldRejectReservingMoreThanAvailableWithAnEventNotAnException() {
        send(new InventoryCommand.Restock(id(), "sku-2", null, 3));
        InventoryCommand.Reserve tooMuch = new InventoryCommand.Reserve(id(), "sku-2", null, "o-2", 5);
        List<EventEnvelope> out = send(tooMuch);

        assertThat(out).singleElement().satisfies(e -> {
            assertThat(e.type()).isEqualTo("InventoryCommandRejected");
            assertThat(e.payload().path("code").asText()).isEqualTo(InventoryBehavior.INSUFFICIENT_STOCK);
            assertThat(e.causationId()).isEqualTo(tooMuch.commandId().toString());
            assertThat(e.aggregateVersion()).isNull();
        });
        assertThat(store().get("sku-2").available()).isEqualTo(3);
        assertThat(store().get("sku-2").version()).isEqualTo(1);
    }

    @Test
    void shouldRejectAVersionConflict() {
        send(new InventoryCommand.Restock(id(), "sku-3", null, 3));
        List<EventEnvelope> out = send(new InventoryCommand.Restock(id(), "sku-3", 0L, 1)); // stale expectation
        assertThat(out)
                .singleElement()
                .satisfies(e ->
                        assertThat(e.payload().path("code").asText()).isEqualTo(InventoryBehavior.VERSION_CONFLICT));
        assertThat(store().get("sku-3").available()).isEqualTo(3);
    }

    @Test
    void shouldAnswerADuplicateCommandWithTheFirstAnswerAndApplyNothing() {
        InventoryCommand.Restock restock = new InventoryCommand.Restock(id(), "sku-4", null, 5);
        List<EventEnvelope> first = send(restock);
        List<EventEnvelope> again = send(restock);

        assertThat(again).isEqualTo(first); // same events, same ids: downstream dedup drops them
        assertThat(store().get("sku-4").available()).isEqualTo(5);
        assertThat(store().get("sku-4").version()).isEqualTo(1);
    }

    @Test
    void shouldDecideAgainOnceTheAnswerIsARetentionOldAndSweepItWithinTwoRetentions() {
        long retention = InventoryAggregate.DEFAULT_COMMAND_RETENTION.toMillis();
        InventoryCommand.Restock restock = new InventoryCommand.Restock(id(), "sku-6", null, 5);
        long answeredAt = time;
        List<EventEnvelope> first = send(restock);
        time = answeredAt + retention;
        assertThat(send(restock))
                .as("exactly one retention later: the first answer")
                .isEqualTo(first);
        KeyValueStore<String, StoredAnswer> answers =
                topology.driver.getKeyValueStore(InventoryAggregate.ANSWERS_STORE);
        assertThat(answers.get(restock.commandId().toString()).events()).isEqualTo(first);

        time = answeredAt + retention + 1;
        List<EventEnvelope> again = send(restock);
        assertThat(again)
                .as("past the retention: decided again, as a new command")
                .singleElement()
                .satisfies(
                        e -> assertThat(e.eventId()).isNotEqualTo(first.get(0).eventId()));
        assertThat(store().get("sku-6").available()).isEqualTo(10);

        InventoryCommand.Restock other = new InventoryCommand.Restock(id(), "sku-7", null, 1);
        send(other);
        for (time = answeredAt + retention + 1_800_000; time <= answeredAt + 4 * retention; time += 1_800_000) {
            send(new InventoryCommand.Restock(id(), "sku-8", null, 1)); // 30 min at a time: each sweep reads a slice
        }
        assertThat(answers.get(restock.commandId().toString())).as("swept").isNull();
        assertThat(answers.get(other.commandId().toString())).as("swept").isNull();
    }

    @Test
    void shouldReplayAnAnswerStoredByTheReleaseBeforeAsAJsonArray() {
        InventoryCommand.Restock restock = new InventoryCommand.Restock(id(), "sku-9", null, 5);
        List<EventEnvelope> first = send(restock);
        KeyValueStore<String, StoredAnswer> answers =
                topology.driver.getKeyValueStore(InventoryAggregate.ANSWERS_STORE);
        byte[] legacy =
                JsonSerde.of(EventEnvelope[].class).serializer().serialize(null, first.toArray(EventEnvelope[]::new));
        answers.put(
                restock.commandId().toString(),
                StoredAnswer.SERDE.deserializer().deserialize(null, legacy));

        assertThat(send(restock)).isEqualTo(first);
        assertThat(store().get("sku-9").available()).isEqualTo(5);
    }

    @Test
    void shouldRebuildIdenticalStateByReplayingTheEventTopic() {
        send(new InventoryCommand.Restock(id(), "a", null, 5));
        send(new InventoryCommand.Restock(id(), "b", null, 2));
        send(new InventoryCommand.Reserve(id(), "a", null, "o-1", 2));
        send(new InventoryCommand.Reserve(id(), "b", null, "o-2", 3)); // rejected
        send(new InventoryCommand.Reserve(id(), "b", null, "o-3", 2));
        send(new InventoryCommand.Release(id(), "a", null, "o-1"));
        send(new InventoryCommand.Reserve(id(), "a", null, "o-4", 5));

        assertThat(InventoryAggregate.replay(published)).isEqualTo(storeContents());
    }

    @Test
    void shouldSkipACommandThatIsNotJson() {
        commands.pipeInput("sku-5", "{oops".getBytes(StandardCharsets.UTF_8), time++);
        assertThat(send(new InventoryCommand.Restock(id(), "sku-5", null, 1))).hasSize(1);
    }

    private List<EventEnvelope> send(InventoryCommand command) {
        try {
            commands.pipeInput(
                    command.sku(),
                    Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command),
                    time++);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        List<EventEnvelope> out = new ArrayList<>(events.readValuesToList());
        published.addAll(out);
        return out;
    }

    private KeyValueStore<String, InventoryItem> store() {
        return topology.driver.getKeyValueStore(InventoryAggregate.ITEMS_STORE);
    }

    private Map<String, InventoryItem> storeContents() {
        Map<String, InventoryItem> all = new TreeMap<>();
        try (KeyValueIterator<String, InventoryItem> it = store().all()) {
            while (it.hasNext()) {
                KeyValue<String, InventoryItem> kv = it.next();
                all.put(kv.key, kv.value);
            }
        }
        return all;
    }

    private static UUID id() {
        return UUID.randomUUID();
    }
}
