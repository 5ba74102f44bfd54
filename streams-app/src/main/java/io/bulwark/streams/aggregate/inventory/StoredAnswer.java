package io.bulwark.streams.aggregate.inventory;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.JsonSerde;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * A remembered answer in the {@code inventory-answers} store: when it was given (the command's timestamp) and its
 * events. The events stay the JSON they were stored as until a retried command needs them, so the store's sweep,
 * which reads every answer once per retention, reads 9 bytes of each and parses nothing.
 *
 * <p>Stored as a format byte ({@code 1}), the time (8 bytes), then the events as a JSON array. Answers written
 * before 2026-12-05 are the JSON array alone; they read with the time of their first event (every event of an
 * answer carries the command's timestamp), or 0 for an answer without events (an accepted no-op), which makes
 * such a command be decided again.
 */
public final class StoredAnswer {

    private static final byte FORMAT = 1;
    private static final int HEADER = 1 + Long.BYTES;
    private static final JsonSerde<EventEnvelope[]> EVENTS = JsonSerde.of(EventEnvelope[].class);

    /** The serde of the answers store. */
    public static final Serde<StoredAnswer> SERDE =
            Serdes.serdeFrom((topic, answer) -> answer == null ? null : answer.bytes, StoredAnswer::read);

    private final long answeredAtMs;
    /** The stored bytes: the format byte, the time, the events' JSON (or, from an older release, the JSON alone). */
    private final byte[] bytes;

    private final int eventsOffset;

    private StoredAnswer(long answeredAtMs, byte[] bytes, int eventsOffset) {
        this.answeredAtMs = answeredAtMs;
        this.bytes = bytes;
        this.eventsOffset = eventsOffset;
    }

    /** The answer given at {@code answeredAtMs}: {@code events}, serialized once, here. */
    static StoredAnswer of(long answeredAtMs, List<EventEnvelope> events) {
        byte[] json = EVENTS.serializer().serialize(null, events.toArray(EventEnvelope[]::new));
        byte[] bytes = ByteBuffer.allocate(HEADER + json.length)
                .put(FORMAT)
                .putLong(answeredAtMs)
                .put(json)
                .array();
        return new StoredAnswer(answeredAtMs, bytes, HEADER);
    }

    /** When the answer was given: the timestamp of the command it answered. */
    public long answeredAtMs() {
        return answeredAtMs;
    }

    /** The answer's events, in the order they were published. */
    public List<EventEnvelope> events() {
        return List.of(EVENTS.deserializer()
                .deserialize(null, eventsOffset == 0 ? bytes : Arrays.copyOfRange(bytes, eventsOffset, bytes.length)));
    }

    private static StoredAnswer read(String topic, byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length > 0 && bytes[0] == '[') { // written before 2026-12-05: the events alone
            List<EventEnvelope> events = List.of(EVENTS.deserializer().deserialize(topic, bytes));
            long at = events.isEmpty() ? 0 : events.get(0).occurredAt().toEpochMilli();
            return new StoredAnswer(at, bytes, 0);
        }
        if (bytes.length < HEADER || bytes[0] != FORMAT) {
            throw new SerializationException("Not a stored inventory answer on '" + topic + "' (" + bytes.length
                    + " bytes, format " + (bytes.length == 0 ? "none" : bytes[0]) + ")");
        }
        return new StoredAnswer(ByteBuffer.wrap(bytes, 1, Long.BYTES).getLong(), bytes, HEADER);
    }

    @Override
    public String toString() {
        return "StoredAnswer[answeredAtMs=" + answeredAtMs + ", " + (bytes.length - eventsOffset) + " bytes of events]";
    }
}
