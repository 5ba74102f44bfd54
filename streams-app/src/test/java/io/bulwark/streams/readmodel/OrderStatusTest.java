package io.bulwark.streams.readmodel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class OrderStatusTest {

    @Test
    void shouldKeepATerminalStatusWhenACompensationEventArrivesAfterIt() {
        OrderStatus status = OrderStatus.empty()
                .with("o-1", "PLACED", 1, "e1")
                .with("o-1", "STOCK_RESERVED", 2, "e2")
                .with("o-1", "REJECTED", 3, "e3")
                .with("o-1", "STOCK_RELEASED", 3, "e4");
        assertThat(status.status()).isEqualTo("REJECTED");
        assertThat(status.history())
                .extracting(OrderStatus.Step::status)
                .containsExactly("PLACED", "STOCK_RESERVED", "REJECTED", "STOCK_RELEASED");
    }

    @Test
    void shouldNotGoBackToPlacedWhenTheOrderEventArrivesAfterAStockEvent() {
        OrderStatus status =
                OrderStatus.empty().with("o-2", "STOCK_RESERVED", 2, "e2").with("o-2", "PLACED", 1, "e1");
        assertThat(status.status()).isEqualTo("STOCK_RESERVED");
        OrderStatus confirmed = status.with("o-2", "CONFIRMED", 3, "e3").with("o-2", "REJECTED", 4, "e4");
        assertThat(confirmed.status()).as("terminal is final").isEqualTo("CONFIRMED");
    }

    @Test
    void shouldIgnoreAnEventIdItHasAlreadySeen() {
        OrderStatus once = OrderStatus.empty().with("o-3", "PLACED", 1, "e1").with("o-3", "STOCK_RESERVED", 2, "e2");
        assertThat(once.with("o-3", "STOCK_RESERVED", 2, "e2")).isSameAs(once);
    }
}
