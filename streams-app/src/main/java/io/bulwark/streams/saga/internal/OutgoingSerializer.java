package io.bulwark.streams.saga.internal;

import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.Json;
import io.bulwark.streams.saga.Outgoing;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.Serializer;

/** Writes what a saga sends: envelopes as headers + payload (the topic form), JSON commands as their bytes. */
public final class OutgoingSerializer implements Serializer<Outgoing> {

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
