package io.bulwark.streams.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Read models fold replayed inventory answers (same event ids, same versions) once. */
class ReplayedEventsTest {

    private static EventEnvelope event(String type, long version, long quantity, String orderId) {
        return new EventEnvelope(
                UUID.randomUUID(),
                type,
                "inventory",
                "sku-1",
                version,
                Instant.ofEpochMilli(version),
                orderId,
                orderId == null ? null : UUID.randomUUID().toString(),
                null,
                Json.mapper().createObjectNode().put("sku", "sku-1").put("quantity", quantity));
    }

    @Test
    void shouldCountAStockEventOnceWhenItIsReplayed() {
        EventEnvelope restocked = event("Restocked", 1, 10, null);
        EventEnvelope reserved = event("StockReserved", 2, 4, "o-1");
        StockLevel level = StockLevel.empty().apply(restocked, 1).apply(reserved, 2);
        StockLevel replayed = level.apply(reserved, 3).apply(restocked, 3);
        assertThat(replayed).isSameAs(level);
        assertThat(replayed.available()).isEqualTo(6);
        assertThat(replayed.reserved()).isEqualTo(4);
    }

    @Test
    void shouldListAnOrderOnceWhenItsOrderPlacedIsSeenAgain() {
        CustomerOrders.Entry entry = new CustomerOrders.Entry("o-1", 100, "EUR", 1);
        CustomerOrders once = CustomerOrders.empty().add("c-1", entry);
        assertThat(once.add("c-1", entry)).isSameAs(once);
        assertThat(once.orders()).hasSize(1);
        assertThat(once.totalOrders()).isEqualTo(1);
        assertThat(List.copyOf(once.orders())).containsExactly(entry);
    }
}
