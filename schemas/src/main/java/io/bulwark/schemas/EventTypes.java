package io.bulwark.schemas;

import java.util.List;

/**
 * Every event type Bulwark knows, each with its payload schema under
 * {@code io/bulwark/schemas/events/}. Later features add their types here.
 */
public final class EventTypes {

    public static final EventType ORDER_PLACED =
            new EventType("OrderPlaced", "order", "io/bulwark/schemas/events/OrderPlaced.schema.json");

    /** A key (a customer) went over its quota in one window; emitted once per breached window. */
    public static final EventType QUOTA_BREACHED =
            new EventType("QuotaBreached", "customer", "io/bulwark/schemas/events/QuotaBreached.schema.json");

    public static final EventType RESTOCKED = inventory("Restocked");
    public static final EventType STOCK_RESERVED = inventory("StockReserved");
    public static final EventType STOCK_RELEASED = inventory("StockReleased");
    /** An inventory command was refused; changes no state. */
    public static final EventType INVENTORY_COMMAND_REJECTED = inventory("InventoryCommandRejected");

    private static final List<EventType> ALL = List.of(ORDER_PLACED, QUOTA_BREACHED, RESTOCKED, STOCK_RESERVED,
            STOCK_RELEASED, INVENTORY_COMMAND_REJECTED);

    private EventTypes() {}

    public static List<EventType> all() {
        return ALL;
    }

    private static EventType inventory(String name) {
        return new EventType(name, "inventory", "io/bulwark/schemas/events/" + name + ".schema.json");
    }
}
