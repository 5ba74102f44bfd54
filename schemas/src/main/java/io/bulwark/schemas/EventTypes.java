package io.bulwark.schemas;

import java.util.List;

/**
 * Every event type Bulwark knows, each with its payload schema under
 * {@code io/bulwark/schemas/events/}. Later features add their types here.
 */
public final class EventTypes {

    public static final EventType ORDER_PLACED =
            new EventType("OrderPlaced", "order", "io/bulwark/schemas/events/OrderPlaced.schema.json");

    /** A client asked order-api to cancel a placed order; the saga decides (see {@link #ORDER_CANCELLED}). */
    public static final EventType ORDER_CANCEL_REQUESTED = new EventType(
            "OrderCancelRequested", "order", "io/bulwark/schemas/events/OrderCancelRequested.schema.json");

    /** A key (a customer) went over its quota in one window; emitted once per breached window. */
    public static final EventType QUOTA_BREACHED =
            new EventType("QuotaBreached", "customer", "io/bulwark/schemas/events/QuotaBreached.schema.json");

    public static final EventType RESTOCKED = inventory("Restocked");
    public static final EventType STOCK_RESERVED = inventory("StockReserved");
    public static final EventType STOCK_RELEASED = inventory("StockReleased");
    /** A confirmed order's reservation became a sale: its units leave the item, the reservation is gone. */
    public static final EventType RESERVATION_COMMITTED = inventory("ReservationCommitted");
    /** An inventory command was refused; changes no state. */
    public static final EventType INVENTORY_COMMAND_REJECTED = inventory("InventoryCommandRejected");

    /** Saga → payment worker commands, and the worker's replies (aggregate type payment, id = order id). */
    public static final EventType AUTHORIZE_PAYMENT = payment("AuthorizePayment");

    public static final EventType VOID_PAYMENT = payment("VoidPayment");
    public static final EventType PAYMENT_AUTHORIZED = payment("PaymentAuthorized");
    public static final EventType PAYMENT_DECLINED = payment("PaymentDeclined");
    public static final EventType PAYMENT_FAILED = payment("PaymentFailed");
    /** The order-fulfilment saga's outcomes. */
    public static final EventType ORDER_CONFIRMED =
            new EventType("OrderConfirmed", "order", "io/bulwark/schemas/events/OrderConfirmed.schema.json");

    public static final EventType ORDER_REJECTED =
            new EventType("OrderRejected", "order", "io/bulwark/schemas/events/OrderRejected.schema.json");
    /** A cancel request reached the saga before it ended; everything done for the order was compensated. */
    public static final EventType ORDER_CANCELLED =
            new EventType("OrderCancelled", "order", "io/bulwark/schemas/events/OrderCancelled.schema.json");

    private static final List<EventType> ALL = List.of(
            ORDER_PLACED,
            QUOTA_BREACHED,
            RESTOCKED,
            STOCK_RESERVED,
            STOCK_RELEASED,
            RESERVATION_COMMITTED,
            INVENTORY_COMMAND_REJECTED,
            AUTHORIZE_PAYMENT,
            VOID_PAYMENT,
            PAYMENT_AUTHORIZED,
            PAYMENT_DECLINED,
            PAYMENT_FAILED,
            ORDER_CONFIRMED,
            ORDER_REJECTED,
            ORDER_CANCELLED,
            ORDER_CANCEL_REQUESTED);

    private EventTypes() {}

    public static List<EventType> all() {
        return ALL;
    }

    private static EventType payment(String name) {
        return new EventType(name, "payment", "io/bulwark/schemas/events/" + name + ".schema.json");
    }

    private static EventType inventory(String name) {
        return new EventType(name, "inventory", "io/bulwark/schemas/events/" + name + ".schema.json");
    }
}
