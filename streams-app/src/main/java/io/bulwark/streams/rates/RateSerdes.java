package io.bulwark.streams.rates;

import static io.bulwark.schemas.CompactSerde.getString;
import static io.bulwark.schemas.CompactSerde.putString;
import static io.bulwark.schemas.CompactSerde.sizeOf;

import io.bulwark.schemas.CompactSerde;
import org.apache.kafka.common.serialization.Serde;

/**
 * Rate accounting's records in their {@link CompactSerde} forms, for its repartition topics and window stores.
 * Every window update reads and writes its aggregate through the record cache as bytes, ~13 times per order,
 * so JSON there cost more than the arithmetic it carries.
 */
final class RateSerdes {

    static final Serde<RateWindow> RATE_WINDOW = CompactSerde.of(
            RateWindow.class,
            w -> 16,
            (w, out) -> out.putLong(w.count()).putLong(w.sumCents()),
            in -> new RateWindow(in.getLong(), in.getLong()));

    static final Serde<QuotaWindow> QUOTA_WINDOW = CompactSerde.of(
            QuotaWindow.class,
            w -> 17,
            (w, out) -> out.putLong(w.count()).putLong(w.sumCents()).put((byte)
                    ((w.breached() ? 1 : 0) | (w.breachedNow() ? 2 : 0))),
            in -> {
                long count = in.getLong();
                long sum = in.getLong();
                byte flags = in.get();
                return new QuotaWindow(count, sum, (flags & 1) != 0, (flags & 2) != 0);
            });

    static final Serde<OrderAmount> ORDER_AMOUNT = CompactSerde.of(
            OrderAmount.class,
            a -> 8 + sizeOf(a.customerId()) + sizeOf(a.merchantId()),
            (a, out) -> {
                putString(out, a.customerId());
                putString(out, a.merchantId());
                out.putLong(a.amountCents());
            },
            in -> new OrderAmount(getString(in), getString(in), in.getLong()));

    private RateSerdes() {}
}
