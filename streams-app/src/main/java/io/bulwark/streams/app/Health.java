package io.bulwark.streams.app;

import java.util.EnumSet;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams.State;

/**
 * Liveness and readiness as functions of the Kafka Streams state.
 *
 * <ul>
 *   <li>live: the client has not failed and is not shut down — a supervisor restarts it otherwise;</li>
 *   <li>ready: {@code RUNNING}, i.e. every task is assigned and restored, so its stores answer
 *       queries. During a rebalance or restoration the instance is live but not ready.</li>
 * </ul>
 */
public final class Health {

    private static final Set<State> DEAD =
            EnumSet.of(State.ERROR, State.PENDING_ERROR, State.PENDING_SHUTDOWN, State.NOT_RUNNING);

    private Health() {}

    public static boolean live(State state) {
        return !DEAD.contains(state);
    }

    public static boolean ready(State state) {
        return state == State.RUNNING;
    }
}
