package io.bulwark.schemas;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Compact binary serdes for the values a hot processor reads and writes on every record (state stores,
 * repartition topics): a format byte, then fixed-width big-endian fields and length-prefixed UTF-8 strings,
 * written by hand per type. JSON there costs more than the work the value carries (profiles in
 * {@code benchmarks/PROFILES.md}). A value that starts with {@code '{'} is read as the JSON that
 * {@link JsonSerde} wrote, so a store or topic written before a type moved to this form still restores and
 * drains. Not for topics other clients read: those stay JSON.
 *
 * <p>Bytes that are neither fail with a {@link SerializationException} naming the type and topic; a corrupt
 * length is refused before anything is allocated for it.
 */
public final class CompactSerde {

    private static final byte FORMAT = 1;
    private static final byte JSON_START = '{';

    private CompactSerde() {}

    /**
     * A serde writing {@code size(value)} bytes with {@code write} after the format byte, and reading them
     * back with {@code read}, which must consume exactly what {@code write} wrote.
     */
    public static <T> Serde<T> of(
            Class<T> type, ToIntFunction<T> size, BiConsumer<T, ByteBuffer> write, Function<ByteBuffer, T> read) {
        JsonSerde<T> legacy = JsonSerde.of(type);
        return Serdes.serdeFrom(
                (topic, value) -> {
                    if (value == null) {
                        return null;
                    }
                    ByteBuffer out =
                            ByteBuffer.allocate(1 + size.applyAsInt(value)).put(FORMAT);
                    write.accept(value, out);
                    return out.array();
                },
                (topic, bytes) -> {
                    if (bytes == null) {
                        return null;
                    }
                    if (bytes.length > 0 && bytes[0] == JSON_START) {
                        return legacy.deserializer().deserialize(topic, bytes);
                    }
                    ByteBuffer in = ByteBuffer.wrap(bytes);
                    try {
                        if (in.get() != FORMAT) {
                            throw new SerializationException("Unknown format " + bytes[0] + " of a "
                                    + type.getSimpleName() + " on '" + topic + "'");
                        }
                        T value = read.apply(in);
                        if (in.hasRemaining()) {
                            throw new SerializationException(
                                    in.remaining() + " bytes after a " + type.getSimpleName() + " on '" + topic + "'");
                        }
                        return value;
                    } catch (BufferUnderflowException | IllegalArgumentException e) {
                        throw new SerializationException("Not a " + type.getSimpleName() + " on '" + topic + "'", e);
                    }
                });
    }

    /** The bytes {@link #putString} writes for {@code s}: its UTF-8 length (-1: null), then the bytes. */
    public static int sizeOf(String s) {
        return 4 + (s == null ? 0 : utf8Length(s));
    }

    public static void putString(ByteBuffer out, String s) {
        if (s == null) {
            out.putInt(-1);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(utf8.length).put(utf8);
    }

    public static String getString(ByteBuffer in) {
        int length = in.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException(); // a corrupt length: refused, never allocated
        }
        String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }

    /**
     * Reads a count written with {@code putInt} of items that take at least {@code minBytesEach}: refused when
     * negative or larger than the remaining bytes could hold.
     */
    public static int getCount(ByteBuffer in, int minBytesEach) {
        int count = in.getInt();
        if (count < 0 || (long) count * minBytesEach > in.remaining()) {
            throw new BufferUnderflowException();
        }
        return count;
    }

    /**
     * What {@code s.getBytes(UTF_8)} would return the length of, without encoding it. Not Kafka's
     * {@code Utils.utf8Length}: it counts a lone surrogate as 3 or 4 bytes where {@code getBytes} writes one
     * {@code '?'}, and the buffer must be sized exactly (a longer one leaves trailing bytes the reader refuses).
     */
    private static int utf8Length(String s) {
        int length = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isSurrogate(c)) {
                if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    length += 4;
                    i++;
                } else {
                    length += 1; // a lone surrogate is encoded as '?'
                }
            } else {
                length += c < 0x80 ? 1 : c < 0x800 ? 2 : 3;
            }
        }
        return length;
    }
}
