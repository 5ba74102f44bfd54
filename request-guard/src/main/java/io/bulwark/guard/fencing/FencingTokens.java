package io.bulwark.guard.fencing;

import java.sql.SQLException;

/**
 * Issues fencing tokens: per resource, each call returns a number greater than every number
 * returned before. {@link io.bulwark.guard.lock.RedisLocks} issues them from Redis by default
 * (atomically with the acquisition); {@link PostgresFencingTokens} keeps the sequence durable across
 * a Redis failover that loses data.
 */
@FunctionalInterface
public interface FencingTokens {

    long next(String resource) throws SQLException;
}
