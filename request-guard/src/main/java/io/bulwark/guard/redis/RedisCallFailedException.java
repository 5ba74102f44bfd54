package io.bulwark.guard.redis;

/** Redis did not answer in time, or answered with an error. Whether to retry is the caller's policy. */
public final class RedisCallFailedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public RedisCallFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
