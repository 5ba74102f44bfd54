package io.bulwark.streams.readmodel;

import java.util.ArrayList;
import java.util.List;

/**
 * Read model: an order's current status and how it got there (each step with its event time).
 * Statuses so far: {@code PLACED}, {@code STOCK_RESERVED}, {@code STOCK_REJECTED},
 * {@code STOCK_RELEASED}, and the saga's outcomes {@code CONFIRMED} and {@code REJECTED}.
 */
public record OrderStatus(String orderId, String status, List<Step> history, long lastEventMs) {

    public record Step(String status, long atMs, String eventId) {}

    public OrderStatus {
        history = List.copyOf(history);
    }

    public static OrderStatus empty() {
        return new OrderStatus(null, null, List.of(), 0);
    }

    OrderStatus with(String orderId, String newStatus, long atMs, String eventId) {
        List<Step> steps = new ArrayList<>(history);
        steps.add(new Step(newStatus, atMs, eventId));
        return new OrderStatus(orderId, newStatus, steps, Math.max(lastEventMs, atMs));
    }
}
