package io.bulwark.streams.aggregate.inventory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.schemas.JsonSerde;
import java.nio.ByteBuffer;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.NotEmpty;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class InventoryItemSerdeTest {

    @Property
    void shouldReadBackEveryItemItWrites(
            @ForAll @AlphaChars @NotEmpty String sku,
            @ForAll long version,
            @ForAll long available,
            @ForAll @Size(max = 50) Map<@AlphaChars @NotEmpty String, Integer> reservations) {
        InventoryItem item = new InventoryItem(sku, version, available, reservations);

        byte[] bytes = InventoryAggregate.ITEMS.serializer().serialize("inventory-items-changelog", item);

        assertThat(InventoryAggregate.ITEMS.deserializer().deserialize("inventory-items-changelog", bytes))
                .isEqualTo(item);
    }

    @Test
    void shouldRestoreItemsThatEarlierReleasesStoredAsJson() {
        InventoryItem item = new InventoryItem("sku-1", 7, 90, Map.of("o-1", 3, "o-2", 7));
        byte[] json = JsonSerde.of(InventoryItem.class).serializer().serialize("t", item);

        assertThat(InventoryAggregate.ITEMS.deserializer().deserialize("t", json))
                .isEqualTo(item);
    }

    @Test
    void shouldRefuseAReservationWithoutAnOrderIdADuplicateOrderOrACountTheBytesCannotHold() {
        assertThatThrownBy(() -> read(item(1).putInt(-1).putInt(3)))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("Not a InventoryItem on 'inventory-items-changelog'");
        assertThatThrownBy(() -> read(item(2).putInt(1)
                        .put((byte) 'o')
                        .putInt(3)
                        .putInt(1)
                        .put((byte) 'o')
                        .putInt(4)))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> read(item(Integer.MAX_VALUE))).isInstanceOf(SerializationException.class);
    }

    /** The compact form of item "s", version 1, 2 available, up to its reservation count. */
    private static ByteBuffer item(int reservations) {
        return ByteBuffer.allocate(64)
                .put((byte) 1)
                .putInt(1)
                .put((byte) 's')
                .putLong(1)
                .putLong(2)
                .putInt(reservations);
    }

    private static InventoryItem read(ByteBuffer written) {
        byte[] bytes = new byte[written.position()];
        written.flip().get(bytes);
        return InventoryAggregate.ITEMS.deserializer().deserialize("inventory-items-changelog", bytes);
    }
}
