package io.bulwark.streams.saga;

import io.bulwark.schemas.EventEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * A saga as data: the event type that starts one (keyed by the saga id, e.g. the order id), its
 * steps in order, and the events it emits when it ends. The engine ({@link SagaTopology}) knows
 * nothing of orders or payments: a second saga is a second definition.
 *
 * @param onCompleted the event to emit when every step succeeded
 * @param onFailed the event to emit when the saga ends compensated or failed (given the reason and status)
 * @param cancelType the event type (keyed by saga id) that cancels a running saga, or null when it cannot
 *     be cancelled: the saga compensates every step it sent and ends {@code CANCELLED}; a cancel after the
 *     end changes nothing; a cancel before the trigger ends the saga before it starts
 * @param onCancelled the event to emit when a cancel ended the saga (given the reason and status)
 */
public record SagaDefinition(
        String name,
        String triggerType,
        List<SagaStep> steps,
        Function<SagaContext, EventEnvelope> onCompleted,
        TerminalEvent onFailed,
        String cancelType,
        TerminalEvent onCancelled) {

    /** A saga that cannot be cancelled. */
    public SagaDefinition(
            String name,
            String triggerType,
            List<SagaStep> steps,
            Function<SagaContext, EventEnvelope> onCompleted,
            TerminalEvent onFailed) {
        this(name, triggerType, steps, onCompleted, onFailed, null, null);
    }

    /** Builds the failure (or cancellation) event from the saga's context, the reason and the terminal status. */
    @FunctionalInterface
    public interface TerminalEvent {
        EventEnvelope create(SagaContext saga, String reason, SagaState.Status status);
    }

    /** The store of this saga's states, by saga id (queryable). */
    public String statesStore() {
        return "saga-" + name + "-states";
    }

    /** The store of this saga's deadlines, by deadline then saga id. */
    public String deadlinesStore() {
        return "saga-" + name + "-deadlines";
    }

    public SagaDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(triggerType, "triggerType");
        steps = List.copyOf(steps);
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("Saga '" + name + "' needs at least one step");
        }
        if ((cancelType == null) != (onCancelled == null)) {
            throw new IllegalArgumentException("Saga '" + name + "': cancelType and onCancelled go together");
        }
        if (triggerType.equals(cancelType)) {
            throw new IllegalArgumentException("Saga '" + name + "': the cancel type cannot be the trigger type");
        }
        if (steps.stream().map(SagaStep::name).distinct().count() != steps.size()) {
            throw new IllegalArgumentException("Saga '" + name + "' has two steps with one name");
        }
        if (steps.get(0).sentWithPrevious()) {
            throw new IllegalArgumentException("Saga '" + name + "': its first step '"
                    + steps.get(0).name() + "' has no previous step to go with");
        }
    }

    /**
     * The end (exclusive) of the stage that runs from step {@code from}: the steps after it that go
     * {@linkplain SagaStep#withPrevious() with their previous one}.
     */
    public int stageEnd(int from) {
        int end = from + 1;
        while (end < steps.size() && steps.get(end).sentWithPrevious()) {
            end++;
        }
        return end;
    }

    /** A command id that is the same every time for this saga, step, purpose and index. */
    public static String commandId(String sagaId, String step, String purpose, int index) {
        return UUID.nameUUIDFromBytes(
                        (sagaId + "|" + step + "|" + purpose + "|" + index).getBytes(StandardCharsets.UTF_8))
                .toString();
    }
}
