package io.bulwark.guard.lock;

import io.bulwark.guard.fencing.FencingTokens;
import io.bulwark.guard.redis.RedisCallFailedException;
import io.bulwark.guard.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Locks on one Redis server, with leases, owner-checked release and renewal, a watchdog and
 * fencing tokens.
 *
 * <ul>
 *   <li>Acquire: one script — {@code SET lock token NX PX ttl} and, when it succeeds, {@code INCR}
 *       of the resource's fencing counter — so a holder always has a token and no token is issued
 *       without the lock. With durable tokens ({@code PostgresFencingTokens}), the token comes
 *       from the database and the lease is checked again afterwards, so tokens still follow the
 *       order in which holders held the lock.</li>
 *   <li>Release and renewal are scripts that act only while the key still holds this lease's
 *       owner token: a holder whose lease expired cannot delete or extend someone else's lock.</li>
 *   <li>Waiting retries with exponential backoff and full jitter until {@code waitTimeout}.</li>
 *   <li>An acquire whose reply timed out may still have set the key: the lock is released with the
 *       owner token it was sent with (on the same connection, so after the SET), then the call fails —
 *       no lock is left behind with an owner nobody knows.</li>
 *   <li>The watchdog renews each lease every {@code ttl / 3} without waiting for the reply (one slow
 *       Redis call cannot delay the other leases' renewals), against the lease's own deadline: a lease
 *       whose last confirmed renewal is older than its TTL, or whose renewal fails or finds another
 *       owner, is marked lost and {@link Lease#lost()} completes — the holder is told, not just a log.
 *       After {@code maxHold} the watchdog stops renewing and marks it lost too, so a holder stuck in a
 *       hung call cannot keep a resource forever.</li>
 * </ul>
 *
 * <p><b>What a Redis lock cannot do.</b> It is a lease: a holder that pauses longer than the TTL
 * (GC, swapping, a network partition) keeps running while another holder has the lock. Protect
 * writes with the fencing token ({@code FenceGuard}); and a Redis fail-over that loses the key (async
 * replication) can grant the lock twice — use durable tokens, and Redlock only with its caveats.
 */
public final class RedisLocks implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisLocks.class);

    /**
     * How long a Redis fencing counter outlives its resource's last lock. Every key Bulwark writes to Redis
     * expires; a counter that expired (or was lost with Redis) restarts low, and holders then fail closed
     * ({@code StaleFencingTokenException}, order-api's 503 {@code lock-lost}) — use durable tokens
     * ({@code PostgresFencingTokens}) where that matters.
     */
    public static final Duration FENCE_COUNTER_TTL = Duration.ofDays(30);

    private static final RedisScript<Long> ACQUIRE_WITH_TOKEN = RedisScript.ofInteger("lock-acquire-fenced", """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              local token = redis.call('INCR', KEYS[2])
              redis.call('PEXPIRE', KEYS[2], ARGV[3])
              return token
            end
            return -1""");
    private static final RedisScript<Long> ACQUIRE = RedisScript.ofInteger("lock-acquire", """
            if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
              return 1
            end
            return -1""");
    private static final RedisScript<Long> RELEASE = RedisScript.ofInteger("lock-release", """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0""");
    private static final RedisScript<Long> EXTEND = RedisScript.ofInteger("lock-extend", """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('PEXPIRE', KEYS[1], ARGV[2])
            end
            return 0""");

    private final RedisScriptingAsyncCommands<String, String> redis;
    private final RedisLockConfig config;
    private final FencingTokens durableTokens;
    private final ScheduledExecutorService watchdog;

    /** Locks whose fencing tokens come from Redis. */
    public RedisLocks(StatefulRedisConnection<String, String> connection, RedisLockConfig config) {
        this(connection, config, null);
    }

    /** Locks whose fencing tokens come from {@code durableTokens} (survives losing Redis data). */
    public RedisLocks(
            StatefulRedisConnection<String, String> connection, RedisLockConfig config, FencingTokens durableTokens) {
        this.redis = connection.async();
        this.config = Objects.requireNonNull(config, "config");
        this.durableTokens = durableTokens;
        this.watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "bulwark-lock-watchdog");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** One attempt, no waiting. */
    public Optional<Lease> tryAcquire(String resource) {
        Objects.requireNonNull(resource, "resource");
        String owner = UUID.randomUUID().toString();
        String[] keys = {lockKey(resource), fenceKey(resource)};
        String ttl = Long.toString(config.ttl().toMillis());
        long result;
        try {
            result = durableTokens == null
                    ? ACQUIRE_WITH_TOKEN.run(
                            redis,
                            config.commandTimeout(),
                            keys,
                            owner,
                            ttl,
                            Long.toString(FENCE_COUNTER_TTL.toMillis()))
                    : ACQUIRE.run(redis, config.commandTimeout(), keys, owner, ttl);
        } catch (RedisCallFailedException e) {
            // The SET may land after we gave up: undo it with the token we sent, without waiting for it.
            RELEASE.runAsync(redis, new String[] {lockKey(resource)}, owner);
            throw e;
        }
        if (result < 0) {
            return Optional.empty();
        }
        long token = result;
        if (durableTokens != null) {
            try {
                token = durableTokens.next(resource);
            } catch (SQLException | RuntimeException e) {
                release(resource, owner);
                throw new RedisCallFailedException("No fencing token for '" + resource + "': " + e.getMessage(), e);
            }
            // Tokens must follow the order of holders: keep the lease only if it is still ours.
            if (!renew(resource, owner)) {
                return Optional.empty();
            }
        }
        return Optional.of(new RedisLease(resource, owner, token));
    }

    /**
     * Acquires, retrying with exponential backoff and full jitter until {@code waitTimeout}.
     *
     * @throws LockNotAcquiredException when the lock stayed taken for the whole wait
     */
    public Lease acquire(String resource) throws LockNotAcquiredException, InterruptedException {
        return Backoff.retry(config, resource, () -> tryAcquire(resource));
    }

    private boolean renew(String resource, String owner) {
        return EXTEND.run(
                        redis,
                        config.commandTimeout(),
                        new String[] {lockKey(resource)},
                        owner,
                        Long.toString(config.ttl().toMillis()))
                == 1L;
    }

    private boolean release(String resource, String owner) {
        return RELEASE.run(redis, config.commandTimeout(), new String[] {lockKey(resource)}, owner) == 1L;
    }

    /** {@code <prefix>lock:{resource}}: the braces keep a resource's keys in one Redis Cluster slot. */
    String lockKey(String resource) {
        return config.keyPrefix() + "lock:{" + resource + "}";
    }

    String fenceKey(String resource) {
        return config.keyPrefix() + "fence:{" + resource + "}";
    }

    @Override
    public void close() {
        watchdog.shutdownNow();
    }

    private final class RedisLease implements Lease {
        private final String resource;
        private final String owner;
        private final long token;
        private final AtomicBoolean held = new AtomicBoolean(true);
        private final CompletableFuture<String> lost = new CompletableFuture<>();
        private final ScheduledFuture<?> renewal;
        private final long acquiredNanos = System.nanoTime();
        /** Until when the key is known to be ours: the send time of the last confirmed renewal + ttl. */
        private volatile long validUntilNanos;

        RedisLease(String resource, String owner, long token) {
            this.resource = resource;
            this.owner = owner;
            this.token = token;
            this.validUntilNanos = acquiredNanos + config.ttl().toNanos();
            long period = Math.max(1, config.ttl().toMillis() / 3);
            this.renewal = config.watchdog()
                    ? watchdog.scheduleAtFixedRate(this::watch, period, period, TimeUnit.MILLISECONDS)
                    : null;
        }

        @Override
        public String resource() {
            return resource;
        }

        @Override
        public long fencingToken() {
            return token;
        }

        @Override
        public boolean isHeld() {
            return held.get();
        }

        @Override
        public boolean extend() {
            if (!held.get()) {
                return false;
            }
            long sent = System.nanoTime();
            if (renew(resource, owner)) {
                validUntilNanos = Math.max(validUntilNanos, sent + config.ttl().toNanos());
                return true;
            }
            markLost("the lock on '" + resource + "' belongs to another owner or expired");
            return false;
        }

        @Override
        public CompletableFuture<String> lost() {
            return lost;
        }

        /** One watchdog turn: check this lease's deadlines, then send a renewal and go (the reply is handled when it comes). */
        private void watch() {
            long now = System.nanoTime();
            if (now - validUntilNanos >= 0) {
                markLost("the lease of '" + resource + "' was not renewed within its ttl " + config.ttl()
                        + " (Redis slow or unreachable)");
                return;
            }
            if (now - acquiredNanos >= config.maxHold().toNanos()) {
                markLost("the lock on '" + resource + "' was held longer than maxHold " + config.maxHold());
                return;
            }
            try {
                EXTEND.runAsync(
                                redis,
                                new String[] {lockKey(resource)},
                                owner,
                                Long.toString(config.ttl().toMillis()))
                        .whenComplete((result, error) -> {
                            if (error != null) {
                                markLost("renewing the lease of '" + resource + "' failed: " + error.getMessage());
                            } else if (result == 1L) {
                                validUntilNanos = Math.max(
                                        validUntilNanos, now + config.ttl().toNanos());
                            } else {
                                markLost("the lock on '" + resource + "' belongs to another owner or expired");
                            }
                        });
            } catch (RuntimeException e) {
                markLost("renewing the lease of '" + resource + "' failed: " + e.getMessage());
            }
        }

        private void markLost(String reason) {
            if (held.compareAndSet(true, false)) {
                if (renewal != null) {
                    renewal.cancel(false);
                }
                log.warn("Lease lost: {}", reason);
                lost.complete(reason);
            }
        }

        @Override
        public void close() {
            if (held.compareAndSet(true, false)) {
                if (renewal != null) {
                    renewal.cancel(false);
                }
                try {
                    release(resource, owner);
                } catch (RedisCallFailedException e) {
                    // The lease ends by itself at its TTL; a failed release only delays the next holder.
                    log.warn("Releasing the lock on '{}' failed; it expires within {}", resource, config.ttl(), e);
                }
            }
        }
    }
}
