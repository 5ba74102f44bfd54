package io.bulwark.streams.readmodel;

import java.util.ArrayList;
import java.util.List;

/** Read model: a customer's most recent orders (at most {@link #MAX}), newest last. */
public record CustomerOrders(String customerId, List<Entry> orders, long totalOrders) {

    public static final int MAX = 100;

    public record Entry(String orderId, long totalCents, String currency, long placedAtMs) {}

    public CustomerOrders {
        orders = List.copyOf(orders);
    }

    public static CustomerOrders empty() {
        return new CustomerOrders(null, List.of(), 0);
    }

    /** Adds an order; an order already listed (the same OrderPlaced seen again) leaves the model as it is. */
    CustomerOrders add(String customerId, Entry entry) {
        if (orders.stream().anyMatch(o -> o.orderId().equals(entry.orderId()))) {
            return this;
        }
        List<Entry> list = new ArrayList<>(orders);
        list.add(entry);
        if (list.size() > MAX) {
            list.remove(0);
        }
        return new CustomerOrders(customerId, list, totalOrders + 1);
    }
}
