package io.bulwark.streams.rates;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Window kinds, sizes, grace and retention of the rate accounting, and its quota rule. The
 * defaults live in one place: {@code AppConfig}'s definitions of the {@code rates.*} and
 * {@code quota.*} keys.
 *
 * @param kinds which windows are kept (the quota's windows always are)
 * @param grace how long after a window ends a late record is still counted in it
 * @param retention how long windows stay queryable; at least every window's size plus grace
 */
public record RateSettings(
        Set<RateAccounting.WindowKind> kinds,
        Duration tumblingSize,
        Duration hoppingSize,
        Duration hoppingAdvance,
        Duration slidingDifference,
        Duration grace,
        Duration retention,
        QuotaRule quota) {

    public RateSettings {
        kinds = Set.copyOf(kinds);
        positive("tumbling size", tumblingSize);
        positive("hopping size", hoppingSize);
        positive("hopping advance", hoppingAdvance);
        positive("sliding difference", slidingDifference);
        Objects.requireNonNull(grace, "grace");
        Objects.requireNonNull(quota, "quota");
        if (grace.isNegative()) {
            throw new IllegalArgumentException("Rate grace = " + grace + " must not be negative");
        }
        if (hoppingAdvance.compareTo(hoppingSize) > 0) {
            throw new IllegalArgumentException(
                    "Hopping advance = " + hoppingAdvance + " must not exceed its size " + hoppingSize);
        }
        Duration needed = max(max(tumblingSize, hoppingSize), max(slidingDifference.multipliedBy(2), quota.window()))
                .plus(grace);
        if (retention.compareTo(needed) < 0) {
            throw new IllegalArgumentException(
                    "Rate retention = " + retention + " must be at least the largest window plus grace, " + needed);
        }
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("Rate " + name + " = " + value + " must be positive");
        }
    }

    private static Duration max(Duration a, Duration b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    /**
     * "More than {@code maxOrders} orders, or more than {@code maxAmountCents} in total, per customer
     * per {@code window}" (tumbling windows).
     */
    public record QuotaRule(String name, Duration window, long maxOrders, long maxAmountCents) {

        public QuotaRule {
            Objects.requireNonNull(name, "name");
            positive("quota window", window);
            if (maxOrders < 0 || maxAmountCents < 0) {
                throw new IllegalArgumentException("Quota limits must not be negative: maxOrders = " + maxOrders
                        + ", maxAmountCents = " + maxAmountCents);
            }
        }

        boolean breachedBy(long count, long sumCents) {
            return count > maxOrders || sumCents > maxAmountCents;
        }
    }
}
