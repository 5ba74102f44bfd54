package io.bulwark.guard.ratelimit;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

    /**
     * Headers for several limits decided for one request (a bucket and a quota): {@code RateLimit-Policy}
     * and {@code RateLimit} list every policy; {@code Retry-After} is the longest wait of the refusing ones.
     */
    public static Map<String, String> of(List<RateLimitDecision> decisions) {
        if (decisions.size() == 1) {
            return of(decisions.get(0));
        }
        Map<String, String> headers = new LinkedHashMap<>();
        List<String> policies = new ArrayList<>();
        List<String> states = new ArrayList<>();
        long retry = 0;
        boolean refused = false;
        for (RateLimitDecision decision : decisions) {
            Map<String, String> one = of(decision);
            policies.add(one.get("RateLimit-Policy"));
            states.add(one.get("RateLimit"));
            if (!decision.allowed()) {
                refused = true;
                retry = Math.max(retry, Long.parseLong(one.get("Retry-After")));
            }
        }
        headers.put("RateLimit-Policy", String.join(", ", policies));
        headers.put("RateLimit", String.join(", ", states));
        if (refused) {
            headers.put("Retry-After", Long.toString(retry));
        }
        return headers;
    }

    public static Map<String, String> of(RateLimitDecision decision) {
        Limit limit = decision.limit();
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(
                "RateLimit-Policy",
                "\"" + limit.name() + "\";q=" + limit.capacity() + ";w="
                        + ceilSeconds(limit.period().toMillis()));
        headers.put(
                "RateLimit",
                "\"" + limit.name() + "\";r=" + decision.remaining() + ";t="
                        + ceilSeconds(decision.reset().toMillis()));
        if (!decision.allowed()) {
            headers.put(
                    "Retry-After",
                    Long.toString(Math.max(1, ceilSeconds(decision.retryAfter().toMillis()))));
        }
        return headers;
    }

    private static long ceilSeconds(long millis) {
        return (millis + 999) / 1000;
    }
}
