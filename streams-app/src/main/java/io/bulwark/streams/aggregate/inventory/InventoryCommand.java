package io.bulwark.streams.aggregate.inventory;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Objects;
import java.util.UUID;

/**
 * Commands to an inventory item. Each carries a unique {@code commandId} (a retry reuses it and gets
 * the first answer) and may carry {@code expectedVersion} (optimistic concurrency: a mismatch is
 * rejected with code {@code version-conflict}).
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = InventoryCommand.Restock.class, name = "Restock"),
    @JsonSubTypes.Type(value = InventoryCommand.Reserve.class, name = "Reserve"),
    @JsonSubTypes.Type(value = InventoryCommand.Release.class, name = "Release"),
    @JsonSubTypes.Type(value = InventoryCommand.Commit.class, name = "Commit")
})
public sealed interface InventoryCommand {

    UUID commandId();

    String sku();

    Long expectedVersion();

    /** Adds {@code quantity} units. */
    record Restock(UUID commandId, String sku, Long expectedVersion, int quantity) implements InventoryCommand {
        public Restock {
            Objects.requireNonNull(commandId, "commandId");
            Objects.requireNonNull(sku, "sku");
        }
    }

    /** Holds {@code quantity} units for an order. */
    record Reserve(UUID commandId, String sku, Long expectedVersion, String orderId, int quantity)
            implements InventoryCommand {
        public Reserve {
            Objects.requireNonNull(commandId, "commandId");
            Objects.requireNonNull(sku, "sku");
            Objects.requireNonNull(orderId, "orderId");
        }
    }

    /** Gives an order's reservation back (the saga's compensation). */
    record Release(UUID commandId, String sku, Long expectedVersion, String orderId) implements InventoryCommand {
        public Release {
            Objects.requireNonNull(commandId, "commandId");
            Objects.requireNonNull(sku, "sku");
            Objects.requireNonNull(orderId, "orderId");
        }
    }

    /**
     * Turns a confirmed order's reservation into a sale: the units leave the item and the reservation is
     * removed, so an item's state holds only the reservations of orders still in flight.
     */
    record Commit(UUID commandId, String sku, Long expectedVersion, String orderId) implements InventoryCommand {
        public Commit {
            Objects.requireNonNull(commandId, "commandId");
            Objects.requireNonNull(sku, "sku");
            Objects.requireNonNull(orderId, "orderId");
        }
    }
}
