package io.bulwark.streams.aggregate.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class ReservationsTest {

    /** One change: {@code units} for the order, or its removal when null. */
    record Change(String order, Integer units) {}

    @Property(tries = 300)
    void shouldAnswerAsAMapThatMadeTheSameChanges(@ForAll("changes") List<Change> changes) {
        Map<String, Integer> expected = new HashMap<>();
        Reservations reservations = Reservations.none();
        for (Change change : changes) {
            Reservations before = reservations;
            Map<String, Integer> expectedBefore = Map.copyOf(expected);
            if (change.units() == null) {
                expected.remove(change.order());
                reservations = reservations.without(change.order());
            } else {
                expected.put(change.order(), change.units());
                reservations = reservations.with(change.order(), change.units());
            }
            assertThat(before).isEqualTo(expectedBefore); // a change leaves the reservations it started from alone
            assertThat(reservations).isEqualTo(expected).hasSameHashCodeAs(expected);
            for (Change probe : changes) {
                assertThat(reservations.get(probe.order())).isEqualTo(expected.get(probe.order()));
            }
            assertThat(reservations.totalUnits())
                    .isEqualTo(expected.values().stream()
                            .mapToLong(Integer::longValue)
                            .sum());
            assertThat(readBack(reservations)).isEqualTo(expected);
            assertThat(Reservations.of(new LinkedHashMap<>(expected))).isEqualTo(expected);
        }
        List<String> orders = new ArrayList<>(reservations.keySet());
        assertThat(orders)
                .isSortedAccordingTo((a, b) -> java.util.Arrays.compareUnsigned(
                        a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8)));
    }

    @Provide
    Arbitrary<List<Change>> changes() {
        // Few distinct ids (so changes hit the same order), of any length and script, including the empty id.
        Arbitrary<String> orders = Arbitraries.oneOf(
                Arbitraries.of("", "a", "ab", "b", "é", "o-1", "o-10", "o-2", "\uD83D\uDE00"),
                Arbitraries.strings().ofMaxLength(40));
        Arbitrary<Integer> units = Arbitraries.integers().between(-5, 1_000_000).injectNull(0.3);
        Arbitrary<Change> change = orders.flatMap(o -> units.map(u -> new Change(o, u)));
        return change.list().ofMaxSize(60);
    }

    @Test
    void shouldReadEntriesStoredUnsortedAndSortThem() {
        ByteBuffer out = ByteBuffer.allocate(64).putInt(3);
        entry(out, "o-3", 3);
        entry(out, "o-1", 1);
        entry(out, "o-2", 2);

        Reservations read = Reservations.read(out.flip());

        assertThat(read).containsExactly(Map.entry("o-1", 1), Map.entry("o-2", 2), Map.entry("o-3", 3));
        assertThat(read.get("o-3")).isEqualTo(3);
        assertThat(out.hasRemaining()).isFalse();
    }

    @Test
    void shouldRefuseAnOrderTwiceAMissingIdAndLengthsTheBytesCannotHold() {
        ByteBuffer twice = ByteBuffer.allocate(64).putInt(2);
        entry(twice, "o-1", 1);
        entry(twice, "o-1", 2);
        assertThatThrownBy(() -> Reservations.read(twice.flip()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("o-1");

        assertThatThrownBy(() -> Reservations.read(
                        ByteBuffer.allocate(12).putInt(1).putInt(-1).putInt(1).flip()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Reservations.read(
                        ByteBuffer.allocate(12).putInt(1).putInt(5).putInt(1).flip()))
                .isInstanceOf(BufferUnderflowException.class);
        assertThatThrownBy(() -> Reservations.read(
                        ByteBuffer.allocate(8).putInt(2).putInt(0).flip()))
                .isInstanceOf(BufferUnderflowException.class);
        assertThatThrownBy(() ->
                        Reservations.read(ByteBuffer.allocate(4).putInt(-1).flip()))
                .isInstanceOf(BufferUnderflowException.class);
    }

    @Test
    void shouldRefuseNullOrdersAndUnits() {
        Map<String, Integer> nullUnits = new HashMap<>();
        nullUnits.put("o-1", null);
        assertThatThrownBy(() -> Reservations.of(nullUnits)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Reservations.none().with(null, 1)).isInstanceOf(NullPointerException.class);
        assertThat(Reservations.none().without(null)).isEmpty();
    }

    private static Reservations readBack(Reservations reservations) {
        ByteBuffer out = ByteBuffer.allocate(reservations.serializedSize() + 3);
        out.put((byte) 7).put((byte) 7); // read at an offset, with bytes after
        reservations.write(out);
        out.put((byte) 9);
        ByteBuffer in =
                ByteBuffer.wrap(out.array(), 2, reservations.serializedSize()).slice();
        Reservations read = Reservations.read(in);
        assertThat(in.hasRemaining()).isFalse();
        return read;
    }

    private static void entry(ByteBuffer out, String order, int units) {
        byte[] id = order.getBytes(StandardCharsets.UTF_8);
        out.putInt(id.length).put(id).putInt(units);
    }
}
