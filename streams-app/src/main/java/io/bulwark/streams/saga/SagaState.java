package io.bulwark.streams.saga;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A saga instance: where it is, what it waits for, and what it did. Queryable from the saga store.
 *
 * @param step index of the current step (forward phase); when steps go {@linkplain SagaStep#withPrevious() with
 *     the previous one}, of the first step of the current stage
 * @param pending command ids of the current step (stage) still without a successful reply
 * @param attempts sends of the current step's (stage's) commands so far
 * @param deadlineMs when the current wait ends (the wall-clock time of sending plus the timeout); for a terminal
 *     saga, when it is deleted (end + retention)
 * @param touched steps that had at least one successful reply (for operators; compensation undoes every
 *     step whose commands were sent, see {@link SagaTopology})
 * @param compensated steps whose compensation was issued, in the order issued
 * @param history one line per transition, for operators
 */
public record SagaState(
        String sagaId,
        String definition,
        Status status,
        int step,
        Set<String> pending,
        int attempts,
        long deadlineMs,
        List<String> touched,
        List<String> compensated,
        String reason,
        JsonNode trigger,
        List<String> history) {

    /** Where a saga is; all but {@code RUNNING} are terminal. */
    public enum Status {
        RUNNING,
        COMPLETED,
        COMPENSATED,
        CANCELLED,
        FAILED_NEEDS_ATTENTION
    }

    public SagaState {
        pending = Set.copyOf(pending);
        touched = List.copyOf(touched);
        compensated = List.copyOf(compensated);
        history = List.copyOf(history);
    }

    public boolean terminal() {
        return status != Status.RUNNING;
    }

    /** This state with {@code line} added to its history. */
    public SagaState log(String line) {
        List<String> lines = new ArrayList<>(history);
        lines.add(line);
        return new SagaState(
                sagaId,
                definition,
                status,
                step,
                pending,
                attempts,
                deadlineMs,
                touched,
                compensated,
                reason,
                trigger,
                lines);
    }
}
