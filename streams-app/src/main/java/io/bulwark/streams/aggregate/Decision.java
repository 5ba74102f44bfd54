package io.bulwark.streams.aggregate;

import java.util.List;
import java.util.Objects;

/** What a command handler decided: the events to record, or a rejection with a stable code and reason. */
public sealed interface Decision<E> permits Decision.Accepted, Decision.Rejected {

    static <E> Decision<E> accept(List<E> events) {
        return new Accepted<>(events);
    }

    @SafeVarargs
    static <E> Decision<E> accept(E... events) {
        return new Accepted<>(List.of(events));
    }

    static <E> Decision<E> reject(String code, String reason) {
        return new Rejected<>(code, reason);
    }

    record Accepted<E>(List<E> events) implements Decision<E> {
        public Accepted {
            events = List.copyOf(events);
        }
    }

    record Rejected<E>(String code, String reason) implements Decision<E> {
        public Rejected {
            Objects.requireNonNull(code, "code");
            Objects.requireNonNull(reason, "reason");
        }
    }
}
