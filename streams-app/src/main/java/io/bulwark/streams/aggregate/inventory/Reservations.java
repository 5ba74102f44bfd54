package io.bulwark.streams.aggregate.inventory;

import io.bulwark.schemas.CompactSerde;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.AbstractSet;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * An item's reservations, units per order: an immutable map kept in the bytes the item's store holds.
 *
 * <p>Every inventory command reads its item from the store and writes it back, and an item holds one reservation
 * per order in flight. As a hash map, that was every order id decoded, hashed and inserted twice per command
 * (once read, once changed), then encoded again: a fifth of the aggregate's stream thread (PROFILES.md,
 * 2026-12-05, twentieth round). Here reading is one pass that checks the bytes and notes where each entry starts, writing is one
 * copy, a look-up is a binary search over the UTF-8 bytes of the order ids, and a change copies the bytes
 * around the entry it adds or removes. No order id becomes a {@code String} unless the map is iterated.
 *
 * <p>The bytes are entries {@code [int length][UTF-8 order id][int units]}, sorted by the order ids' bytes
 * (unsigned), no id twice: the layout {@link InventoryAggregate#ITEMS} has always written, so items stored
 * before, in whatever order, still read (those are sorted once as they are read).
 */
public final class Reservations extends AbstractMap<String, Integer> {

    private static final VarHandle BIG_ENDIAN_INT =
            MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);
    private static final Reservations NONE = new Reservations(new byte[0], new int[0]);

    /** The entries, sorted by order id. */
    private final byte[] bytes;
    /** Where each entry starts in {@link #bytes}: its length field. */
    private final int[] starts;

    private Reservations(byte[] bytes, int[] starts) {
        this.bytes = bytes;
        this.starts = starts;
    }

    public static Reservations none() {
        return NONE;
    }

    /** {@code map} itself when it is already {@code Reservations}; otherwise its copy. No null order or units. */
    public static Reservations of(Map<String, Integer> map) {
        if (map instanceof Reservations reservations) {
            return reservations;
        }
        if (map.isEmpty()) {
            return NONE;
        }
        byte[][] orders = new byte[map.size()][];
        int[] units = new int[orders.length];
        int i = 0;
        for (Entry<String, Integer> entry : map.entrySet()) {
            orders[i] = utf8(Objects.requireNonNull(entry.getKey(), "order"));
            units[i++] = Objects.requireNonNull(entry.getValue(), "units");
        }
        return sorted(orders, units);
    }

    /**
     * Reads {@code count} entries from {@code in}, positioned at the count written by {@link #write}. Refuses
     * (with {@link IllegalArgumentException} or {@link BufferUnderflowException}) a count or a length the bytes
     * cannot hold, an entry without an order id, and an order id twice.
     */
    public static Reservations read(ByteBuffer in) {
        int count = CompactSerde.getCount(in, 8); // a corrupt count: refused before anything is allocated
        if (count == 0) {
            return NONE;
        }
        byte[] source = in.array();
        int first = in.arrayOffset() + in.position();
        int end = in.arrayOffset() + in.limit();
        int[] starts = new int[count];
        boolean ascending = true;
        int at = first;
        for (int i = 0; i < count; i++) {
            if (end - at < 8) {
                throw new BufferUnderflowException();
            }
            int length = intAt(source, at);
            if (length == -1) {
                throw new IllegalArgumentException("a reservation without an order id");
            }
            if (length < 0 || length > end - at - 8) {
                throw new BufferUnderflowException();
            }
            starts[i] = at - first;
            if (i > 0 && ascending) {
                int previous = first + starts[i - 1];
                ascending = Arrays.compareUnsigned(
                                source,
                                previous + 4,
                                previous + 4 + intAt(source, previous),
                                source,
                                at + 4,
                                at + 4 + length)
                        < 0;
            }
            at += 8 + length;
        }
        in.position(at - in.arrayOffset());
        Reservations read = new Reservations(Arrays.copyOfRange(source, first, at), starts);
        return ascending ? read : read.sortedCopy();
    }

    /** Writes the count, then the entries: what {@link #read} reads. */
    public void write(ByteBuffer out) {
        out.putInt(starts.length).put(bytes);
    }

    /** The bytes {@link #write} writes. */
    public int serializedSize() {
        return 4 + bytes.length;
    }

    /** These reservations with {@code order} holding {@code units} (replacing what it held, if anything). */
    public Reservations with(String order, int units) {
        byte[] key = utf8(Objects.requireNonNull(order, "order"));
        int index = indexOf(key);
        int at = index >= 0 ? index : -index - 1;
        int from = offset(at);
        int to = index >= 0 ? offset(at + 1) : from;
        int entryLength = 8 + key.length;
        byte[] changed = new byte[bytes.length - (to - from) + entryLength];
        System.arraycopy(bytes, 0, changed, 0, from);
        ByteBuffer.wrap(changed, from, entryLength).putInt(key.length).put(key).putInt(units);
        System.arraycopy(bytes, to, changed, from + entryLength, bytes.length - to);
        int[] changedStarts = Arrays.copyOf(starts, index >= 0 ? starts.length : starts.length + 1);
        changedStarts[at] = from;
        int shift = entryLength - (to - from);
        for (int i = at + 1; i < changedStarts.length; i++) {
            changedStarts[i] = starts[index >= 0 ? i : i - 1] + shift;
        }
        return new Reservations(changed, changedStarts);
    }

    /** These reservations without {@code order}'s; these themselves when it holds none. */
    public Reservations without(String order) {
        int index = order == null ? -1 : indexOf(utf8(order));
        if (index < 0) {
            return this;
        }
        if (starts.length == 1) {
            return NONE;
        }
        int from = starts[index];
        int to = offset(index + 1);
        byte[] changed = new byte[bytes.length - (to - from)];
        System.arraycopy(bytes, 0, changed, 0, from);
        System.arraycopy(bytes, to, changed, from, bytes.length - to);
        int[] changedStarts = new int[starts.length - 1];
        System.arraycopy(starts, 0, changedStarts, 0, index);
        for (int i = index; i < changedStarts.length; i++) {
            changedStarts[i] = starts[i + 1] - (to - from);
        }
        return new Reservations(changed, changedStarts);
    }

    /** The units of every reservation together. */
    public long totalUnits() {
        long total = 0;
        for (int i = 0; i < starts.length; i++) {
            total += unitsAt(i);
        }
        return total;
    }

    @Override
    public Integer get(Object order) {
        if (!(order instanceof String id) || starts.length == 0) {
            return null;
        }
        int index = indexOf(utf8(id));
        return index < 0 ? null : unitsAt(index);
    }

    @Override
    public boolean containsKey(Object order) {
        return get(order) != null;
    }

    @Override
    public int size() {
        return starts.length;
    }

    @Override
    public boolean isEmpty() {
        return starts.length == 0;
    }

    @Override
    public void forEach(BiConsumer<? super String, ? super Integer> action) {
        for (int i = 0; i < starts.length; i++) {
            action.accept(orderAt(i), unitsAt(i));
        }
    }

    @Override
    public Set<Entry<String, Integer>> entrySet() {
        return new AbstractSet<>() {
            @Override
            public Iterator<Entry<String, Integer>> iterator() {
                return new Iterator<>() {
                    private int next;

                    @Override
                    public boolean hasNext() {
                        return next < starts.length;
                    }

                    @Override
                    public Entry<String, Integer> next() {
                        if (next >= starts.length) {
                            throw new NoSuchElementException();
                        }
                        int i = next++;
                        return Map.entry(orderAt(i), unitsAt(i));
                    }
                };
            }

            @Override
            public int size() {
                return starts.length;
            }
        };
    }

    /** The index of the entry for {@code key}, or {@code -(insertion point) - 1}: as {@link Arrays#binarySearch}. */
    private int indexOf(byte[] key) {
        int low = 0;
        int high = starts.length - 1;
        while (low <= high) {
            int middle = (low + high) >>> 1;
            int at = starts[middle];
            int c = Arrays.compareUnsigned(bytes, at + 4, at + 4 + intAt(bytes, at), key, 0, key.length);
            if (c < 0) {
                low = middle + 1;
            } else if (c > 0) {
                high = middle - 1;
            } else {
                return middle;
            }
        }
        return -(low + 1);
    }

    private int offset(int index) {
        return index < starts.length ? starts[index] : bytes.length;
    }

    private String orderAt(int index) {
        int at = starts[index];
        return new String(bytes, at + 4, intAt(bytes, at), StandardCharsets.UTF_8);
    }

    private int unitsAt(int index) {
        int at = starts[index];
        return intAt(bytes, at + 4 + intAt(bytes, at));
    }

    /** The same entries sorted; refuses an order id twice. Only for items stored before the entries were sorted. */
    private Reservations sortedCopy() {
        byte[][] orders = new byte[starts.length][];
        int[] units = new int[starts.length];
        for (int i = 0; i < starts.length; i++) {
            int at = starts[i];
            orders[i] = Arrays.copyOfRange(bytes, at + 4, at + 4 + intAt(bytes, at));
            units[i] = unitsAt(i);
        }
        return sorted(orders, units);
    }

    private static Reservations sorted(byte[][] orders, int[] units) {
        Integer[] order = new Integer[orders.length];
        int size = 0;
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
            size += 8 + orders[i].length;
        }
        Arrays.sort(order, (a, b) -> Arrays.compareUnsigned(orders[a], orders[b]));
        ByteBuffer out = ByteBuffer.allocate(size);
        int[] starts = new int[order.length];
        for (int i = 0; i < order.length; i++) {
            if (i > 0 && Arrays.equals(orders[order[i - 1]], orders[order[i]])) {
                throw new IllegalArgumentException(
                        "order " + new String(orders[order[i]], StandardCharsets.UTF_8) + " holds two reservations");
            }
            starts[i] = out.position();
            out.putInt(orders[order[i]].length).put(orders[order[i]]).putInt(units[order[i]]);
        }
        return new Reservations(out.array(), starts);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int intAt(byte[] b, int at) {
        return (int) BIG_ENDIAN_INT.get(b, at);
    }
}
