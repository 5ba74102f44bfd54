package io.bulwark.streams.rates;

/** Count and sum (in cents) of the orders of one key in one window. */
public record RateWindow(long count, long sumCents) {

    public static RateWindow empty() {
        return new RateWindow(0, 0);
    }

    public RateWindow add(long amountCents) {
        return new RateWindow(count + 1, Math.addExact(sumCents, amountCents));
    }

    /** The totals of this window and {@code other} together. */
    public RateWindow plus(RateWindow other) {
        return new RateWindow(Math.addExact(count, other.count), Math.addExact(sumCents, other.sumCents));
    }
}
