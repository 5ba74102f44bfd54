package io.bulwark.streams.rates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bulwark.schemas.JsonSerde;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class RateSerdesTest {

    @Property
    void shouldReadBackEveryRateWindowAndQuotaWindowItWrites(
            @ForAll long count, @ForAll long sum, @ForAll boolean breached, @ForAll boolean now) {
        assertThat(roundTrip(RateSerdes.RATE_WINDOW, new RateWindow(count, sum)))
                .isEqualTo(new RateWindow(count, sum));
        QuotaWindow quota = new QuotaWindow(count, sum, breached, now);
        assertThat(roundTrip(RateSerdes.QUOTA_WINDOW, quota)).isEqualTo(quota);
    }

    @Property
    void shouldReadBackEveryOrderAmountItWritesWithOrWithoutAMerchant(
            @ForAll String customer, @ForAll boolean withMerchant, @ForAll String merchant, @ForAll long cents) {
        OrderAmount amount = new OrderAmount(customer, withMerchant ? merchant : null, cents);
        assertThat(roundTrip(RateSerdes.ORDER_AMOUNT, amount)).isEqualTo(amount);
    }

    @Test
    void shouldStillReadTheJsonEarlierReleasesWrote() {
        byte[] rate = JsonSerde.of(RateWindow.class).serializer().serialize("t", new RateWindow(3, 4_500));
        byte[] amount = JsonSerde.of(OrderAmount.class).serializer().serialize("t", new OrderAmount("c-1", null, 99));

        assertThat(RateSerdes.RATE_WINDOW.deserializer().deserialize("t", rate)).isEqualTo(new RateWindow(3, 4_500));
        assertThat(RateSerdes.ORDER_AMOUNT.deserializer().deserialize("t", amount))
                .isEqualTo(new OrderAmount("c-1", null, 99));
    }

    @Test
    void shouldRefuseBytesThatAreNeitherItsFormatNorJsonNamingTheTopic() {
        byte[] garbage = "x1".getBytes(StandardCharsets.UTF_8);
        byte[] truncated = {1, 0, 0, 0};
        byte[] trailing = RateSerdes.RATE_WINDOW.serializer().serialize("t", new RateWindow(1, 2));
        byte[] longer = java.util.Arrays.copyOf(trailing, trailing.length + 1);

        assertThatThrownBy(() -> RateSerdes.RATE_WINDOW.deserializer().deserialize("rates-changelog", garbage))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("rates-changelog");
        assertThatThrownBy(() -> RateSerdes.RATE_WINDOW.deserializer().deserialize("t", truncated))
                .isInstanceOf(SerializationException.class);
        assertThatThrownBy(() -> RateSerdes.RATE_WINDOW.deserializer().deserialize("t", longer))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("bytes after");
        assertThat(RateSerdes.RATE_WINDOW.deserializer().deserialize("t", null)).isNull();
    }

    private static <T> T roundTrip(Serde<T> serde, T value) {
        return serde.deserializer().deserialize("t", serde.serializer().serialize("t", value));
    }
}
