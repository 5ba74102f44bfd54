package io.bulwark.streams.readmodel;

import java.util.ArrayList;
import java.util.List;

/**
 * Read model: an order's current status and how it got there (each step with its event time).
 * Statuses: {@code PLACED}, {@code CANCEL_REQUESTED}, {@code STOCK_RESERVED}, {@code STOCK_REJECTED},
 * {@code STOCK_RELEASED}, and the saga's outcomes {@code CONFIRMED}, {@code REJECTED} and
 * {@code CANCELLED}.
 *
 * <p>The status never goes back: events of one order arrive from several topics (order events,
 * inventory events, saga outcomes), so a compensation's {@code StockReleased} can arrive after the
 * saga's {@code REJECTED}. Every event is kept in the history; the status only moves forward
 * (placed → stock steps → terminal), and a terminal status is final. (Found by the dev-stack's
 * load run: declined orders showed {@code STOCK_RELEASED} instead of {@code REJECTED}.) The history is in the
 * order the events arrived, each with its event time: since the saga hands its outcome over directly
 * (2026-12-05), a payment decline answered before the inventory usually lists {@code REJECTED} before the
 * {@code STOCK_RESERVED} that was still on its way, where the outcome's extra hop used to let it arrive first.
 */
public record OrderStatus(String orderId, String status, List<Step> history, long lastEventMs) {

    public record Step(String status, long atMs, String eventId) {}

    public OrderStatus {
        history = List.copyOf(history);
    }

    public static OrderStatus empty() {
        return new OrderStatus(null, null, List.of(), 0);
    }

    /** Folds one event; an event id already in the history (a replayed answer) changes nothing. */
    OrderStatus with(String orderId, String newStatus, long atMs, String eventId) {
        if (eventId != null && history.stream().anyMatch(step -> eventId.equals(step.eventId()))) {
            return this;
        }
        List<Step> steps = new ArrayList<>(history);
        steps.add(new Step(newStatus, atMs, eventId));
        String next = status == null || rank(newStatus) >= rank(status) && !terminal(status) ? newStatus : status;
        return new OrderStatus(orderId, next, steps, Math.max(lastEventMs, atMs));
    }

    /** Whether the order reached its end: confirmed, rejected or cancelled. */
    public static boolean terminal(String status) {
        return "CONFIRMED".equals(status) || "REJECTED".equals(status) || "CANCELLED".equals(status);
    }

    private static int rank(String status) {
        if (terminal(status)) {
            return 2;
        }
        return "PLACED".equals(status) ? 0 : 1;
    }
}
