package io.bulwark.streams.intake;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.schemas.Topics;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;

/**
 * The edge of the app: event topics read with schema validation. A record that is not JSON, breaks
 * its event type's schema, or lacks an envelope header (the event id, say) fails deserialization,
 * and Kafka Streams' deserialization handler dead-letters it (KIP-1034) — or stops the app, when
 * {@code errors.deserialization=fail}.
 */
public final class EventIntake {

    private EventIntake() {}

    /** The validated stream of {@link Topics#ORDER_EVENTS}, each record on its key's task ({@link KeyedInput}). */
    public static KStream<String, EventEnvelope> orderEvents(StreamsBuilder builder, EventSchemas schemas) {
        return events(builder, schemas, Topics.ORDER_EVENTS, "intake-order-events");
    }

    /** The validated stream of an event topic, each record on its key's task ({@link KeyedInput}). */
    public static KStream<String, EventEnvelope> events(StreamsBuilder builder, EventSchemas schemas,
            TopicSpec<String, EventEnvelope> source, String name) {
        KStream<String, EventEnvelope> in = builder.stream(source.name(),
                Consumed.with(source.keySerde(), EventEnvelopeSerde.inHeaders(schemas)).withName(name));
        return KeyedInput.routed(in, source, EventEnvelopeSerde.asJson(), name + "-routed");
    }
}
