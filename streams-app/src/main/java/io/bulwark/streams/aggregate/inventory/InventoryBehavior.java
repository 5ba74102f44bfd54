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
        return new InventoryItem(sku, 0, 0, Reservations.none());
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
            Integer held = item.reservations().get(reserve.orderId());
            if (held != null) {
                return Decision.reject(
                        ALREADY_RESERVED, "order " + reserve.orderId() + " already holds " + held + " units");
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
        Reservations reservations = item.held();
        long available = item.available();
        if (event instanceof Restocked e) {
            available += e.quantity();
        } else if (event instanceof StockReserved e) {
            available -= e.quantity();
            reservations = reservations.with(e.orderId(), e.quantity());
        } else if (event instanceof StockReleased e) {
            available += e.quantity();
            reservations = reservations.without(e.orderId());
        } else if (event instanceof ReservationCommitted e) {
            reservations = reservations.without(e.orderId());
        }
        return new InventoryItem(item.sku(), item.version() + 1, available, reservations);
    }

    /** The rejection event for a refused command. */
    static InventoryEvent rejection(InventoryCommand command, String code, String reason) {
        return new InventoryCommandRejected(command.sku(), command.commandId().toString(), code, reason);
    }
}
