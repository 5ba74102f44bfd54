package io.bulwark.streams.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;

/**
 * What a saga definition's functions are given: the saga's id, its trigger's payload, and the time
 * to stamp what they build with — the processor's clock (wall clock in production, the test driver's in
 * {@code TopologyTestDriver}), never {@code Instant.now()}.
 */
public record SagaContext(String sagaId, JsonNode trigger, Instant now) {

    public SagaContext {
        Objects.requireNonNull(sagaId, "sagaId");
        Objects.requireNonNull(trigger, "trigger");
        Objects.requireNonNull(now, "now");
    }
}
