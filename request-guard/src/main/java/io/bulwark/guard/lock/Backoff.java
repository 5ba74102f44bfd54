package io.bulwark.guard.lock;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

/** Retries an acquisition with exponential backoff and full jitter until a deadline. */
final class Backoff {

    private Backoff() {}

    /**
     * Calls {@code attempt} until it returns a value or {@code config.waitTimeout()} has passed,
     * waiting a random time in {@code [0, min(backoffMax, backoffBase × 2^attempt)]} between tries.
     */
    static <T> T retry(RedisLockConfig config, String resource, Supplier<Optional<T>> attempt)
            throws LockNotAcquiredException, InterruptedException {
        long start = System.nanoTime();
        long deadline = start + config.waitTimeout().toNanos();
        for (int tries = 0; ; tries++) {
            Optional<T> result = attempt.get();
            if (result.isPresent()) {
                return result.get();
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                throw new LockNotAcquiredException(resource, Duration.ofNanos(System.nanoTime() - start));
            }
            long cap =
                    Math.min(config.backoffMax().toNanos(), config.backoffBase().toNanos() << Math.min(tries, 20));
            LockSupport.parkNanos(
                    Math.min(remaining, ThreadLocalRandom.current().nextLong(cap + 1)));
            if (Thread.interrupted()) {
                throw new InterruptedException("Interrupted while waiting for the lock on '" + resource + "'");
            }
        }
    }
}
