package io.bulwark.schemas;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} that writes and reads one Java type as JSON with {@link Json#mapper()}.
 *
 * <p>{@code null} maps to {@code null} both ways (tombstones pass through). A value that is not
 * JSON of the expected shape fails with a {@link SerializationException} naming the topic and the
 * target type, which Kafka Streams' deserialization handler turns into a dead letter.
 */
public final class JsonSerde<T> implements Serde<T> {

    private final JavaType type;
    private final ObjectMapper mapper;

    private JsonSerde(JavaType type, ObjectMapper mapper) {
        this.type = type;
        this.mapper = mapper;
    }

    public static <T> JsonSerde<T> of(Class<T> type) {
        return new JsonSerde<>(Json.mapper().constructType(type), Json.mapper());
    }

    @Override
    public Serializer<T> serializer() {
        return (topic, value) -> {
            if (value == null) {
                return null;
            }
            try {
                return mapper.writeValueAsBytes(value);
            } catch (IOException e) {
                throw new SerializationException(
                        "Cannot write " + type.getTypeName() + " as JSON for topic '" + topic + "'", e);
            }
        };
    }

    @Override
    public Deserializer<T> deserializer() {
        return (topic, data) -> {
            if (data == null) {
                return null;
            }
            try {
                return mapper.readValue(data, type);
            } catch (IOException e) {
                throw new SerializationException(
                        "Record on topic '" + topic + "' is not JSON of type " + type.getTypeName() + ": "
                                + e.getMessage(),
                        e);
            }
        };
    }
}
