package io.bulwark.guard.ratelimit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Response headers for a decision, per the IETF draft "RateLimit header fields for HTTP",
 * <b>draft-ietf-httpapi-ratelimit-headers-08</b> (structured fields, one policy named after the
 * binding limit):
 *
 * <pre>
 * RateLimit-Policy: "per-second";q=10;w=1
 * RateLimit: "per-second";r=0;t=1
 * Retry-After: 1            (refused requests only)
 * </pre>
 *
 * {@code q} is the quota (capacity), {@code w} the window in seconds (the refill period),
 * {@code r} the remaining tokens and {@code t} seconds until the limit is full again; seconds are
 * rounded up, as clients should wait at least that long.
 */
public final class RateLimitHeaders {

    public static final String DRAFT = "draft-ietf-httpapi-ratelimit-headers-08";

    private RateLimitHeaders() {}

    public static Map<String, String> of(RateLimitDecision decision) {
        Limit limit = decision.limit();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("RateLimit-Policy", "\"" + limit.name() + "\";q=" + limit.capacity() + ";w="
                + ceilSeconds(limit.period().toMillis()));
        headers.put("RateLimit", "\"" + limit.name() + "\";r=" + decision.remaining() + ";t="
                + ceilSeconds(decision.reset().toMillis()));
        if (!decision.allowed()) {
            headers.put("Retry-After", Long.toString(Math.max(1, ceilSeconds(decision.retryAfter().toMillis()))));
        }
        return headers;
    }

    private static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }
}
