package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.dedup.Deduplication;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A clean restart under exactly-once keeps the local state: nothing is restored from the changelogs.
 *
 * <p>Kafka Streams 4.3 keeps a store's committed changelog offset inside the store; a segmented (window)
 * store with no segments has none, and under exactly-once a task with a store that has no committed offset
 * but a non-empty state directory is "corrupted": all its stores are wiped and restored from their
 * changelogs, on every start. A window store that is always empty in the dedup task (the ids' store of
 * before 2026-12-02) did that to the dedup ids and the order statuses at each restart.
 */
@ExtendWith(SharedInfraExtension.class)
class CleanRestartTest {

    private static final int ORDERS = 300;

    @Test
    void shouldRestoreNothingAfterACleanRestart(KafkaService kafka, @TempDir Path state) throws Exception {
        String prefix = "restart-" + UUID.randomUUID() + "-";
        AppConfig config = BrokerApps.config(kafka, "restart-test-" + UUID.randomUUID(), state, Map.of());

        try (KafkaStreams first = new KafkaStreams(BulwarkTopology.create(config), config.streamsProperties())) {
            first.start();
            awaitPositioned(first);
            produce(kafka, prefix);
            await().atMost(Duration.ofMinutes(2)).until(() -> forwarded(first) >= ORDERS);
            first.close(Duration.ofSeconds(60));
        }

        Map<String, Long> restored = new ConcurrentHashMap<>();
        try (KafkaStreams second = new KafkaStreams(BulwarkTopology.create(config), config.streamsProperties())) {
            second.setGlobalStateRestoreListener(new StateRestoreListener() {
                @Override
                public void onRestoreStart(TopicPartition partition, String store, long start, long end) {}

                @Override
                public void onBatchRestored(TopicPartition partition, String store, long batchEnd, long count) {
                    restored.merge(store, count, Long::sum);
                }

                @Override
                public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {}
            });
            second.start();
            await().atMost(Duration.ofMinutes(2)).until(() -> second.state() == KafkaStreams.State.RUNNING);
            assertThat(restored)
                    .as("records restored per store after a clean restart")
                    .doesNotContainKey(Deduplication.idsStore(BulwarkTopology.ORDER_DEDUP_STORE))
                    .isEmpty();
            second.close(Duration.ofSeconds(60));
        }
    }

    /** Running, and every order-events partition positioned ({@code auto.offset.reset=latest}). */
    private static void awaitPositioned(KafkaStreams streams) {
        await().atMost(Duration.ofSeconds(90))
                .until(() -> streams.state() == KafkaStreams.State.RUNNING
                        && streams.metrics().keySet().stream()
                                        .filter(m -> m.name().equals("records-lag")
                                                && Topics.ORDER_EVENTS
                                                        .name()
                                                        .equals(m.tags().get("topic")))
                                        .count()
                                >= Topics.DOMAIN_PARTITIONS);
    }

    private static double forwarded(KafkaStreams streams) {
        return streams.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-bulwark-dedup-metrics")
                        && e.getKey().name().equals("forwarded-total"))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    private static void produce(KafkaService kafka, String prefix) throws Exception {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            for (int i = 0; i < ORDERS; i++) {
                String orderId = prefix + i;
                EventEnvelope event = BrokerApps.orderPlaced(orderId, prefix + "c-" + (i % 20), "s", 1, 100);
                RecordHeaders headers = new RecordHeaders();
                byte[] value = serde.serializer().serialize(Topics.ORDER_EVENTS.name(), headers, event);
                producer.send(new ProducerRecord<>(
                        Topics.ORDER_EVENTS.name(), null, orderId.getBytes(StandardCharsets.UTF_8), value, headers));
            }
            producer.flush();
        }
    }
}
