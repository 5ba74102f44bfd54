package io.bulwark.streams.aggregate.inventory;

import java.util.Map;
import java.util.TreeMap;

/**
 * An inventory item's state: units available, units reserved per order, and the version (the
 * number of state-changing events applied).
 */
public record InventoryItem(String sku, long version, long available, Map<String, Integer> reservations) {

    public InventoryItem {
        reservations = Map.copyOf(new TreeMap<>(reservations));
    }

    public long reserved() {
        return reservations.values().stream().mapToLong(Integer::longValue).sum();
    }
}
