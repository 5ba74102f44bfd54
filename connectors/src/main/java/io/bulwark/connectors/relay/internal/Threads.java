package io.bulwark.connectors.relay.internal;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/** The relays' daemon threads and their orderly shutdown. */
public final class Threads {

    private Threads() {}

    /** A scheduled pool of daemon threads named {@code name}. */
    public static ScheduledExecutorService daemonPool(String name, int threads) {
        return new ScheduledThreadPoolExecutor(threads, runnable -> {
            Thread thread = new Thread(runnable, name);
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Lets running work finish for up to {@code grace}, then interrupts it. */
    public static void shutdown(ExecutorService executor, Duration grace) {
        executor.shutdown();
        try {
            if (!executor.awaitTermination(grace.toMillis(), TimeUnit.MILLISECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
