package io.bulwark.guard.lock;

import io.bulwark.guard.redis.RedisScript;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Redlock: a lock across N independent Redis masters (no replication between them). Opt-in.
 *
 * <p>Acquire sends {@code SET key owner NX PX ttl} to every master at once and waits at most
 * {@code commandTimeout}; the lock is held when a quorum ({@code N/2 + 1}) said yes and time is left:
 * validity = ttl − elapsed − drift allowance ({@code 1% of ttl + 2 ms}). Otherwise it releases on
 * every master (owner-checked) and retries with backoff and jitter until {@code waitTimeout}.
 *
 * <p><b>Caveats — read before using.</b> Redlock's safety rests on bounded clock drift, bounded
 * pauses and bounded network delay: a process paused (GC, swap) past the validity, or a master that
 * restarts without persistence and forgets a key, can let two holders overlap. It gives no fencing
 * token of its own. When correctness matters, protect the resource with a fencing token from a
 * durable sequence ({@code PostgresFencingTokens} + {@code FenceGuard}) — at which point a single
 * Redis with {@link RedisLocks} is usually enough. Use Redlock for efficiency (avoiding duplicate
 * work when one Redis is down), not as the only guard of correctness.
 */
public final class Redlock {

    private static final RedisScript<Long> RELEASE = RedisScript.ofInteger("redlock-release", """
            if redis.call('GET', KEYS[1]) == ARGV[1] then
              return redis.call('DEL', KEYS[1])
            end
            return 0""");

    private final List<StatefulRedisConnection<String, String>> masters;
    private final RedisLockConfig config;
    private final int quorum;

    public Redlock(List<StatefulRedisConnection<String, String>> masters, RedisLockConfig config) {
        if (masters.size() < 3) {
            throw new IllegalArgumentException(
                    "Redlock needs at least 3 independent masters (5 recommended); got " + masters.size());
        }
        this.masters = List.copyOf(masters);
        this.config = Objects.requireNonNull(config, "config");
        this.quorum = masters.size() / 2 + 1;
    }

    /** A lock held on a quorum of masters until {@link #validUntilNanos()} (System.nanoTime()). */
    public final class RedlockLease implements AutoCloseable {
        private final String resource;
        private final String owner;
        private final long validUntilNanos;
        private boolean released;

        private RedlockLease(String resource, String owner, long validUntilNanos) {
            this.resource = resource;
            this.owner = owner;
            this.validUntilNanos = validUntilNanos;
        }

        public String resource() {
            return resource;
        }

        /** The end of the validity, in {@link System#nanoTime()} terms. Work past it is unprotected. */
        public long validUntilNanos() {
            return validUntilNanos;
        }

        public boolean isValid() {
            return !released && System.nanoTime() < validUntilNanos;
        }

        @Override
        public void close() {
            if (!released) {
                released = true;
                releaseAll(resource, owner);
            }
        }
    }

    /** One attempt on all masters. */
    public Optional<RedlockLease> tryAcquire(String resource) {
        String owner = UUID.randomUUID().toString();
        long start = System.nanoTime();
        List<RedisFuture<String>> replies = new ArrayList<>(masters.size());
        for (StatefulRedisConnection<String, String> master : masters) {
            replies.add(master.async()
                    .set(
                            key(resource),
                            owner,
                            SetArgs.Builder.nx().px(config.ttl().toMillis())));
        }
        long waitUntil = start + config.commandTimeout().toNanos();
        int granted = 0;
        for (RedisFuture<String> reply : replies) {
            try {
                if ("OK".equals(reply.get(Math.max(0, waitUntil - System.nanoTime()), TimeUnit.NANOSECONDS))) {
                    granted++;
                }
            } catch (Exception unreachable) {
                reply.cancel(true); // a down master counts as a "no"
            }
        }
        long elapsed = System.nanoTime() - start;
        long drift = config.ttl().toNanos() / 100 + TimeUnit.MILLISECONDS.toNanos(2);
        long validity = config.ttl().toNanos() - elapsed - drift;
        if (granted >= quorum && validity > 0) {
            return Optional.of(new RedlockLease(resource, owner, start + elapsed + validity));
        }
        releaseAll(resource, owner);
        return Optional.empty();
    }

    /** Retries with exponential backoff and full jitter until {@code waitTimeout}. */
    public RedlockLease acquire(String resource) throws LockNotAcquiredException, InterruptedException {
        return Backoff.retry(config, resource, () -> tryAcquire(resource));
    }

    private void releaseAll(String resource, String owner) {
        for (StatefulRedisConnection<String, String> master : masters) {
            try {
                RELEASE.run(master.async(), config.commandTimeout(), new String[] {key(resource)}, owner);
            } catch (RuntimeException unreachable) {
                // that master's key (if any) expires at its TTL
            }
        }
    }

    private String key(String resource) {
        return config.keyPrefix() + "redlock:{" + resource + "}";
    }
}
