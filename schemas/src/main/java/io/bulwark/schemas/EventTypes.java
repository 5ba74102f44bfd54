package io.bulwark.schemas;

import java.util.List;

/**
 * Every event type Bulwark knows, each with its payload schema under
 * {@code io/bulwark/schemas/events/}. Later features add their types here.
 */
public final class EventTypes {

    public static final EventType ORDER_PLACED =
            new EventType("OrderPlaced", "order", "io/bulwark/schemas/events/OrderPlaced.schema.json");

    private static final List<EventType> ALL = List.of(ORDER_PLACED);

    private EventTypes() {}

    public static List<EventType> all() {
        return ALL;
    }
}
