package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole app on the embedded broker under exactly_once_v2: 100,000 order events of which 30%
 * are copies reach a read_committed consumer of the unique topic exactly once each; poison records
 * land on the dead-letter topic with their cause and origin, and the app keeps running.
 */
@ExtendWith(SharedInfraExtension.class)
class DedupExactlyOnceTest {

    private static final int TOTAL = 100_000;
    private static final int UNIQUE = 70_000;
    /** 140 orders each: every customer goes over the default quota rule (20 orders per 10 minutes). */
    private static final int CUSTOMERS = 500;

    @Test
    void shouldDeliverEveryUniqueEventExactlyOnceAndDeadLetterPoison(KafkaService kafka, @TempDir Path state)
            throws Exception {
        String prefix = "eos-" + UUID.randomUUID() + "-";
        List<EventEnvelope> unique = new ArrayList<>(UNIQUE);
        for (int i = 0; i < UNIQUE; i++) {
            unique.add(BrokerApps.orderPlaced(
                    prefix + (i % 1_000), prefix + "c-" + (i % CUSTOMERS), "s", 1, 100 + i % 900));
        }
        Random random = new Random(42);
        List<EventEnvelope> deliveries = new ArrayList<>(TOTAL);
        for (int i = 0; i < UNIQUE; i++) {
            deliveries.add(unique.get(i));
            // a copy of a recent event (same key, same id), as a relay re-delivery after a restart
            if (deliveries.size() < TOTAL && random.nextInt(UNIQUE) < TOTAL - UNIQUE) {
                deliveries.add(unique.get(Math.max(0, i - random.nextInt(500))));
            }
        }
        while (deliveries.size() < TOTAL) {
            deliveries.add(unique.get(random.nextInt(UNIQUE)));
        }
        // Two stream threads (as the dev-stack runs): the whole app processes the 100,000 events, and one
        // thread's exactly-once flush then overlaps the other's work (measured 53-213 s with one thread).
        AppConfig config = BrokerApps.config(
                kafka,
                "eos-test-" + UUID.randomUUID(),
                state,
                Map.of(
                        "kafka." + ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                        "earliest", // creates the topics
                        AppConfig.NUM_STREAM_THREADS,
                        "2"));
        produce(kafka, deliveries, prefix);

        StreamsApp app = StreamsApp.start(config, BulwarkTopology.create(config));
        try (KafkaConsumer<byte[], byte[]> consumer = consumer(kafka, Topics.ORDER_EVENTS_UNIQUE.name());
                KafkaConsumer<byte[], byte[]> dead = consumer(kafka, Topics.DEAD_LETTERS.name())) {
            Map<String, Integer> copies = new HashMap<>();
            await().atMost(Duration.ofMinutes(6)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (new String(r.key(), StandardCharsets.UTF_8).startsWith(prefix)) {
                        copies.merge(EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.EVENT_ID), 1, Integer::sum);
                    }
                }
                return copies.size() >= UNIQUE;
            });
            drainToEnd(consumer, prefix, copies);
            assertThat(copies).hasSize(UNIQUE);
            assertThat(copies.values()).as("copies per event id").allMatch(n -> n == 1);
            Set<String> expected = new HashSet<>();
            unique.forEach(e -> expected.add(e.eventId().toString()));
            assertThat(copies.keySet()).isEqualTo(expected);

            List<ConsumerRecord<byte[], byte[]>> letters = new ArrayList<>();
            await().atMost(Duration.ofMinutes(1)).until(() -> {
                for (ConsumerRecord<byte[], byte[]> r : dead.poll(Duration.ofMillis(500))) {
                    if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).startsWith(prefix + "poison")) {
                        letters.add(r);
                    }
                }
                return letters.size() >= 3;
            });
            for (ConsumerRecord<byte[], byte[]> letter : letters) {
                Headers h = letter.headers();
                assertThat(EnvelopeHeaders.text(h, DeadLetterHeaders.EXCEPTION)).isNotBlank();
                assertThat(EnvelopeHeaders.text(h, DeadLetterHeaders.STACKTRACE))
                        .isNotBlank();
                assertThat(EnvelopeHeaders.text(h, DeadLetterHeaders.TOPIC)).isEqualTo(Topics.ORDER_EVENTS.name());
                assertThat(EnvelopeHeaders.text(h, DeadLetterHeaders.PARTITION)).isNotBlank();
                assertThat(EnvelopeHeaders.text(h, DeadLetterHeaders.OFFSET)).isNotBlank();
            }
            assertThat(letters)
                    .extracting(r -> EnvelopeHeaders.text(r.headers(), DeadLetterHeaders.MESSAGE))
                    .anySatisfy(m -> assertThat(m).contains("not JSON"))
                    .anySatisfy(m -> assertThat(m).contains("breaks its schema"))
                    .anySatisfy(m -> assertThat(m).contains("no 'id' header"));
            assertQuotaAlertedOncePerCustomerAndWindow(kafka, prefix);
            assertThat(app.state().isRunningOrRebalancing()).isTrue();
        } finally {
            app.close();
        }
    }

    private static void produce(KafkaService kafka, List<EventEnvelope> deliveries, String prefix) throws Exception {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            for (EventEnvelope e : deliveries) {
                RecordHeaders headers = new RecordHeaders();
                byte[] value = serde.serializer().serialize(Topics.ORDER_EVENTS.name(), headers, e);
                producer.send(new ProducerRecord<>(
                        Topics.ORDER_EVENTS.name(),
                        null,
                        e.aggregateId().getBytes(StandardCharsets.UTF_8),
                        value,
                        headers));
            }
            // poison: not JSON; schema-invalid; no event id header
            EventEnvelope valid = BrokerApps.orderPlaced(prefix + "poison", prefix + "poison", "s", 1, 100);
            RecordHeaders notJson = new RecordHeaders();
            serde.serializer().serialize(Topics.ORDER_EVENTS.name(), notJson, valid);
            send(producer, prefix + "poison-1", "{oops".getBytes(StandardCharsets.UTF_8), notJson);
            ObjectNode bad = valid.payload().deepCopy();
            bad.put("currency", "euros");
            RecordHeaders invalid = new RecordHeaders();
            serde.serializer().serialize(Topics.ORDER_EVENTS.name(), invalid, valid);
            send(producer, prefix + "poison-2", Json.mapper().writeValueAsBytes(bad), invalid);
            RecordHeaders noId = new RecordHeaders();
            byte[] payload = serde.serializer().serialize(Topics.ORDER_EVENTS.name(), noId, valid);
            noId.remove(EnvelopeHeaders.EVENT_ID);
            send(producer, prefix + "poison-3", payload, noId);
            producer.flush();
        }
    }

    /**
     * The rates topology runs in the same app, its quota store cached: every customer crossed the rule, and
     * each breached window has exactly one alert, sent on the update that crossed it (the 21st order) even
     * though many updates of the window fall between two commits.
     */
    private static void assertQuotaAlertedOncePerCustomerAndWindow(KafkaService kafka, String prefix) {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        Map<String, Integer> alertsPerWindow = new HashMap<>();
        Set<String> customers = new HashSet<>();
        List<Long> counts = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> alerts = consumer(kafka, Topics.RATE_ALERTS.name())) {
            Runnable read = () -> {
                for (ConsumerRecord<byte[], byte[]> r : alerts.poll(Duration.ofMillis(200))) {
                    String customer = new String(r.key(), StandardCharsets.UTF_8);
                    if (customer.startsWith(prefix)) {
                        EventEnvelope alert = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                        alertsPerWindow.merge(
                                customer + "@"
                                        + alert.payload().path("windowStart").asText(),
                                1,
                                Integer::sum);
                        customers.add(customer);
                        counts.add(alert.payload().path("count").asLong());
                    }
                }
            };
            await().atMost(Duration.ofMinutes(2)).until(() -> {
                read.run();
                return customers.size() >= CUSTOMERS;
            });
            var end = alerts.endOffsets(alerts.assignment());
            while (end.entrySet().stream().anyMatch(e -> alerts.position(e.getKey()) < e.getValue())) {
                read.run();
            }
        }
        assertThat(customers).hasSize(CUSTOMERS);
        assertThat(alertsPerWindow.values())
                .as("alerts per customer and window")
                .allMatch(n -> n == 1);
        assertThat(counts).as("orders in the window when it alerted").allMatch(n -> n == 21);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, String key, byte[] value, Headers headers) {
        producer.send(new ProducerRecord<>(
                Topics.ORDER_EVENTS.name(), null, key.getBytes(StandardCharsets.UTF_8), value, headers));
    }

    private static KafkaConsumer<byte[], byte[]> consumer(KafkaService kafka, String topic) {
        return KafkaClients.bytesConsumer(kafka.bootstrapServers(), topic, "earliest");
    }

    private static void drainToEnd(KafkaConsumer<byte[], byte[]> consumer, String prefix, Map<String, Integer> copies) {
        var end = consumer.endOffsets(consumer.assignment());
        while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (new String(r.key(), StandardCharsets.UTF_8).startsWith(prefix)) {
                    copies.merge(EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.EVENT_ID), 1, Integer::sum);
                }
            }
        }
    }
}
