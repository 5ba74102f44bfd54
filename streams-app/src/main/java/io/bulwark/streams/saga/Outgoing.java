package io.bulwark.streams.saga;

import io.bulwark.schemas.EventEnvelope;
import java.util.Objects;

/**
 * A message a saga sends: to {@code topic}, keyed by {@code key}, with a stable {@code commandId}
 * that the participant's reply carries back as its causation id. The value is an
 * {@link EventEnvelope} (travels as headers + payload) or JSON bytes.
 */
public record Outgoing(String commandId, String topic, String key, EventEnvelope envelope, byte[] json) {

    public Outgoing {
        Objects.requireNonNull(commandId, "commandId");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(key, "key");
        if ((envelope == null) == (json == null)) {
            throw new IllegalArgumentException("An outgoing message is either an envelope or JSON bytes");
        }
    }

    public static Outgoing envelope(String topic, String key, EventEnvelope envelope) {
        return new Outgoing(envelope.eventId().toString(), topic, key, envelope, null);
    }

    public static Outgoing json(String commandId, String topic, String key, byte[] json) {
        return new Outgoing(commandId, topic, key, null, json);
    }
}
