package io.bulwark.guard.ratelimit;

import io.bulwark.guard.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * Sliding-window limits in Redis, both timed by the Redis server and decided in one {@code EVALSHA}:
 *
 * <ul>
 *   <li>{@link Kind#LOG}: exact. A sorted set of admitted requests scored by time (members unique per
 *       request); each call trims entries older than the window, then admits while the count
 *       stays within the limit. Memory grows with the limit.</li>
 *   <li>{@link Kind#COUNTER}: approximate, constant memory. Two fixed windows; the previous window's
 *       count is weighted by how much of it still overlaps the sliding window. Integer arithmetic:
 *       {@code previous × (window − elapsed) + current × window ≤ (limit − cost) × window}.</li>
 * </ul>
 *
 * A {@link Limit} here reads as {@code capacity} requests per {@code period}. Each script touches only
 * the key it is given in {@code KEYS} (Redis Cluster safe), and every key expires after its window.
 * As a {@link RateLimiter} it decides one limit per call. The exact log is the place for strict quotas
 * such as "1,000 per hour" (memory: one sorted-set member per request in the window); the counter holds
 * two numbers per key, and admits at most twice the limit in any window.
 */
public final class SlidingWindowLimiter implements RateLimiter {

    /* KEYS[1] zset. ARGV: limit, window µs, cost, unique request id. Returns {allowed, now, remaining, retry µs}. */
    private static final RedisScript<List<Object>> LOG = RedisScript.ofMulti("sliding-log", """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
            local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now - window))
            local count = redis.call('ZCARD', KEYS[1])
            if count + cost <= limit then
              for i = 1, cost do
                redis.call('ZADD', KEYS[1], string.format('%.0f', now), ARGV[4] .. ':' .. i)
              end
              redis.call('PEXPIRE', KEYS[1], math.ceil(window / 1000))
              return {1, now, limit - count - cost, 0}
            end
            local oldest = redis.call('ZRANGE', KEYS[1], 0, count + cost - limit - 1, 'WITHSCORES')
            local freeAt = tonumber(oldest[#oldest]) + window
            return {0, now, math.max(0, limit - count), math.max(1, freeAt - now + 1)}""");

    /*
     * KEYS[1] one hash per key and limit: i = index of the current fixed window, c = its count, p = the
     * previous window's count (both windows in one key, so the script touches only what KEYS declares).
     * ARGV: limit, window µs, cost. Returns {allowed, now, remaining, retry µs}.
     */
    private static final RedisScript<List<Object>> COUNTER = RedisScript.ofMulti("sliding-counter", """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
            local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
            local index = math.floor(now / window)
            local elapsed = now - index * window
            local s = redis.call('HMGET', KEYS[1], 'i', 'c', 'p')
            local stored, current, previous = tonumber(s[1]), tonumber(s[2]) or 0, tonumber(s[3]) or 0
            if stored == nil or stored < index - 1 then
              current, previous = 0, 0
            elseif stored == index - 1 then
              current, previous = 0, current
            end
            local weighted = previous * (window - elapsed) + current * window
            if weighted + cost * window <= limit * window then
              redis.call('HSET', KEYS[1], 'i', string.format('%.0f', index), 'c', current + cost, 'p', previous)
              redis.call('PEXPIRE', KEYS[1], math.ceil(2 * window / 1000))
              return {1, now, math.floor((limit * window - weighted - cost * window) / window), 0}
            end
            local retry = window - elapsed
            if previous > 0 and current + cost <= limit then
              -- the previous window's weight falls as time passes: when does it make room?
              local needed = weighted + cost * window - limit * window
              retry = math.min(retry, math.ceil(needed / previous))
            end
            return {0, now, math.max(0, math.floor((limit * window - weighted) / window)), math.max(1, retry)}""");

    /** How the window is kept. */
    public enum Kind {
        /** Exact: a sorted set of the admitted requests in the window. */
        LOG,
        /** Approximate, constant memory: two fixed windows, the previous one weighted. */
        COUNTER
    }

    private final RedisScriptingAsyncCommands<String, String> redis;
    private final String keyPrefix;
    private final Duration timeout;
    private final Kind kind;

    public SlidingWindowLimiter(
            StatefulRedisConnection<String, String> connection, String keyPrefix, Duration timeout, Kind kind) {
        this.redis = connection.async();
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.kind = Objects.requireNonNull(kind, "kind");
    }

    /** Exact sliding window (log). */
    private RateLimitDecision log(String key, Limit limit, int cost) {
        check(limit, cost);
        List<Object> reply = LOG.run(
                redis,
                timeout,
                new String[] {keyPrefix + "swl:{" + key + "}:" + limit.name()},
                Long.toString(limit.capacity()),
                Long.toString(limit.periodMicros()),
                Integer.toString(cost),
                UUID.randomUUID().toString());
        return decision(limit, reply);
    }

    /** Approximate sliding window (two weighted fixed windows). */
    private RateLimitDecision counter(String key, Limit limit, int cost) {
        check(limit, cost);
        List<Object> reply = COUNTER.run(
                redis,
                timeout,
                new String[] {keyPrefix + "swc:{" + key + "}:" + limit.name()},
                Long.toString(limit.capacity()),
                Long.toString(limit.periodMicros()),
                Integer.toString(cost));
        return decision(limit, reply);
    }

    /** Decides the one limit given (a quota); two limits would be two separate calls. */
    @Override
    public RateLimitDecision decide(String key, List<Limit> limits, int cost) {
        if (limits.size() != 1) {
            throw new IllegalArgumentException("A sliding window decides one limit at a time, got " + limits.size());
        }
        return kind == Kind.LOG ? log(key, limits.get(0), cost) : counter(key, limits.get(0), cost);
    }

    private static void check(Limit limit, int cost) {
        if (cost < 1 || cost > limit.capacity()) {
            throw new IllegalArgumentException(
                    "Cost = " + cost + " must be between 1 and the limit " + limit.capacity());
        }
    }

    private static RateLimitDecision decision(Limit limit, List<Object> reply) {
        boolean allowed = (Long) reply.get(0) == 1L;
        Duration retry = Duration.ofNanos((Long) reply.get(3) * 1_000);
        return new RateLimitDecision(
                allowed,
                limit,
                (Long) reply.get(2),
                retry,
                allowed ? limit.period() : retry,
                (Long) reply.get(1),
                false);
    }
}
