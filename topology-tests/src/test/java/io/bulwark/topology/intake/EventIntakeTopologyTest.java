package io.bulwark.topology.intake;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.intake.EventIntake;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The intake topology under TopologyTestDriver. Poison records are skipped by the deserialization
 * handler here; TopologyTestDriver (Kafka 4.3.1) does not emit the handler's dead-letter records,
 * so their content and headers are checked against the real broker in streams-app's StreamsAppTest.
 */
class EventIntakeTopologyTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T09:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path stateDir;

    private Properties props;

    @BeforeEach
    void setUp() {
        AppConfig config = ConfigLoader.load(null, Map.of(), Map.of(
                AppConfig.BOOTSTRAP_SERVERS, "unused:9092",
                AppConfig.STATE_DIR, stateDir.toString()));
        props = config.streamsProperties();
    }

    @Test
    void shouldCountValidEventsPerAggregate() {
        try (TopologyTestDriver driver = driver()) {
            TestInputTopic<String, EventEnvelope> orders = ordersTopic(driver);
            orders.pipeInput("o-1", event("o-1"));
            orders.pipeInput("o-2", event("o-2"));
            orders.pipeInput("o-1", event("o-1"));

            KeyValueStore<String, Long> counts = driver.getKeyValueStore(EventIntake.EVENTS_PER_AGGREGATE_STORE);
            assertThat(counts.get("o-1")).isEqualTo(2L);
            assertThat(counts.get("o-2")).isEqualTo(1L);
        }
    }

    @Test
    void shouldSkipRecordWithoutEventIdAndKeepProcessing() {
        try (TopologyTestDriver driver = driver()) {
            TestInputTopic<String, String> raw = driver.createInputTopic(Topics.ORDER_EVENTS.name(),
                    new StringSerializer(), new StringSerializer());
            RecordHeaders headers = new RecordHeaders();
            headers.add(EnvelopeHeaders.EVENT_TYPE, "OrderPlaced".getBytes(StandardCharsets.UTF_8));
            raw.pipeInput(new TestRecord<>("o-9", payload("o-9").toString(), headers, Instant.EPOCH));
            ordersTopic(driver).pipeInput("o-9", event("o-9"));

            KeyValueStore<String, Long> counts = driver.getKeyValueStore(EventIntake.EVENTS_PER_AGGREGATE_STORE);
            assertThat(counts.get("o-9")).isEqualTo(1L);
        }
    }

    @Test
    void shouldSkipSchemaInvalidPayload() {
        try (TopologyTestDriver driver = driver()) {
            ObjectNode invalid = payload("o-3");
            invalid.put("currency", "euros");
            ordersTopic(driver).pipeInput("o-3", EventEnvelope.newEvent("OrderPlaced", "order", "o-3", invalid, CLOCK));
            ordersTopic(driver).pipeInput("o-4", event("o-4"));

            KeyValueStore<String, Long> counts = driver.getKeyValueStore(EventIntake.EVENTS_PER_AGGREGATE_STORE);
            assertThat(counts.get("o-3")).isNull();
            assertThat(counts.get("o-4")).isEqualTo(1L);
        }
    }

    private TopologyTestDriver driver() {
        return new TopologyTestDriver(BulwarkTopology.create(EventSchemas.load(), props), props);
    }

    private static TestInputTopic<String, EventEnvelope> ordersTopic(TopologyTestDriver driver) {
        return driver.createInputTopic(Topics.ORDER_EVENTS.name(),
                Topics.ORDER_EVENTS.keySerde().serializer(), EventEnvelopeSerde.inHeaders().serializer());
    }

    private static EventEnvelope event(String orderId) {
        return EventEnvelope.newEvent("OrderPlaced", "order", orderId, payload(orderId), CLOCK);
    }

    private static ObjectNode payload(String orderId) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId).put("customerId", "c-1").put("totalCents", 500).put("currency", "EUR");
        payload.putArray("lines").addObject().put("sku", "s-1").put("quantity", 1).put("unitPriceCents", 500);
        return payload;
    }
}
