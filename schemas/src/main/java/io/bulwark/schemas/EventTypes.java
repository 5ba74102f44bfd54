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

    private static final List<EventType> ALL = List.of(ORDER_PLACED, QUOTA_BREACHED);

    private EventTypes() {}

    public static List<EventType> all() {
        return ALL;
    }
}
