package io.bulwark.benchmarks;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * An open-loop load generator: request {@code i} is due at {@code start + i / rate}; a pool of
 * workers sends each when due and its latency is measured from when it was <i>due</i>, not from
 * when it was sent, so a slow server cannot hide its queueing (no coordinated omission).
 */
final class FixedRateLoad {

    /** One request; returns normally on success, throws on failure. */
    @FunctionalInterface
    interface Call {
        void run(long index) throws Exception;
    }

    /** Latencies in microseconds (sorted), failures, and the achieved rate. */
    record Result(long[] latenciesMicros, int failures, double achievedPerSecond) {
        double percentileMs(double p) {
            return FixedRateLoad.percentileMs(latenciesMicros, p);
        }
    }

    /** The {@code p}th percentile, in ms, of sorted latencies in µs (nearest rank); NaN when there are none. */
    static double percentileMs(long[] sortedMicros, double p) {
        if (sortedMicros.length == 0) {
            return Double.NaN;
        }
        int index = (int) Math.ceil(p / 100.0 * sortedMicros.length) - 1;
        return sortedMicros[Math.max(0, Math.min(index, sortedMicros.length - 1))] / 1000.0;
    }

    private FixedRateLoad() {}

    static Result run(int perSecond, Duration duration, int workers, Call call) throws InterruptedException {
        long total = (long) perSecond * duration.toSeconds();
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / perSecond;
        long[] latencies = new long[(int) total];
        AtomicLong next = new AtomicLong();
        AtomicInteger failures = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(workers);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        for (int w = 0; w < workers; w++) {
            pool.execute(() -> {
                long i;
                while ((i = next.getAndIncrement()) < total) {
                    long due = start + i * intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        call.run(i);
                    } catch (Exception e) {
                        failures.incrementAndGet();
                    }
                    latencies[(int) i] = (System.nanoTime() - due) / 1000;
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(duration.toSeconds() * 10 + 60, TimeUnit.SECONDS);
        double elapsed = (System.nanoTime() - start) / 1e9;
        Arrays.sort(latencies);
        return new Result(latencies, failures.get(), total / elapsed);
    }
}
