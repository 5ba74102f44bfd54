package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The polling relay publishes the same records as the CDC relay for the same rows. */
@ExtendWith(SharedInfraExtension.class)
class RelayModeParityTest {

    @Test
    void shouldPublishIdenticalRecordsInBothModes(PostgresService postgres, KafkaService kafka) throws Exception {
        OutboxFixture outbox = new OutboxFixture(postgres, kafka);
        String prefix = "parity-" + outbox.id + "-";
        outbox.commit(sampleEvents(prefix));

        try (TopicReader reader = new TopicReader(
                kafka.bootstrapServers(), Topics.ORDER_EVENTS.name(), r -> new String(r.key()).startsWith(prefix))) {
            try (OutboxRelay cdc =
                    OutboxRelay.start(outbox.relaySettings(), OutboxFixture.SCHEMAS, new SimpleMeterRegistry())) {
                await().atMost(Duration.ofSeconds(60)).until(() -> reader.poll().size() >= 3);
            } finally {
                outbox.dropSlot();
            }
            PollingOutboxRelay polling = PollingOutboxRelay.manual(
                    PollingOutboxRelay.Settings.of(kafka.bootstrapServers(), outbox.database(), outbox.table),
                    OutboxFixture.SCHEMAS,
                    new SimpleMeterRegistry());
            try (polling) {
                assertThat(polling.publishBatch()).isEqualTo(3);
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> reader.poll().size() >= 6);

            Map<String, List<ConsumerRecord<byte[], byte[]>>> byId = RecordParity.byEventId(reader.drainToEnd());
            assertThat(byId).hasSize(3);
            byId.forEach((id, copies) -> {
                assertThat(copies).as("CDC copy and polling copy of %s", id).hasSize(2);
                RecordParity.assertIdentical(copies.get(0), copies.get(1));
            });
        }
    }

    /** Events that exercise the edges of the mapping: nulls, whole seconds, decimals, nested arrays, unicode. */
    static List<EventEnvelope> sampleEvents(String prefix) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", prefix + "1")
                .put("customerId", "c-\u00e9\u4e2d")
                .put("totalCents", 0)
                .put("currency", "JPY");
        payload.putArray("lines").addObject().put("sku", "a").put("quantity", 3).put("unitPriceCents", 0);
        payload.put("merchantId", "m-1");
        EventEnvelope wholeSecond = new EventEnvelope(
                UUID.randomUUID(),
                "OrderPlaced",
                "order",
                prefix + "1",
                null,
                Instant.parse("2026-01-02T03:04:05Z"),
                null,
                null,
                null,
                payload);
        EventEnvelope micros = OutboxFixture.orderPlaced(prefix + "2", 7);
        EventEnvelope millis = new EventEnvelope(
                UUID.randomUUID(),
                "OrderPlaced",
                "order",
                prefix + "2",
                8L,
                Instant.parse("2026-01-02T03:04:05.120Z"),
                "corr",
                "cause",
                null,
                micros.payload());
        return List.of(wholeSecond, micros, millis);
    }
}
