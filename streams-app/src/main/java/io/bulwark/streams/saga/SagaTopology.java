package io.bulwark.streams.saga;

import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;

/** Wires a {@link SagaDefinition}: triggers and replies keyed by saga id in, commands and outcomes out. */
public final class SagaTopology {

    private SagaTopology() {}

    /** How long a terminal saga stays queryable unless the caller says otherwise. */
    public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);

    public static void build(StreamsBuilder builder, SagaDefinition definition, KStream<String, EventEnvelope> inputs,
            String outcomesTopic, Duration punctuateEvery) {
        build(builder, definition, inputs, outcomesTopic, punctuateEvery, DEFAULT_RETENTION);
    }

    /** As above, deleting terminal sagas {@code retention} after they ended. */
    public static void build(StreamsBuilder builder, SagaDefinition definition, KStream<String, EventEnvelope> inputs,
            String outcomesTopic, Duration punctuateEvery, Duration retention) {
        SagaEngine.stores(definition).forEach(builder::addStateStore);
        inputs.process(() -> new SagaEngine(definition, outcomesTopic, punctuateEvery, retention),
                        Named.as("saga-" + definition.name()),
                        SagaEngine.statesStore(definition), SagaEngine.deadlinesStore(definition))
                .to((key, outgoing, context) -> outgoing.topic(),
                        Produced.with(Serdes.String(), Serdes.serdeFrom(new OutgoingSerializer(), (topic, bytes) -> {
                            throw new SerializationException("Saga output is never read back");
                        }))
                                .withName("saga-" + definition.name() + "-sink"));
    }

    /** Envelopes travel as headers + payload (the topic form); JSON commands as their bytes. */
    static final class OutgoingSerializer implements Serializer<Outgoing> {
        @Override
        public byte[] serialize(String topic, Outgoing data) {
            throw new SerializationException("Outgoing saga messages need the headers-aware serialize");
        }

        @Override
        public byte[] serialize(String topic, Headers headers, Outgoing data) {
            if (data == null) {
                return null;
            }
            if (data.json() != null) {
                return data.json();
            }
            EnvelopeHeaders.write(data.envelope(), headers);
            try {
                return Json.mapper().writeValueAsBytes(data.envelope().payload());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
