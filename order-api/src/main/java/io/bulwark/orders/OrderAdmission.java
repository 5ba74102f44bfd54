package io.bulwark.orders;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Admission control of new orders, judged by how long orders take to settle: CoDel's rule (a queue holds a
 * standing backlog when even its quickest item waited longer than a target, for longer than a window) applied
 * to the whole order path — outbox, relay, saga, stock, payment worker, outcome — whose queues order-api cannot
 * see but whose end it records.
 *
 * <p>Each order the outcome reader settles reports how long it was open (its row's {@code created_at} to
 * its settlement, {@link #settled}). The window is judged in fifths:
 *
 * <ul>
 *   <li>when orders settled throughout the window (in each of its fifths) and every one was open longer
 *       than the target, the path holds a backlog that did not drain. The share of new orders admitted is
 *       cut to what the path completed in the window (settled orders per new order asked for) times
 *       target / quickest wait, so that the backlog drains in about as long as that order waited — and at
 *       least halved, at most down to {@value #FLOOR} (a trickle still placed keeps measuring the path, so
 *       admission opens again once the backlog is gone). Not cut again before another window has passed:
 *       time for the cut to show;</li>
 *   <li>otherwise — an order settled within the target, or a fifth without any settled (a stall, not a
 *       queue) — the share grows, up to all: by {@value #STEP} per fifth × target / the fifth's quickest
 *       wait, at most {@value #MAX_STEP} — fast once the backlog has drained (waits far below the target:
 *       a cold start that caught up), slowly as the wait nears the target again (a rate the path cannot
 *       hold, whose rise shows in the wait only later).</li>
 * </ul>
 *
 * The window keeps a passing stall (a broker's log roll, a collection, a component restarting: every order
 * of a second or two waits, and the backlog then drains by itself) from refusing anyone. A refused order is
 * answered 503 {@code overloaded} with {@code Retry-After} before anything is written: no credit charged, no
 * event sent, its Idempotency-Key free for the retry. Retries of placed orders (replays) and cancellations are
 * never refused. The minimum, not a mean or a count: a slow gateway answer, a client's late cancel or (with
 * {@code lock.customers}) a customer's lock keeps single orders open long with no backlog anywhere, and the number of open orders means
 * a different wait at each rate. A path that settles nothing at all (the streams app down) does not close
 * admission: orders wait durably in the outbox and Kafka, and {@code /health} and the streams app's own
 * metrics report that failure. Without an outcome reader in this process ({@code outcomes.enabled=false})
 * nothing is measured and every order is admitted. Several order-api processes share the outcome reader's
 * group, so each judges the path by the outcomes of its own partitions — a sample of the same queues — and
 * refuses its own share. State: five intervals of three numbers, whatever the load.
 *
 * <p>Metrics: {@code bulwark.orders.admission.ratio} (the share admitted now),
 * {@code bulwark.orders.admission.refused}, {@code bulwark.orders.settle.latency} (every settled order's open
 * time) and {@code bulwark.orders.admission.quickest.settle} (seconds, the minimum over the last window; -1
 * when none settled).
 */
final class OrderAdmission {

    /** The share of new orders still admitted however long the backlog. */
    static final double FLOOR = 0.05;

    /** How much the admitted share grows per fifth of a window without a backlog, at a wait of the target. */
    static final double STEP = 0.02;

    /** The most the admitted share grows per fifth of a window. */
    static final double MAX_STEP = 0.1;

    /** The window is judged this many times, once per interval. */
    static final int INTERVALS_PER_WINDOW = 5;

    private final long targetMs;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final Counter refused;
    private final Timer settleLatency;

    /** The quickest open time settled in each of the window's last intervals; MAX_VALUE: none. */
    private final long[] quickest = new long[INTERVALS_PER_WINDOW];

    /** Orders settled, and new orders asked for (admitted or not), in each of the window's last intervals. */
    private final long[] settledCount = new long[INTERVALS_PER_WINDOW];

    private final long[] askedCount = new long[INTERVALS_PER_WINDOW];

    private long intervalEnd;
    private int current;
    private int sinceDecrease = INTERVALS_PER_WINDOW;
    private double ratio = 1;
    private double credit;

    /**
     * @param target the longest the quickest order of a window may take to settle; zero admits every order
     * @param window how long every order must have waited longer than the target before the share is cut
     */
    OrderAdmission(Duration target, Duration window, MeterRegistry meters, LongSupplier nanoTime) {
        if (target.isNegative() || window.toMillis() < INTERVALS_PER_WINDOW) {
            throw new IllegalArgumentException(
                    "needs a target >= 0 and a window of at least " + INTERVALS_PER_WINDOW + " ms");
        }
        Arrays.fill(quickest, Long.MAX_VALUE);
        this.targetMs = target.toMillis();
        this.intervalNanos = window.toNanos() / INTERVALS_PER_WINDOW;
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
        Gauge.builder("bulwark.orders.admission.quickest.settle", this, a -> {
                    long ms = a.lastQuickestMs();
                    return ms < 0 ? -1 : ms / 1_000.0;
                })
                .description("How long the quickest order settled in the last window was open (-1: none settled)")
                .baseUnit("seconds")
                .register(meters);
    }

    static OrderAdmission of(Duration target, Duration window, MeterRegistry meters) {
        return new OrderAdmission(target, window, meters, System::nanoTime);
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
            quickest[current] = Math.min(quickest[current], openMs);
            settledCount[current]++;
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
            askedCount[current]++;
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

    /** How long the quickest order settled in the last window was open; -1 when none settled. */
    synchronized long lastQuickestMs() {
        roll();
        long min = windowQuickest();
        return min == Long.MAX_VALUE ? -1 : min;
    }

    /** Judges each interval that ended, with the window that ends with it. */
    private void roll() {
        long now = nanoTime.getAsLong();
        if (now - intervalEnd < 0) {
            return;
        }
        long ended = (now - intervalEnd) / intervalNanos + 1;
        // After two windows of empty intervals the rings are empty: the rest only grow the share.
        long judged = Math.min(ended, 2 * INTERVALS_PER_WINDOW);
        for (long i = 0; i < judged; i++) {
            judge();
        }
        ratio = Math.min(1, ratio + STEP * (ended - judged));
        if (ratio >= 1) {
            credit = 0;
        }
        intervalEnd += ended * intervalNanos;
    }

    private void judge() {
        sinceDecrease++;
        if (backlog()) {
            if (sinceDecrease >= INTERVALS_PER_WINDOW) {
                ratio = Math.max(FLOOR, Math.min(ratio / 2, drainingShare()));
                sinceDecrease = 0;
            }
        } else {
            ratio = Math.min(1, ratio + growth(quickest[current]));
        }
        if (ratio >= 1) {
            credit = 0;
        }
        current = (current + 1) % INTERVALS_PER_WINDOW;
        quickest[current] = Long.MAX_VALUE;
        settledCount[current] = 0;
        askedCount[current] = 0;
    }

    /**
     * The share of new orders the path completed in the window, scaled down by how far its quickest order
     * was over the target: at capacity C and a wait of {@code quickest}, admitting C × target / quickest
     * drains the backlog (quickest × C orders) to the target in about {@code quickest}.
     */
    private double drainingShare() {
        long asked = Arrays.stream(askedCount).sum();
        if (asked == 0) {
            return 1;
        }
        double completed = (double) Arrays.stream(settledCount).sum() / asked;
        return completed * targetMs / windowQuickest();
    }

    /**
     * How much the share grows after an interval without a backlog: {@value #STEP} scaled by target /
     * the interval's quickest wait, at most {@value #MAX_STEP} — fast while orders settle far within the
     * target (a backlog that drained), slowly as the wait nears it; {@value #STEP} when none settled.
     */
    private double growth(long intervalQuickestMs) {
        if (intervalQuickestMs == Long.MAX_VALUE) {
            return STEP;
        }
        return Math.min(MAX_STEP, STEP * targetMs / Math.max(intervalQuickestMs, 1));
    }

    /** Orders settled in every interval of the window, and every one of them open longer than the target. */
    private boolean backlog() {
        for (long q : quickest) {
            if (q == Long.MAX_VALUE || q <= targetMs) {
                return false;
            }
        }
        return true;
    }

    private long windowQuickest() {
        long min = Long.MAX_VALUE;
        for (long q : quickest) {
            min = Math.min(min, q);
        }
        return min;
    }
}
