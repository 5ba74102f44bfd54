package io.bulwark.streams.intake;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.TopicSpec;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;

/**
 * The edge of the app: event topics read through the topic registry's serdes, which validate every
 * record against its schema. A record that is not JSON, breaks its event type's schema, or lacks an
 * envelope header (the event id, say) fails deserialization, and Kafka Streams' deserialization
 * handler dead-letters it (KIP-1034) — or stops the app, when {@code errors.deserialization=fail}.
 */
public final class EventIntake {

    private EventIntake() {}

    /** The validated stream of an event topic, each record on its key's task ({@link KeyedInput}). */
    public static KStream<String, EventEnvelope> events(
            StreamsBuilder builder, TopicSpec<String, EventEnvelope> source, String name) {
        return KeyedInput.routed(
                ownEvents(builder, source, name), source, EventEnvelopeSerde.asJson(), name + "-routed");
    }

    /** The validated stream of a topic only this app writes (murmur2-partitioned by Kafka Streams): no re-routing. */
    public static KStream<String, EventEnvelope> ownEvents(
            StreamsBuilder builder, TopicSpec<String, EventEnvelope> source, String name) {
        return builder.stream(
                source.name(),
                Consumed.with(source.keySerde(), source.valueSerde()).withName(name));
    }
}
