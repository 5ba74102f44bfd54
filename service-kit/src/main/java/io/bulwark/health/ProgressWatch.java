package io.bulwark.health;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * Tells a stall from idleness for one worker (a stream thread, the payment worker's loop, the outbox
 * relay): the worker is <em>stalled</em> when work has been waiting and its progress counter has not
 * moved for longer than a bound. A worker with nothing to do is never stalled, however long it idles.
 *
 * <p>The owner samples the worker now and then with {@link #observe(long, boolean)}: a monotonic
 * count of finished work (commits, replies sent, records published) and whether work waits (consumer
 * lag, rows not yet published, a loop that has stopped polling). Time comes from the injected clock,
 * so tests drive it by hand. Thread-safe.
 */
public final class ProgressWatch {

    private final Duration bound;
    private final LongSupplier nanoTime;
    private long lastCount = Long.MIN_VALUE;
    private long lastProgressNanos;
    private boolean stalled;
    private long stalls;

    /**
     * @param bound    how long waiting work may see no progress before the worker counts as stalled
     * @param nanoTime a monotonic clock in nanoseconds ({@code System::nanoTime} outside tests)
     */
    public ProgressWatch(Duration bound, LongSupplier nanoTime) {
        if (bound.isNegative() || bound.isZero()) {
            throw new IllegalArgumentException("stall bound = " + bound + " must be positive");
        }
        this.bound = bound;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.lastProgressNanos = nanoTime.getAsLong();
    }

    /**
     * Records a sample and answers whether the worker is stalled now.
     *
     * @param progressCount a counter of finished work that only grows (a restart of the worker may reset it)
     * @param workWaiting   whether there is work the worker should be doing
     */
    public synchronized boolean observe(long progressCount, boolean workWaiting) {
        long now = nanoTime.getAsLong();
        if (progressCount != lastCount || !workWaiting) {
            lastCount = progressCount;
            lastProgressNanos = now;
            stalled = false;
            return false;
        }
        boolean nowStalled = now - lastProgressNanos > bound.toNanos();
        if (nowStalled && !stalled) {
            stalls++;
        }
        stalled = nowStalled;
        return stalled;
    }

    /** Whether the last sample found the worker stalled. */
    public synchronized boolean stalled() {
        return stalled;
    }

    /** How long waiting work has seen no progress, if the worker is stalled. */
    public synchronized Optional<Duration> stalledFor() {
        return stalled ? Optional.of(Duration.ofNanos(nanoTime.getAsLong() - lastProgressNanos)) : Optional.empty();
    }

    /** Time since the counter last moved or the worker was last idle. */
    public synchronized Duration sinceProgress() {
        return Duration.ofNanos(nanoTime.getAsLong() - lastProgressNanos);
    }

    /** How many times the worker has entered a stall since this watch was made. */
    public synchronized long stalls() {
        return stalls;
    }

    public Duration bound() {
        return bound;
    }
}
