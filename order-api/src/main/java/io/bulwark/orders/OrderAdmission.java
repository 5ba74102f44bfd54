package io.bulwark.orders;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Admission control of new orders, judged by how long orders take to settle: CoDel's rule (a queue holds a
 * standing backlog when even its quickest item waited longer than a target) applied to the whole order path —
 * outbox, relay, saga, stock, payment worker, outcome — whose queues order-api cannot see but whose end it
 * records.
 *
 * <p>Each order the outcome reader settles reports how long it was open (its row's {@code created_at} to
 * its settlement, {@link #settled}). At the end of each interval:
 *
 * <ul>
 *   <li>when the quickest order settled in it took longer than the target, every order waited behind a
 *       backlog: the share of new orders admitted halves, down to {@value #FLOOR} (a trickle still placed
 *       keeps measuring the path, so admission opens again once the backlog is gone);</li>
 *   <li>otherwise — a quick order, or none settled at all — the share grows by {@value #STEP}, up to all.</li>
 * </ul>
 *
 * A refused order is answered 503 {@code overloaded} with {@code Retry-After} before anything is written:
 * no credit charged, no event sent, its Idempotency-Key free for the retry. Retries of placed orders (replays)
 * and cancellations are never refused. The minimum, not a mean or a count: a slow gateway answer, a client's
 * late cancel or a customer's lock keeps single orders open long with no backlog anywhere, and the number of
 * open orders means a different wait at each rate. A path that settles nothing at all (the streams app down)
 * does not close admission: orders wait durably in the outbox and Kafka, and {@code /health} and the
 * streams app's own metrics report that failure. Without an outcome reader in this process
 * ({@code outcomes.enabled=false}) nothing is measured and every order is admitted.
 *
 * <p>Metrics: {@code bulwark.orders.admission.ratio} (the share admitted now),
 * {@code bulwark.orders.admission.refused}, {@code bulwark.orders.settle.latency} (every settled order's open
 * time) and {@code bulwark.orders.admission.quickest.settle.ms} (the last interval's minimum; -1 when none
 * settled).
 */
final class OrderAdmission {

    /** The share of new orders still admitted however long the backlog. */
    static final double FLOOR = 0.05;

    /** How much the admitted share grows per interval without a backlog. */
    static final double STEP = 0.1;

    private final long targetMs;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Counter refused;
    private final Timer settleLatency;

    private long intervalEnd;
    private long quickestMs = Long.MAX_VALUE;
    private long lastQuickestMs = -1;
    private double ratio = 1;
    private double credit;

    /**
     * @param target the longest the quickest order of an interval may take to settle; zero admits every order
     * @param interval how often the share admitted is judged
     */
    OrderAdmission(Duration target, Duration interval, MeterRegistry meters, LongSupplier nanoTime) {
        if (target.isNegative() || interval.isNegative() || interval.isZero()) {
            throw new IllegalArgumentException("needs a target >= 0 and an interval > 0");
        }
        this.targetMs = target.toMillis();
        this.intervalNanos = interval.toNanos();
        this.nanoTime = nanoTime;
        this.intervalEnd = nanoTime.getAsLong() + intervalNanos;
        this.refused = Counter.builder("bulwark.orders.admission.refused")
                .description("New orders refused 503 overloaded because orders took too long to settle")
                .register(meters);
        this.settleLatency = Timer.builder("bulwark.orders.settle.latency")
                .description("How long orders were open: placed to settled by the saga's outcome")
                .register(meters);
        Gauge.builder("bulwark.orders.admission.ratio", this, OrderAdmission::ratio)
                .description("The share of new orders admitted")
                .register(meters);
        Gauge.builder("bulwark.orders.admission.quickest.settle.ms", this, OrderAdmission::lastQuickestMs)
                .description("How long the quickest order settled in the last interval was open (-1: none)")
                .baseUnit("milliseconds")
                .register(meters);
    }

    static OrderAdmission of(Duration target, Duration interval, MeterRegistry meters) {
        return new OrderAdmission(target, interval, meters, System::nanoTime);
    }

    boolean enabled() {
        return targetMs > 0;
    }

    long targetMs() {
        return targetMs;
    }

    /** An order was settled after being open {@code openMs}. */
    void settled(long openMs) {
        settleLatency.record(Math.max(openMs, 0), TimeUnit.MILLISECONDS);
        if (!enabled()) {
            return;
        }
        synchronized (this) {
            roll();
            quickestMs = Math.min(quickestMs, openMs);
        }
    }

    /**
     * Whether to place a new order now. At a share below one the admitted orders are spread evenly (every
     * second one at a half), not drawn at random, so a short burst gets its share too.
     */
    boolean admit() {
        if (!enabled()) {
            return true;
        }
        synchronized (this) {
            roll();
            if (ratio >= 1) {
                return true;
            }
            credit += ratio;
            if (credit >= 1) {
                credit -= 1;
                return true;
            }
        }
        refused.increment();
        return false;
    }

    /** The share of new orders admitted now. */
    synchronized double ratio() {
        roll();
        return ratio;
    }

    /** How long the quickest order settled in the last complete interval was open; -1 when none settled. */
    synchronized long lastQuickestMs() {
        roll();
        return lastQuickestMs;
    }

    /** Judges the intervals that ended: the last with its settled orders, any later ones as empty. */
    private void roll() {
        long now = nanoTime.getAsLong();
        if (now - intervalEnd < 0) {
            return;
        }
        boolean backlog = quickestMs != Long.MAX_VALUE && quickestMs > targetMs;
        lastQuickestMs = quickestMs == Long.MAX_VALUE ? -1 : quickestMs;
        quickestMs = Long.MAX_VALUE;
        ratio = backlog ? Math.max(FLOOR, ratio / 2) : Math.min(1, ratio + STEP);
        long emptyIntervals = (now - intervalEnd) / intervalNanos;
        if (emptyIntervals > 0) {
            lastQuickestMs = -1;
            ratio = Math.min(1, ratio + STEP * Math.min(emptyIntervals, 10));
        }
        intervalEnd += (emptyIntervals + 1) * intervalNanos;
        if (ratio >= 1) {
            credit = 0;
        }
    }
}
