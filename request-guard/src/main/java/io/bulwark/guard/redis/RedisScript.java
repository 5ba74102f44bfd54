package io.bulwark.guard.redis;

import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.async.RedisScriptingAsyncCommands;
import io.lettuce.core.api.sync.RedisScriptingCommands;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A Lua script run by its SHA-1 ({@code EVALSHA}), so each call sends the digest, not the source.
 *
 * <p>The digest is computed locally; when the server does not have the script (first use, a
 * restart, {@code SCRIPT FLUSH}, a fail-over to a replica that never saw it) the call loads it with
 * {@code SCRIPT LOAD} and retries once. Scripts must be deterministic and touch only the keys
 * they are given, as Redis Cluster and replication require.
 */
public final class RedisScript<T> {

    private final String name;
    private final String source;
    private final String sha;
    private final ScriptOutputType outputType;

    private RedisScript(String name, String source, ScriptOutputType outputType) {
        this.name = Objects.requireNonNull(name, "name");
        this.source = Objects.requireNonNull(source, "source");
        this.outputType = Objects.requireNonNull(outputType, "outputType");
        this.sha = sha1(source);
    }

    /** A script whose reply is an integer. */
    public static RedisScript<Long> ofInteger(String name, String source) {
        return new RedisScript<>(name, source, ScriptOutputType.INTEGER);
    }

    /** A script whose reply is one bulk string, or null (a Lua {@code false} or {@code nil}). */
    public static RedisScript<String> ofValue(String name, String source) {
        return new RedisScript<>(name, source, ScriptOutputType.VALUE);
    }

    /** A script whose reply is a list (of integers or bulk strings). */
    public static RedisScript<List<Object>> ofMulti(String name, String source) {
        return new RedisScript<>(name, source, ScriptOutputType.MULTI);
    }

    public String name() {
        return name;
    }

    /** The SHA-1 Redis knows the script by. */
    public String sha() {
        return sha;
    }

    /** Runs the script with {@code EVALSHA}, loading it first if the server lacks it. */
    public T run(RedisScriptingCommands<String, String> redis, String[] keys, String... args) {
        try {
            return redis.evalsha(sha, outputType, keys, args);
        } catch (RedisNoScriptException e) {
            String loaded = redis.scriptLoad(source);
            if (!loaded.equals(sha)) {
                throw new IllegalStateException(
                        "Redis returned SHA " + loaded + " for script '" + name + "', expected " + sha);
            }
            return redis.evalsha(sha, outputType, keys, args);
        }
    }

    /**
     * Runs the script asynchronously and waits at most {@code timeout} for the reply, loading the
     * script first if the server lacks it.
     *
     * @throws RedisCallFailedException when Redis does not answer in time or fails
     */
    public T run(RedisScriptingAsyncCommands<String, String> redis, Duration timeout, String[] keys, String... args) {
        try {
            return await(redis.<T>evalsha(sha, outputType, keys, args), timeout);
        } catch (RedisNoScriptException e) {
            await(redis.scriptLoad(source), timeout);
            return await(redis.<T>evalsha(sha, outputType, keys, args), timeout);
        }
    }

    /**
     * Runs the script without waiting: the future completes with the reply, or exceptionally (after loading
     * the script when the server lacked it). For callers that must not block a shared thread.
     */
    public CompletableFuture<T> runAsync(
            RedisScriptingAsyncCommands<String, String> redis, String[] keys, String... args) {
        return redis.<T>evalsha(sha, outputType, keys, args)
                .toCompletableFuture()
                .exceptionallyCompose(error -> {
                    Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                    if (cause instanceof RedisNoScriptException) {
                        return redis.scriptLoad(source)
                                .toCompletableFuture()
                                .thenCompose(loaded -> redis.<T>evalsha(sha, outputType, keys, args)
                                        .toCompletableFuture());
                    }
                    return CompletableFuture.failedFuture(cause);
                });
    }

    private <R> R await(RedisFuture<R> future, Duration timeout) {
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RedisNoScriptException noScript) {
                throw noScript;
            }
            throw new RedisCallFailedException(
                    "Script '" + name + "' failed: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new RedisCallFailedException("Script '" + name + "' got no reply within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RedisCallFailedException("Interrupted while running script '" + name + "'", e);
        }
    }

    private static String sha1(String source) {
        try {
            return HexFormat.of()
                    .formatHex(MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every Java runtime", e);
        }
    }
}
