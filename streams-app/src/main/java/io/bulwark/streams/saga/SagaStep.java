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
 *
 * <p>A step {@linkplain #withPrevious() sent with the previous one} forms a stage with it: the stage's commands
 * all go out at once, the saga moves on when every one of them succeeded, and any failure compensates every step
 * of the stage (and the earlier ones). Steps of one stage must tell their replies apart: each answers
 * {@link Outcome#notMine()} to the others'. Within a stage the attempts are counted together, the longest timeout
 * and the largest {@code maxAttempts} of its steps apply, and a retry waits the backoff of the step that asked for it.
 *
 * @param sentWithPrevious whether this step's commands go out together with the previous step's
 */
public record SagaStep(
        String name,
        Function<SagaContext, List<Outgoing>> action,
        Function<SagaContext, List<Outgoing>> compensation,
        BiFunction<JsonNode, EventEnvelope, Outcome> onReply,
        Duration timeout,
        int maxAttempts,
        Duration retryBackoff,
        Function<SagaContext, List<Outgoing>> completion,
        boolean sentWithPrevious) {

    /** A step with nothing to send on completion. */
    public SagaStep(
            String name,
            Function<SagaContext, List<Outgoing>> action,
            Function<SagaContext, List<Outgoing>> compensation,
            BiFunction<JsonNode, EventEnvelope, Outcome> onReply,
            Duration timeout,
            int maxAttempts,
            Duration retryBackoff) {
        this(name, action, compensation, onReply, timeout, maxAttempts, retryBackoff, null, false);
    }

    /** This step, sending {@code commands} when the saga completes. */
    public SagaStep onSagaCompleted(Function<SagaContext, List<Outgoing>> commands) {
        return new SagaStep(
                name, action, compensation, onReply, timeout, maxAttempts, retryBackoff, commands, sentWithPrevious);
    }

    /**
     * This step, its commands sent together with the previous step's instead of after that step succeeded: one
     * round trip fewer, at the price of doing this step's work (and undoing it) when the previous one fails.
     */
    public SagaStep withPrevious() {
        return new SagaStep(name, action, compensation, onReply, timeout, maxAttempts, retryBackoff, completion, true);
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
