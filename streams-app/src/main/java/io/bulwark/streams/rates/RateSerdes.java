package io.bulwark.streams.rates;

import io.bulwark.schemas.JsonSerde;
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
 * Compact binary forms of rate accounting's records — a format byte, then fixed-width big-endian fields and
 * length-prefixed UTF-8 strings — for its repartition topics and window stores. Every window update reads and
 * writes its aggregate through the record cache as bytes, ~13 times per order, so JSON there cost more than the
 * arithmetic it carries. A value that starts with {@code '{'} is read as the JSON earlier releases wrote, so
 * stores and repartition topics written before the change still restore and drain.
 */
final class RateSerdes {

    private static final byte FORMAT = 1;
    private static final byte JSON_START = '{';

    static final Serde<RateWindow> RATE_WINDOW = serde(
            RateWindow.class,
            w -> 16,
            (w, out) -> out.putLong(w.count()).putLong(w.sumCents()),
            in -> new RateWindow(in.getLong(), in.getLong()));

    static final Serde<QuotaWindow> QUOTA_WINDOW = serde(
            QuotaWindow.class,
            w -> 17,
            (w, out) -> out.putLong(w.count()).putLong(w.sumCents()).put((byte)
                    ((w.breached() ? 1 : 0) | (w.breachedNow() ? 2 : 0))),
            in -> {
                long count = in.getLong();
                long sum = in.getLong();
                byte flags = in.get();
                return new QuotaWindow(count, sum, (flags & 1) != 0, (flags & 2) != 0);
            });

    static final Serde<OrderAmount> ORDER_AMOUNT = serde(
            OrderAmount.class,
            a -> 8 + sizeOf(a.customerId()) + sizeOf(a.merchantId()),
            (a, out) -> {
                putString(out, a.customerId());
                putString(out, a.merchantId());
                out.putLong(a.amountCents());
            },
            in -> new OrderAmount(getString(in), getString(in), in.getLong()));

    private RateSerdes() {}

    private static <T> Serde<T> serde(
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

    /** A string as its UTF-8 length (-1: null) and bytes. */
    private static int sizeOf(String s) {
        return 4 + (s == null ? 0 : s.getBytes(StandardCharsets.UTF_8).length);
    }

    private static void putString(ByteBuffer out, String s) {
        if (s == null) {
            out.putInt(-1);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(utf8.length).put(utf8);
    }

    private static String getString(ByteBuffer in) {
        int length = in.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException(); // a corrupt length: refused, never allocated
        }
        byte[] utf8 = new byte[length];
        in.get(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
