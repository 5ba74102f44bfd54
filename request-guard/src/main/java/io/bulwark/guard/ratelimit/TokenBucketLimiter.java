package io.bulwark.guard.ratelimit;

import io.bulwark.guard.redis.RedisScript;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Token buckets in Redis: one {@code EVALSHA} per decision, whatever the number of limits (tiers:
 * "10 per second and 1,000 per hour" are checked and consumed together — all or none). Time is the
 * Redis server's ({@code TIME}), so client clocks do not matter; levels are exact integers (see
 * {@link Limit}); each bucket key expires when it would be full again, so idle keys cost nothing.
 */
public final class TokenBucketLimiter implements RateLimiter {

    /*
     * KEYS[i]: bucket of limit i.  ARGV[1]: cost.  ARGV[2+3(i-1)..]: capacity, refill tokens, period µs.
     * A bucket is a hash {u = level in token·µs units, t = last update µs}. Returns
     * {allowed, now, then per limit: remaining tokens, retry µs, reset µs}.
     */
    private static final String SOURCE = """
            local time = redis.call('TIME')
            local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
            local cost = tonumber(ARGV[1])
            local n = #KEYS
            local levels, reply = {}, {0, now}
            local allowed = 1
            for i = 1, n do
              local cap, rate, period = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
              local full = cap * period
              local s = redis.call('HMGET', KEYS[i], 'u', 't')
              local u, t = tonumber(s[1]), tonumber(s[2])
              if u == nil then u, t = full, now end
              if now > t then u = math.min(full, u + (now - t) * rate); t = now end
              levels[i] = u
              if u < cost * period then allowed = 0 end
            end
            reply[1] = allowed
            for i = 1, n do
              local cap, rate, period = tonumber(ARGV[3*i-1]), tonumber(ARGV[3*i]), tonumber(ARGV[3*i+1])
              local full, need = cap * period, cost * period
              local u = levels[i]
              local retry = 0
              if allowed == 1 then u = u - need elseif u < need then retry = math.ceil((need - u) / rate) end
              local reset = math.ceil((full - u) / rate)
              redis.call('HSET', KEYS[i], 'u', string.format('%.0f', u), 't', string.format('%.0f', now))
              redis.call('PEXPIRE', KEYS[i], math.max(1, math.ceil(reset / 1000)))
              reply[#reply + 1] = math.floor(u / period)
              reply[#reply + 1] = retry
              reply[#reply + 1] = reset
            end
            return reply""";
    private static final RedisScript<List<Object>> SCRIPT = RedisScript.ofMulti("token-bucket", SOURCE);

    private final RedisScriptingAsyncCommands<String, String> redis;
    private final String keyPrefix;
    private final Duration timeout;

    public TokenBucketLimiter(StatefulRedisConnection<String, String> connection, String keyPrefix, Duration timeout) {
        this.redis = connection.async();
        this.keyPrefix = Objects.requireNonNull(keyPrefix, "keyPrefix");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    /** The Lua source of the decision script (for measuring it with redis-benchmark). */
    public static String scriptSource() {
        return SOURCE;
    }

    /**
     * Decides for {@code key} under {@code tier}. The buckets are keyed by tier too, so a client that
     * moves from free to pro starts with full pro buckets.
     */
    public RateLimitDecision decide(String key, Tier tier, int cost) {
        return decide(tier.name() + ":" + key, tier.limits(), cost);
    }

    /** Takes {@code cost} tokens from every limit for {@code key}, or from none. */
    @Override
    public RateLimitDecision decide(String key, List<Limit> limits, int cost) {
        if (limits.isEmpty()) {
            throw new IllegalArgumentException("At least one limit is needed");
        }
        if (cost < 1) {
            throw new IllegalArgumentException("Cost = " + cost + " must be at least 1");
        }
        String[] keys = new String[limits.size()];
        String[] args = new String[1 + 3 * limits.size()];
        args[0] = Integer.toString(cost);
        for (int i = 0; i < limits.size(); i++) {
            Limit limit = limits.get(i);
            if (cost > limit.capacity()) {
                throw new IllegalArgumentException("Cost = " + cost + " exceeds the capacity of limit '" + limit.name()
                        + "' (" + limit.capacity() + "): such a request could never pass");
            }
            keys[i] = keyPrefix + "tb:{" + key + "}:" + limit.name();
            args[1 + 3 * i] = Long.toString(limit.capacity());
            args[2 + 3 * i] = Long.toString(limit.refillTokens());
            args[3 + 3 * i] = Long.toString(limit.periodMicros());
        }
        List<Object> reply = SCRIPT.run(redis, timeout, keys, args);
        boolean allowed = ((Long) reply.get(0)) == 1L;
        long now = (Long) reply.get(1);
        int binding = 0;
        for (int i = 1; i < limits.size(); i++) {
            boolean worse = allowed
                    ? (Long) reply.get(2 + 3 * i) < (Long) reply.get(2 + 3 * binding)
                    : (Long) reply.get(3 + 3 * i) > (Long) reply.get(3 + 3 * binding);
            if (worse) {
                binding = i;
            }
        }
        return new RateLimitDecision(
                allowed,
                limits.get(binding),
                (Long) reply.get(2 + 3 * binding),
                Duration.ofNanos((Long) reply.get(3 + 3 * binding) * 1_000),
                Duration.ofNanos((Long) reply.get(4 + 3 * binding) * 1_000),
                now,
                false);
    }
}
