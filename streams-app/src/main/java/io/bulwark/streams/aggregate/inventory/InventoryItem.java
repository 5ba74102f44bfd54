package io.bulwark.streams.aggregate.inventory;

import java.util.Map;

/**
 * An inventory item's state: units available, units reserved per order, and the version (the
 * number of state-changing events applied).
 *
 * @param reservations units per order; always a {@link Reservations} (any other map given is copied into one)
 */
public record InventoryItem(String sku, long version, long available, Map<String, Integer> reservations) {

    public InventoryItem {
        // Immutable, sorted by order id, and kept in the bytes the store holds: see Reservations.
        reservations = Reservations.of(reservations);
    }

    public long reserved() {
        return held().totalUnits();
    }

    /** The reservations as what they are. */
    Reservations held() {
        return (Reservations) reservations;
    }
}
