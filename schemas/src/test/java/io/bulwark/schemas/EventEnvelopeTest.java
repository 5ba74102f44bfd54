package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventEnvelopeTest {

    @Test
    void shouldRejectLowerCaseType() {
        assertThatThrownBy(() -> envelope("orderPlaced", "order", null))
                .hasMessageContaining("type = 'orderPlaced' must be PascalCase");
    }

    @Test
    void shouldRejectMalformedTraceparent() {
        assertThatThrownBy(() -> envelope("OrderPlaced", "order", "00-0-0-01")).hasMessageContaining("traceparent");
    }

    @Test
    void shouldRejectAllZeroTraceId() {
        assertThatThrownBy(() ->
                        envelope("OrderPlaced", "order", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"))
                .hasMessageContaining("traceparent");
    }

    @Test
    void shouldRejectUpperCaseAggregateType() {
        assertThatThrownBy(() -> envelope("OrderPlaced", "Order", null))
                .hasMessageContaining("aggregateType = 'Order'");
    }

    private static EventEnvelope envelope(String type, String aggregateType, String traceparent) {
        return new EventEnvelope(
                UUID.randomUUID(),
                type,
                aggregateType,
                "o-1",
                null,
                Instant.EPOCH,
                null,
                null,
                traceparent,
                EventEnvelopeSerdeTest.orderPlaced());
    }
}
