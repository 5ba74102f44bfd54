package io.bulwark.streams.aggregate.inventory;

import io.bulwark.streams.aggregate.AggregateBehavior;
import io.bulwark.streams.aggregate.Decision;
import io.bulwark.streams.aggregate.inventory.InventoryCommand.Commit;
import io.bulwark.streams.aggregate.inventory.InventoryCommand.Release;
import io.bulwark.streams.aggregate.inventory.InventoryCommand.Reserve;
import io.bulwark.streams.aggregate.inventory.InventoryCommand.Restock;
import io.bulwark.streams.aggregate.inventory.InventoryEvent.InventoryCommandRejected;
import io.bulwark.streams.aggregate.inventory.InventoryEvent.ReservationCommitted;
import io.bulwark.streams.aggregate.inventory.InventoryEvent.Restocked;
import io.bulwark.streams.aggregate.inventory.InventoryEvent.StockReleased;
import io.bulwark.streams.aggregate.inventory.InventoryEvent.StockReserved;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The inventory item aggregate: restock, reserve for an order, release (compensation), commit (the
 * order was confirmed: the reservation becomes a sale). Reserving more than is available is a
 * rejection, never an exception; stock can never go negative. Release and commit of a reservation the
 * item does not hold are accepted without events, so both are idempotent.
 */
public final class InventoryBehavior implements AggregateBehavior<InventoryItem, InventoryCommand, InventoryEvent> {

    public static final String INSUFFICIENT_STOCK = "insufficient-stock";
    public static final String VERSION_CONFLICT = "version-conflict";
    public static final String INVALID_QUANTITY = "invalid-quantity";
    public static final String ALREADY_RESERVED = "already-reserved";

    @Override
    public InventoryItem initial(String sku) {
        return new InventoryItem(sku, 0, 0, Map.of());
    }

    @Override
    public long version(InventoryItem state) {
        return state.version();
    }

    @Override
    public Decision<InventoryEvent> decide(InventoryItem item, InventoryCommand command) {
        if (command.expectedVersion() != null && command.expectedVersion() != item.version()) {
            return Decision.reject(
                    VERSION_CONFLICT,
                    "expected version " + command.expectedVersion() + " but the item is at " + item.version());
        }
        if (command instanceof Restock restock) {
            return restock.quantity() < 1
                    ? Decision.reject(INVALID_QUANTITY, "restock quantity " + restock.quantity() + " must be >= 1")
                    : Decision.accept(new Restocked(item.sku(), restock.quantity()));
        }
        if (command instanceof Reserve reserve) {
            if (reserve.quantity() < 1) {
                return Decision.reject(INVALID_QUANTITY, "reserve quantity " + reserve.quantity() + " must be >= 1");
            }
            if (item.reservations().containsKey(reserve.orderId())) {
                return Decision.reject(
                        ALREADY_RESERVED,
                        "order " + reserve.orderId() + " already holds "
                                + item.reservations().get(reserve.orderId()) + " units");
            }
            if (reserve.quantity() > item.available()) {
                return Decision.reject(
                        INSUFFICIENT_STOCK,
                        "order " + reserve.orderId() + " wants " + reserve.quantity() + " units, " + item.available()
                                + " available");
            }
            return Decision.accept(new StockReserved(item.sku(), reserve.orderId(), reserve.quantity()));
        }
        if (command instanceof Commit commit) {
            Integer held = item.reservations().get(commit.orderId());
            return held == null
                    ? Decision.accept()
                    : Decision.accept(new ReservationCommitted(item.sku(), commit.orderId(), held));
        }
        Release release = (Release) command;
        Integer held = item.reservations().get(release.orderId());
        // Releasing what is not held is already done: accepted, no events (idempotent compensation).
        return held == null
                ? Decision.accept()
                : Decision.accept(new StockReleased(item.sku(), release.orderId(), held));
    }

    @Override
    public InventoryItem apply(InventoryItem item, InventoryEvent event) {
        if (!event.changesState()) {
            return item;
        }
        // The reservations are built once, straight into an immutable map (which the item keeps as it is): a
        // HashMap copy and then Map.copyOf hashed every reservation twice per event, and an item holds one per
        // order in flight (PROFILES.md, 2026-12-05).
        Map<String, Integer> reservations = item.reservations();
        long available = item.available();
        if (event instanceof Restocked e) {
            available += e.quantity();
        } else if (event instanceof StockReserved e) {
            available -= e.quantity();
            reservations = with(reservations, e.orderId(), e.quantity());
        } else if (event instanceof StockReleased e) {
            available += e.quantity();
            reservations = with(reservations, e.orderId(), null);
        } else if (event instanceof ReservationCommitted e) {
            reservations = with(reservations, e.orderId(), null);
        }
        return new InventoryItem(item.sku(), item.version() + 1, available, reservations);
    }

    /** {@code reservations} with {@code order} holding {@code units}, or without it when {@code units} is null. */
    @SuppressWarnings("unchecked")
    private static Map<String, Integer> with(Map<String, Integer> reservations, String order, Integer units) {
        if (units == null && !reservations.containsKey(order)) {
            return reservations;
        }
        List<Map.Entry<String, Integer>> entries = new ArrayList<>(reservations.size() + 1);
        reservations.forEach((o, u) -> {
            if (!o.equals(order)) {
                entries.add(Map.entry(o, u));
            }
        });
        if (units != null) {
            entries.add(Map.entry(order, units));
        }
        return Map.ofEntries(entries.toArray(Map.Entry[]::new));
    }

    /** The rejection event for a refused command. */
    static InventoryEvent rejection(InventoryCommand command, String code, String reason) {
        return new InventoryCommandRejected(command.sku(), command.commandId().toString(), code, reason);
    }
}
