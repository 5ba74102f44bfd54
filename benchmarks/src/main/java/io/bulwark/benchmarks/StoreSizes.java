package io.bulwark.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.Directories;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;

/**
 * What the stores keep per order: drives the app's real topology (default settings) in a
 * TopologyTestDriver with {@code ORDERS} orders (5% declined, one customer per 5 orders, 20 SKUs) and
 * the payment worker's answers, then reads every store's changelog as compaction would leave it (last
 * record per key, tombstones removed) and prints entries and key+value bytes, per order and per
 * million orders. Bytes are the logical (serialized) size; RocksDB adds per-entry overhead and
 * compresses, the changelog topics add record headers.
 *
 * <pre>benchmarks/run-java.sh 1g StoreSizes [ORDERS]</pre>
 */
public final class StoreSizes {

    private static final int SKUS = 20;

    private StoreSizes() {}

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 5_000;
        Path dir = Files.createTempDirectory("store-sizes");
        AppConfig config = ConfigLoader.load(
                null,
                Map.of(),
                Map.of(AppConfig.BOOTSTRAP_SERVERS, "unused:9092", AppConfig.STATE_DIR, dir.toString()));
        EventSchemas schemas = EventSchemas.load();
        Map<String, Map<String, Integer>> changelogs = new TreeMap<>();
        try (TopologyTestDriver driver = new TopologyTestDriver(
                BulwarkTopology.create(config), config.streamsProperties(), Instant.parse("2026-11-27T00:00:00Z"))) {
            TestInputTopic<String, EventEnvelope> orderEvents = driver.createInputTopic(
                    Topics.ORDER_EVENTS.name(),
                    new StringSerializer(),
                    EventEnvelopeSerde.inHeaders().serializer());
            TestInputTopic<String, byte[]> inventory = driver.createInputTopic(
                    Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer());
            TestInputTopic<String, EventEnvelope> paymentEvents = driver.createInputTopic(
                    Topics.PAYMENT_EVENTS.name(),
                    new StringSerializer(),
                    EventEnvelopeSerde.inHeaders().serializer());
            TestOutputTopic<String, EventEnvelope> paymentCommands = driver.createOutputTopic(
                    Topics.PAYMENT_COMMANDS.name(),
                    new StringDeserializer(),
                    EventEnvelopeSerde.inHeaders().deserializer());
            Instant now = Instant.parse("2026-11-27T00:00:00Z");
            for (int s = 0; s < SKUS; s++) {
                inventory.pipeInput(
                        "sku-" + s,
                        Json.mapper()
                                .writerFor(InventoryCommand.class)
                                .writeValueAsBytes(
                                        new InventoryCommand.Restock(UUID.randomUUID(), "sku-" + s, null, 1_000_000)),
                        now);
            }
            for (int i = 0; i < orders; i++) {
                now = now.plusMillis(10);
                String orderId = "ord-" + UUID.randomUUID();
                ObjectNode payload = Json.mapper()
                        .createObjectNode()
                        .put("orderId", orderId)
                        .put("customerId", "customer-" + (i / 5))
                        .put("totalCents", 2_500)
                        .put("currency", "EUR");
                payload.putArray("lines")
                        .addObject()
                        .put("sku", "sku-" + (i % SKUS))
                        .put("quantity", 1 + i % 3)
                        .put("unitPriceCents", 1_250);
                orderEvents.pipeInput(
                        orderId,
                        new EventEnvelope(
                                UUID.randomUUID(),
                                EventTypes.ORDER_PLACED.name(),
                                "order",
                                orderId,
                                1L,
                                now,
                                orderId,
                                null,
                                null,
                                payload),
                        now);
                for (TestRecord<String, EventEnvelope> command : paymentCommands.readRecordsToList()) {
                    EventEnvelope c = command.value();
                    if (!c.type().equals(EventTypes.AUTHORIZE_PAYMENT.name())) {
                        continue;
                    }
                    boolean decline = c.aggregateId().hashCode() % 20 == 0;
                    ObjectNode reply = Json.mapper().createObjectNode().put("orderId", c.aggregateId());
                    if (decline) {
                        reply.put("reason", "insufficient_funds");
                    }
                    paymentEvents.pipeInput(
                            c.aggregateId(),
                            new EventEnvelope(
                                    UUID.randomUUID(),
                                    decline ? "PaymentDeclined" : "PaymentAuthorized",
                                    "payment",
                                    c.aggregateId(),
                                    null,
                                    now,
                                    c.aggregateId(),
                                    c.eventId().toString(),
                                    null,
                                    reply),
                            now);
                }
                if (i % 100 == 0) {
                    driver.advanceWallClockTime(Duration.ofMillis(100));
                }
            }
            driver.advanceWallClockTime(Duration.ofSeconds(1));
            Set<String> topics = driver.producedTopicNames();
            String prefix = config.getString(AppConfig.APPLICATION_ID) + "-";
            for (String topic : topics) {
                if (!topic.startsWith(prefix) || !topic.endsWith("-changelog")) {
                    continue;
                }
                Map<String, Integer> compacted = new HashMap<>();
                TestOutputTopic<byte[], byte[]> changelog =
                        driver.createOutputTopic(topic, new ByteArrayDeserializer(), new ByteArrayDeserializer());
                for (TestRecord<byte[], byte[]> record : changelog.readRecordsToList()) {
                    String key = HexFormat.of().formatHex(record.key());
                    if (record.value() == null) {
                        compacted.remove(key);
                    } else {
                        compacted.put(key, record.key().length + record.value().length);
                    }
                }
                changelogs.put(topic.substring(prefix.length(), topic.length() - "-changelog".length()), compacted);
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
        System.out.printf(
                "Store sizes after %,d orders (default settings; logical key+value bytes of the compacted "
                        + "changelog)%n%n",
                orders);
        System.out.printf("| store | entries | bytes | bytes per order | per 1M orders |%n|---|---:|---:|---:|---:|%n");
        long totalBytes = 0;
        for (Map.Entry<String, Map<String, Integer>> store : changelogs.entrySet()) {
            long bytes = store.getValue().values().stream()
                    .mapToLong(Integer::longValue)
                    .sum();
            totalBytes += bytes;
            System.out.printf(
                    "| `%s` | %,d | %,d | %.1f | %,.0f MB |%n",
                    store.getKey(),
                    store.getValue().size(),
                    bytes,
                    bytes / (double) orders,
                    bytes / (double) orders * 1_000_000 / 1e6);
        }
        System.out.printf(
                "| **total** | | %,d | %.1f | %,.0f MB |%n",
                totalBytes, totalBytes / (double) orders, totalBytes / (double) orders * 1_000_000 / 1e6);
    }
}
