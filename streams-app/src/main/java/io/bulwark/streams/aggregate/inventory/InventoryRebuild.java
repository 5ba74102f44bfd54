package io.bulwark.streams.aggregate.inventory;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * The rebuild command: reads {@code bulwark.inventory.events} from the beginning and prints, as JSON,
 * the state of every item that replaying the events yields — what the {@code inventory-items} store
 * must hold. Use it to verify the store, or as the source when rebuilding it.
 *
 * <pre>java -cp … io.bulwark.streams.aggregate.inventory.InventoryRebuild host:port</pre>
 */
public final class InventoryRebuild {

    private InventoryRebuild() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: InventoryRebuild <bootstrap.servers>");
            System.exit(2);
        }
        System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(rebuild(args[0])));
    }

    /** Replays the whole event topic into items by SKU. */
    public static Map<String, InventoryItem> rebuild(String bootstrapServers) {
        Deserializer<EventEnvelope> values =
                Topics.INVENTORY_EVENTS.valueSerde().deserializer();
        List<EventEnvelope> events = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                bootstrapServers,
                ConsumerConfig.GROUP_ID_CONFIG,
                "inventory-rebuild-" + UUID.randomUUID(),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG,
                false,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG,
                "read_committed",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class))) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.INVENTORY_EVENTS.name()).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    events.add(values.deserialize(r.topic(), r.headers(), r.value()));
                }
            }
        }
        // Events of one SKU share a partition, so per-SKU order is the topic's order.
        return InventoryAggregate.replay(events);
    }
}
