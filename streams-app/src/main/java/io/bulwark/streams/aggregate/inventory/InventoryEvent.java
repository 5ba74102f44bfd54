package io.bulwark.streams.aggregate.inventory;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;

/** What happened to an inventory item. Past tense; corrections are new events, never deletes. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = InventoryEvent.Restocked.class, name = "Restocked"),
    @JsonSubTypes.Type(value = InventoryEvent.StockReserved.class, name = "StockReserved"),
    @JsonSubTypes.Type(value = InventoryEvent.StockReleased.class, name = "StockReleased"),
    @JsonSubTypes.Type(value = InventoryEvent.ReservationCommitted.class, name = "ReservationCommitted"),
    @JsonSubTypes.Type(value = InventoryEvent.InventoryCommandRejected.class, name = "InventoryCommandRejected")
})
public sealed interface InventoryEvent {

    record Restocked(String sku, int quantity) implements InventoryEvent {}

    record StockReserved(String sku, String orderId, int quantity) implements InventoryEvent {}

    record StockReleased(String sku, String orderId, int quantity) implements InventoryEvent {}

    /** A confirmed order's reserved units were sold: the reservation is gone, availability unchanged. */
    record ReservationCommitted(String sku, String orderId, int quantity) implements InventoryEvent {}

    /**
     * A command was refused (not enough stock, version conflict, invalid quantity). Recorded so the
     * sender learns the answer; it changes no state and no version.
     */
    record InventoryCommandRejected(String sku, String commandId, String code, String reason)
            implements InventoryEvent {}

    /** Whether the event changes the item (and its version). */
    default boolean changesState() {
        return !(this instanceof InventoryCommandRejected);
    }
}
