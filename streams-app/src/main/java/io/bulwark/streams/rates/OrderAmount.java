package io.bulwark.streams.rates;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import java.util.Optional;

/** What rate accounting reads from an {@code OrderPlaced} event. {@code merchantId} may be null. */
public record OrderAmount(String customerId, String merchantId, long amountCents) {

    /** The amounts of an OrderPlaced event; empty for any other event type. */
    public static Optional<OrderAmount> of(EventEnvelope event) {
        if (!EventTypes.ORDER_PLACED.name().equals(event.type())) {
            return Optional.empty();
        }
        JsonNode payload = event.payload();
        JsonNode merchant = payload.path("merchantId");
        return Optional.of(new OrderAmount(
                payload.path("customerId").asText(),
                merchant.isTextual() ? merchant.asText() : null,
                payload.path("totalCents").asLong()));
    }
}
