package io.bulwark.streams.saga;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.EventEnvelope;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * One step of a saga, as data: what to send ({@code action}), how to undo it ({@code compensation},
 * may be null when there is nothing to undo), what to send when the whole saga completed
 * ({@code completion}, may be null: e.g. turn a reservation into a sale so the participant can forget
 * it), how to read replies, and its deadline and retry policy.
 * The functions receive the saga's {@link SagaContext} and must return commands with deterministic
 * ids ({@link SagaDefinition#commandId}), so a re-send is recognisable by participants; {@code onReply}
 * gets the trigger's payload and the reply.
 */
public record SagaStep(
        String name,
        Function<SagaContext, List<Outgoing>> action,
        Function<SagaContext, List<Outgoing>> compensation,
        BiFunction<JsonNode, EventEnvelope, Outcome> onReply,
        Duration timeout,
        int maxAttempts,
        Duration retryBackoff,
        Function<SagaContext, List<Outgoing>> completion) {

    /** A step with nothing to send on completion. */
    public SagaStep(
            String name,
            Function<SagaContext, List<Outgoing>> action,
            Function<SagaContext, List<Outgoing>> compensation,
            BiFunction<JsonNode, EventEnvelope, Outcome> onReply,
            Duration timeout,
            int maxAttempts,
            Duration retryBackoff) {
        this(name, action, compensation, onReply, timeout, maxAttempts, retryBackoff, null);
    }

    /** This step, sending {@code commands} when the saga completes. */
    public SagaStep onSagaCompleted(Function<SagaContext, List<Outgoing>> commands) {
        return new SagaStep(name, action, compensation, onReply, timeout, maxAttempts, retryBackoff, commands);
    }

    public SagaStep {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(action, "action");
        Objects.requireNonNull(onReply, "onReply");
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(retryBackoff, "retryBackoff");
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("Step '" + name + "': maxAttempts = " + maxAttempts + " must be >= 1");
        }
    }
}
