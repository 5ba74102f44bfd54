package io.bulwark.guard.lock;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of {@link RedisLocks}. Immutable; built with {@link #withTtl}, so a lock without a TTL
 * cannot be configured.
 *
 * <ul>
 *   <li>{@code ttl} — the lease: how long the lock outlives a holder that stopped renewing it.</li>
 *   <li>{@code waitTimeout} — how long {@link RedisLocks#acquire} keeps trying (default 5 s).</li>
 *   <li>{@code backoffBase}/{@code backoffMax} — retries wait a random time in
 *       {@code [0, min(max, base × 2^attempt)]} (exponential backoff, full jitter; 5 ms / 200 ms).</li>
 *   <li>{@code watchdog} — renew the lease every {@code ttl / 3} while it is held (default on).</li>
 *   <li>{@code commandTimeout} — how long one Redis call may take (default {@code ttl / 3}).</li>
 *   <li>{@code keyPrefix} — Redis key prefix (default {@code bulwark:}).</li>
 * </ul>
 */
public record RedisLockConfig(
        Duration ttl,
        Duration waitTimeout,
        Duration backoffBase,
        Duration backoffMax,
        boolean watchdog,
        Duration commandTimeout,
        String keyPrefix,
        Duration maxHold) {

    public RedisLockConfig {
        positive("ttl", ttl);
        Objects.requireNonNull(waitTimeout, "waitTimeout");
        if (waitTimeout.isNegative()) {
            throw new IllegalArgumentException("Lock waitTimeout = " + waitTimeout + " must not be negative");
        }
        positive("backoffBase", backoffBase);
        positive("backoffMax", backoffMax);
        positive("commandTimeout", commandTimeout);
        if (ttl.toMillis() < 30) {
            throw new IllegalArgumentException("Lock ttl = " + ttl + " must be at least 30 ms (Redis PX precision"
                    + " and the watchdog's renewal at ttl / 3)");
        }
        if (commandTimeout.compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("Lock commandTimeout = " + commandTimeout
                    + " must be shorter than ttl = " + ttl + ", or a renewal could arrive after the lease ended");
        }
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        positive("maxHold", maxHold);
        if (maxHold.compareTo(ttl) < 0) {
            throw new IllegalArgumentException("Lock maxHold = " + maxHold + " must be at least ttl = " + ttl);
        }
    }

    /** The only way in: every lock has a lease. */
    public static RedisLockConfig withTtl(Duration ttl) {
        positive("ttl", ttl);
        return new RedisLockConfig(
                ttl,
                Duration.ofSeconds(5),
                Duration.ofMillis(5),
                Duration.ofMillis(200),
                true,
                ttl.dividedBy(3),
                "bulwark:",
                ttl.multipliedBy(12));
    }

    /**
     * The longest the watchdog keeps a lease alive (default 12 × ttl): a holder stuck in a hung call
     * cannot keep a resource forever — past it, renewal stops, the holder is told through
     * {@code Lease.lost()}, and the lock ends at its TTL.
     */
    public RedisLockConfig maxHold(Duration maxHold) {
        return new RedisLockConfig(
                ttl, waitTimeout, backoffBase, backoffMax, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    public RedisLockConfig waitTimeout(Duration waitTimeout) {
        return new RedisLockConfig(
                ttl, waitTimeout, backoffBase, backoffMax, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    public RedisLockConfig backoff(Duration base, Duration max) {
        return new RedisLockConfig(ttl, waitTimeout, base, max, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    public RedisLockConfig watchdog(boolean watchdog) {
        return new RedisLockConfig(
                ttl, waitTimeout, backoffBase, backoffMax, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    public RedisLockConfig commandTimeout(Duration commandTimeout) {
        return new RedisLockConfig(
                ttl, waitTimeout, backoffBase, backoffMax, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    public RedisLockConfig keyPrefix(String keyPrefix) {
        return new RedisLockConfig(
                ttl, waitTimeout, backoffBase, backoffMax, watchdog, commandTimeout, keyPrefix, maxHold);
    }

    private static void positive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException("Lock " + name + " = " + value + " must be positive");
        }
    }
}
