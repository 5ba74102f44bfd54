package io.bulwark.orders.payment;

import java.time.Duration;
import java.util.Optional;

/**
 * A gateway call that did not produce an answer. {@link #retryable()} classifies it: 5xx, 429,
 * timeouts and connection failures are worth retrying (with the same idempotency key); any other
 * 4xx is not — the request itself is wrong and would fail again.
 */
public final class GatewayException extends RuntimeException {

    private final boolean retryable;
    private final Duration retryAfter;

    private GatewayException(String message, boolean retryable, Duration retryAfter, Throwable cause) {
        super(message, cause);
        this.retryable = retryable;
        this.retryAfter = retryAfter;
    }

    static GatewayException retryable(String message, Duration retryAfter, Throwable cause) {
        return new GatewayException(message, true, retryAfter, cause);
    }

    static GatewayException permanent(String message) {
        return new GatewayException(message, false, null, null);
    }

    public boolean retryable() {
        return retryable;
    }

    /** The server's {@code Retry-After}, when it sent one. */
    public Optional<Duration> retryAfter() {
        return Optional.ofNullable(retryAfter);
    }
}
