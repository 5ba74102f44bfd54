package io.bulwark.streams.rates;

/**
 * A quota window's totals and whether they are over the rule: {@code breachedNow} is true only on
 * the one update that crossed the limit, which is what makes exactly one alert per window.
 */
public record QuotaWindow(long count, long sumCents, boolean breached, boolean breachedNow) {

    public static QuotaWindow empty() {
        return new QuotaWindow(0, 0, false, false);
    }

    QuotaWindow add(long amountCents, RateSettings.QuotaRule rule) {
        long newCount = count + 1;
        long newSum = Math.addExact(sumCents, amountCents);
        boolean over = rule.breachedBy(newCount, newSum);
        return new QuotaWindow(newCount, newSum, over, over && !breached);
    }
}
