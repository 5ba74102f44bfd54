package io.bulwark.streams.readmodel;

import io.bulwark.schemas.EventEnvelope;

/**
 * Read model: units available and reserved for one SKU, with the item version and the time of the
 * last event it reflects.
 */
public record StockLevel(String sku, long available, long reserved, long version, long asOfMs) {

    public static StockLevel empty() {
        return new StockLevel(null, 0, 0, 0, 0);
    }

    /**
     * Folds one inventory event; events that change no state leave the level as it is, and so does an
     * event whose item version is not newer than the level's (a replayed answer: the aggregate re-emits a
     * retried command's events with their ids and versions).
     */
    StockLevel apply(EventEnvelope event, long timestamp) {
        if (event.aggregateVersion() != null && event.aggregateVersion() <= version) {
            return this;
        }
        long quantity = event.payload().path("quantity").asLong();
        String sku = event.aggregateId();
        long version = event.aggregateVersion() == null ? version() : event.aggregateVersion();
        return switch (event.type()) {
            case "Restocked" -> new StockLevel(sku, available + quantity, reserved, version, timestamp);
            case "StockReserved" -> new StockLevel(sku, available - quantity, reserved + quantity, version, timestamp);
            case "StockReleased" -> new StockLevel(sku, available + quantity, reserved - quantity, version, timestamp);
            case "ReservationCommitted" -> new StockLevel(sku, available, reserved - quantity, version, timestamp);
            default -> this;
        };
    }
}
