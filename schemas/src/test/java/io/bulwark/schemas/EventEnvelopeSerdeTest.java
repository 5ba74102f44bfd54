package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class EventEnvelopeSerdeTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-26T10:15:30.123Z"), ZoneOffset.UTC);
    private static final String TOPIC = Topics.ORDER_EVENTS.name();

    static ObjectNode orderPlaced() {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", "o-1")
                .put("customerId", "c-1")
                .put("totalCents", 2500)
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", "sku-1")
                .put("quantity", 2)
                .put("unitPriceCents", 1250);
        return payload;
    }

    static EventEnvelope event() {
        return EventEnvelope.newEvent("OrderPlaced", "order", "o-1", orderPlaced(), CLOCK)
                .withAggregateVersion(1)
                .withCorrelation("req-7", "cmd-3")
                .withTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
    }

    @Test
    void shouldRoundTripEnvelopeThroughHeadersAndPayload() throws Exception {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders(EventSchemas.load());
        EventEnvelope sent = event();
        Headers headers = new RecordHeaders();

        byte[] value = serde.serializer().serialize(TOPIC, headers, sent);
        EventEnvelope read = serde.deserializer().deserialize(TOPIC, headers, value);

        assertThat(read).isEqualTo(sent);
        assertThat(EnvelopeHeaders.text(headers, EnvelopeHeaders.EVENT_ID))
                .isEqualTo(sent.eventId().toString());
        assertThat(EnvelopeHeaders.text(headers, EnvelopeHeaders.EVENT_TYPE)).isEqualTo("OrderPlaced");
        JsonNode valueJson = Json.mapper().readTree(new String(value, StandardCharsets.UTF_8));
        assertThat(valueJson).isEqualTo(orderPlaced());
    }

    @Test
    void shouldReplaceTheInputsEnvelopeHeadersKeepOthersAndLetTheLastOfARepeatedHeaderWin() {
        // A forwarded record still carries its input's headers; a producer we did not write may repeat one.
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        EventEnvelope input = event();
        Headers headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(TOPIC, headers, input);
        headers.add("b3", "trace".getBytes(StandardCharsets.UTF_8));
        headers.add(EnvelopeHeaders.EVENT_TYPE, "OrderCancelled".getBytes(StandardCharsets.UTF_8));

        assertThat(serde.deserializer().deserialize(TOPIC, headers, value).type())
                .isEqualTo("OrderCancelled");

        EventEnvelope output = EventEnvelope.newEvent("OrderConfirmed", "order", "o-1", orderPlaced(), CLOCK);
        serde.serializer().serialize(TOPIC, headers, output);

        assertThat(headers.toArray())
                .extracting(h -> h.key())
                .containsExactly(
                        "b3",
                        EnvelopeHeaders.EVENT_ID,
                        EnvelopeHeaders.EVENT_TYPE,
                        EnvelopeHeaders.AGGREGATE_TYPE,
                        EnvelopeHeaders.AGGREGATE_ID,
                        EnvelopeHeaders.OCCURRED_AT);
        assertThat(serde.deserializer().deserialize(TOPIC, headers, value)).isEqualTo(output);
    }

    @Test
    void shouldRoundTripSelfContainedJsonForm() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.asJson();
        EventEnvelope sent = event();
        assertThat(serde.deserializer().deserialize(TOPIC, serde.serializer().serialize(TOPIC, sent)))
                .isEqualTo(sent);
    }

    @Test
    void shouldRejectRecordWithoutEventIdHeader() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        Headers headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(TOPIC, headers, event());
        headers.remove(EnvelopeHeaders.EVENT_ID);

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, headers, value))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("no 'id' header");
    }

    @Test
    void shouldRejectMalformedEventIdHeader() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        Headers headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(TOPIC, headers, event());
        headers.remove(EnvelopeHeaders.EVENT_ID)
                .add(EnvelopeHeaders.EVENT_ID, "not-a-uuid".getBytes(StandardCharsets.UTF_8));

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, headers, value))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("'not-a-uuid' is not a UUID");
    }

    @Test
    void shouldRejectPayloadThatIsNotJson() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        Headers headers = new RecordHeaders();
        serde.serializer().serialize(TOPIC, headers, event());

        assertThatThrownBy(() ->
                        serde.deserializer().deserialize(TOPIC, headers, "{oops".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not JSON");
    }

    @Test
    void shouldRejectSchemaInvalidPayloadWhenValidating() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders(EventSchemas.load());
        Headers headers = new RecordHeaders();
        serde.serializer().serialize(TOPIC, headers, event());
        byte[] invalid = "{\"orderId\":\"o-1\"}".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> serde.deserializer().deserialize(TOPIC, headers, invalid))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("breaks its schema")
                .hasCauseInstanceOf(SchemaViolationException.class);
    }

    @Test
    void shouldRefuseHeaderlessCallsWithClearMessage() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        assertThatThrownBy(() -> serde.serializer().serialize(TOPIC, event()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("passed no headers");
    }

    @Test
    void shouldPassTombstonesThrough() {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        assertThat(serde.serializer().serialize(TOPIC, new RecordHeaders(), null))
                .isNull();
        assertThat(serde.deserializer().deserialize(TOPIC, new RecordHeaders(), (byte[]) null))
                .isNull();
    }
}
