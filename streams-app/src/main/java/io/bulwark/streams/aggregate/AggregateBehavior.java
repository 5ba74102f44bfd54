package io.bulwark.streams.aggregate;

/**
 * An event-sourced aggregate, as two pure functions: {@link #decide} turns the current state and
 * a command into events or a rejection; {@link #apply} folds one event into the state. Nothing
 * here does I/O, so the behaviour is tested as plain functions and replaying the events through
 * {@code apply} rebuilds the state exactly.
 *
 * @param <S> state, immutable, carrying its version
 * @param <C> command
 * @param <E> event payload (past tense)
 */
public interface AggregateBehavior<S, C, E> {

    /** The state before any event. */
    S initial(String aggregateId);

    /** The state's version: the number of events applied. */
    long version(S state);

    Decision<E> decide(S state, C command);

    S apply(S state, E event);

    /** Folds events into the initial state: how a store is rebuilt from the event topic. */
    default S replay(String aggregateId, Iterable<E> events) {
        S state = initial(aggregateId);
        for (E event : events) {
            state = apply(state, event);
        }
        return state;
    }
}
