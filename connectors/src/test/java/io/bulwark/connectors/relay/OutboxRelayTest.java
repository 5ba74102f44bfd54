package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SharedInfraExtension.class)
class OutboxRelayTest {

    private OutboxFixture outbox;
    private OutboxRelay relay;

    @BeforeEach
    void setUp(PostgresService postgres, KafkaService kafka) throws Exception {
        outbox = new OutboxFixture(postgres, kafka);
    }

    @AfterEach
    void tearDown() {
        if (relay != null) {
            relay.close();
        }
        outbox.dropSlot();
    }

    @Test
    void shouldPublishCommittedEventWithExactKeyHeadersAndValueAndNothingForRollback() throws Exception {
        relay = OutboxRelay.start(outbox.relaySettings(), OutboxFixture.SCHEMAS, new SimpleMeterRegistry());
        String order = "o-" + outbox.id;
        EventEnvelope committed = OutboxFixture.orderPlaced(order, 1);
        EventEnvelope rolledBack = OutboxFixture.orderPlaced(order, 2);
        EventEnvelope after = OutboxFixture.orderPlaced(order, 3);

        outbox.commit(List.of(committed));
        outbox.rollback(List.of(rolledBack));
        outbox.commit(List.of(after));

        try (TopicReader reader = new TopicReader(
                outbox.kafka.bootstrapServers(),
                Topics.ORDER_EVENTS.name(),
                r -> new String(r.key(), StandardCharsets.UTF_8).equals(order))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().size() >= 2);
            List<ConsumerRecord<byte[], byte[]>> records = reader.poll();
            assertThat(records).hasSize(2);

            ConsumerRecord<byte[], byte[]> first = records.get(0);
            assertThat(header(first, "id")).isEqualTo(committed.eventId().toString());
            assertThat(header(first, "eventType")).isEqualTo("OrderPlaced");
            assertThat(header(first, "aggregateType")).isEqualTo("order");
            assertThat(header(first, "aggregateId")).isEqualTo(order);
            assertThat(header(first, "aggregateVersion")).isEqualTo("1");
            assertThat(header(first, "correlationId")).isEqualTo("corr-" + order);
            assertThat(header(first, "traceparent")).isEqualTo(committed.traceparent());
            EventEnvelope read = EventEnvelopeSerde.inHeaders(OutboxFixture.SCHEMAS)
                    .deserializer()
                    .deserialize(first.topic(), first.headers(), first.value());
            assertThat(read.payload()).isEqualTo(committed.payload());
            assertThat(read.occurredAt()).isEqualTo(committed.occurredAt());
            assertThat(read).isEqualTo(committed);

            assertThat(records)
                    .extracting(r -> header(r, "id"))
                    .containsExactly(
                            committed.eventId().toString(), after.eventId().toString())
                    .doesNotContain(rolledBack.eventId().toString());
        }
    }

    @Test
    void shouldDeadLetterHandWrittenRowWithBrokenPayloadAndKeepGoing() throws Exception {
        relay = OutboxRelay.start(outbox.relaySettings(), OutboxFixture.SCHEMAS, new SimpleMeterRegistry());
        String order = "o-" + outbox.id;
        UUID broken = UUID.randomUUID();
        outbox.insertRaw(broken, "order", order, "OrderPlaced", "{\"orderId\": 42}");
        EventEnvelope good = OutboxFixture.orderPlaced(order, 1);
        outbox.commit(List.of(good));

        try (TopicReader dead = new TopicReader(
                        outbox.kafka.bootstrapServers(),
                        Topics.DEAD_LETTERS.name(),
                        r -> broken.toString().equals(header(r, "id")));
                TopicReader events = new TopicReader(
                        outbox.kafka.bootstrapServers(),
                        Topics.ORDER_EVENTS.name(),
                        r -> new String(r.key(), StandardCharsets.UTF_8).equals(order))) {
            await().atMost(Duration.ofSeconds(60))
                    .until(() -> !dead.poll().isEmpty() && !events.poll().isEmpty());
            ConsumerRecord<byte[], byte[]> letter = dead.poll().get(0);
            assertThat(header(letter, DeadLetterHeaders.MESSAGE)).contains("breaks the schema of OrderPlaced");
            assertThat(header(letter, DeadLetterHeaders.TOPIC)).isEqualTo(Topics.ORDER_EVENTS.name());
            assertThat(events.poll())
                    .extracting(r -> header(r, "id"))
                    .containsExactly(good.eventId().toString());
        }
        assertThat(relay.running()).isTrue();
        assertThat(relay.refreshSlotLag()).isGreaterThanOrEqualTo(0);
    }

    /**
     * Heartbeats are dropped by the connector's own filter before they reach the relay's handler; the
     * slot must still move past WAL written elsewhere in the database, or an idle outbox holds WAL
     * forever and reads as a stall.
     */
    @Test
    void shouldMoveTheSlotPastOtherWalWhileTheOutboxIsIdle() throws Exception {
        Map<String, String> overrides = new HashMap<>(outbox.relaySettings().overrides());
        overrides.put("heartbeat.interval.ms", "500");
        relay = OutboxRelay.start(
                outbox.relaySettings().withOverrides(overrides), OutboxFixture.SCHEMAS, new SimpleMeterRegistry());
        String order = "o-" + outbox.id;
        outbox.commit(List.of(OutboxFixture.orderPlaced(order, 1)));
        try (TopicReader reader = new TopicReader(
                outbox.kafka.bootstrapServers(),
                Topics.ORDER_EVENTS.name(),
                r -> new String(r.key(), StandardCharsets.UTF_8).equals(order))) {
            await().atMost(Duration.ofSeconds(60)).until(() -> !reader.poll().isEmpty());
        }

        long written = outbox.writeUncapturedWal();
        await().atMost(Duration.ofSeconds(30))
                .pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(outbox.confirmedFlushLsn()).isGreaterThanOrEqualTo(written));
        assertThat(relay.stalled()).isFalse();
    }

    static String header(ConsumerRecord<byte[], byte[]> record, String name) {
        return EnvelopeHeaders.text(record.headers(), name);
    }

    static Set<String> ids(List<ConsumerRecord<byte[], byte[]>> records) {
        return Set.copyOf(records.stream().map(r -> header(r, "id")).toList());
    }
}
