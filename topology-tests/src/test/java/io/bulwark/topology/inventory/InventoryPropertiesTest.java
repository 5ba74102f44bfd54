package io.bulwark.topology.inventory;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.Directories;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.Decision;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryBehavior;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.aggregate.inventory.InventoryEvent;
import io.bulwark.streams.aggregate.inventory.InventoryItem;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** For any sequence of inventory commands: stock never goes negative, and replaying the events yields the store. */
class InventoryPropertiesTest {

    private static final InventoryBehavior BEHAVIOR = new InventoryBehavior();

    @Provide
    Arbitrary<List<InventoryCommand>> commands() {
        Arbitrary<String> sku = Arbitraries.of("a", "b");
        Arbitrary<String> order = Arbitraries.of("o1", "o2", "o3", "o4");
        Arbitrary<Integer> quantity = Arbitraries.integers().between(-1, 6);
        Arbitrary<InventoryCommand> restock = Combinators.combine(sku, quantity)
                .as((s, q) -> new InventoryCommand.Restock(UUID.randomUUID(), s, null, q));
        Arbitrary<InventoryCommand> reserve = Combinators.combine(sku, order, quantity)
                .as((s, o, q) -> new InventoryCommand.Reserve(UUID.randomUUID(), s, null, o, q));
        Arbitrary<InventoryCommand> release = Combinators.combine(sku, order)
                .as((s, o) -> new InventoryCommand.Release(UUID.randomUUID(), s, null, o));
        return Arbitraries.oneOf(restock, reserve, reserve, release).list().ofMaxSize(40);
    }

    @Property(tries = 300)
    void shouldNeverLetStockGoNegative(@ForAll("commands") List<InventoryCommand> commands) {
        Map<String, InventoryItem> items = new TreeMap<>();
        for (InventoryCommand command : commands) {
            InventoryItem item = items.getOrDefault(command.sku(), BEHAVIOR.initial(command.sku()));
            if (BEHAVIOR.decide(item, command) instanceof Decision.Accepted<InventoryEvent> accepted) {
                for (InventoryEvent event : accepted.events()) {
                    item = BEHAVIOR.apply(item, event);
                }
            }
            assertThat(item.available()).isNotNegative();
            assertThat(item.reservations().values()).allMatch(q -> q > 0);
            items.put(command.sku(), item);
        }
    }

    @Property(tries = 25)
    void shouldRebuildTheStoreByReplayingTheEvents(@ForAll("commands") List<InventoryCommand> commands)
            throws Exception {
        Path dir = Files.createTempDirectory("inventory-prop");
        try (TestTopology topology = new TestTopology(dir, Map.of())) {
            TestInputTopic<String, byte[]> in = topology.driver.createInputTopic(
                    Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer());
            TestOutputTopic<String, EventEnvelope> out = topology.driver.createOutputTopic(
                    Topics.INVENTORY_EVENTS.name(),
                    new StringDeserializer(),
                    EventEnvelopeSerde.inHeaders(EventSchemas.load()).deserializer());
            long time = 0;
            for (InventoryCommand command : commands) {
                in.pipeInput(
                        command.sku(),
                        Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command),
                        time++);
            }
            List<EventEnvelope> events = new ArrayList<>(out.readValuesToList());
            KeyValueStore<String, InventoryItem> store =
                    topology.driver.getKeyValueStore(InventoryAggregate.ITEMS_STORE);
            Map<String, InventoryItem> stored = new TreeMap<>();
            try (KeyValueIterator<String, InventoryItem> it = store.all()) {
                it.forEachRemaining(kv -> stored.put(kv.key, kv.value));
            }
            Map<String, InventoryItem> replayed = InventoryAggregate.replay(events);
            // Items whose every command was rejected exist in neither (no state-changing event, no put).
            replayed.values().removeIf(item -> item.version() == 0);
            assertThat(replayed).isEqualTo(stored);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }
}
