package io.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class CompactSerdeTest {

    record Named(String name, long n) {}

    private static final Serde<Named> NAMED = CompactSerde.of(
            Named.class,
            v -> CompactSerde.sizeOf(v.name()) + 8,
            (v, out) -> {
                CompactSerde.putString(out, v.name());
                out.putLong(v.n());
            },
            in -> new Named(CompactSerde.getString(in), in.getLong()));

    @Property
    void shouldReadBackAnyStringIncludingNullAndLoneSurrogatesExactlyAsUtf8EncodesIt(
            @ForAll String s, @ForAll boolean isNull, @ForAll long n) {
        String name = isNull ? null : s;
        byte[] bytes = NAMED.serializer().serialize("t", new Named(name, n));

        assertThat(bytes).hasSize(1 + CompactSerde.sizeOf(name) + 8);
        assertThat(NAMED.deserializer().deserialize("t", bytes))
                .isEqualTo(new Named(
                        name == null ? null : new String(name.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8),
                        n));
    }

    @Test
    void shouldStillReadJsonWrittenBeforeTheTypeMovedToTheCompactForm() {
        byte[] json = JsonSerde.of(Named.class).serializer().serialize("t", new Named("a", 7));

        assertThat(NAMED.deserializer().deserialize("t", json)).isEqualTo(new Named("a", 7));
        assertThat(NAMED.deserializer().deserialize("t", null)).isNull();
        assertThat(NAMED.serializer().serialize("t", null)).isNull();
    }

    @Test
    void shouldRefuseUnknownFormatsTruncationsTrailingBytesAndCorruptLengthsNamingTheTopic() {
        byte[] good = NAMED.serializer().serialize("t", new Named("abc", 1));
        byte[] corruptLength = good.clone();
        corruptLength[1] = 0x7f; // a string "length" of ~2 GB

        assertThatThrownBy(() -> NAMED.deserializer().deserialize("items-changelog", new byte[] {9, 0}))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("items-changelog")
                .hasMessageContaining("Unknown format 9");
        assertThatThrownBy(() -> NAMED.deserializer().deserialize("t", Arrays.copyOf(good, good.length - 1)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Not a Named");
        assertThatThrownBy(() -> NAMED.deserializer().deserialize("t", Arrays.copyOf(good, good.length + 1)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("1 bytes after a Named");
        assertThatThrownBy(() -> NAMED.deserializer().deserialize("t", corruptLength))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void shouldRefuseACountTheRemainingBytesCannotHold() {
        ByteBuffer in = ByteBuffer.allocate(12).putInt(3).putLong(0).flip();
        ByteBuffer negative = ByteBuffer.allocate(4).putInt(-1).flip();

        assertThatThrownBy(() -> CompactSerde.getCount(in, 4)).isInstanceOf(java.nio.BufferUnderflowException.class);
        assertThatThrownBy(() -> CompactSerde.getCount(negative, 0))
                .isInstanceOf(java.nio.BufferUnderflowException.class);
        assertThat(CompactSerde.getCount(
                        ByteBuffer.allocate(12).putInt(2).putLong(0).flip(), 4))
                .isEqualTo(2);
    }
}
