package io.bulwark.streams.query;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code Cache-Control} per endpoint, for the caches in front of the API (CDN, edge, browser):
 * {@code max-age} and {@code stale-while-revalidate} in seconds. Configured as
 * {@code name=maxAge/staleWhileRevalidate} entries; {@code default} applies to endpoints not
 * named; {@code <name>-as-of} applies to a versioned endpoint's reads with {@code ?asOf=} (past
 * states change rarely, so they can be cached for longer).
 */
public final class CachePolicies {

    public static final String DEFAULT = "default";

    record Policy(long maxAgeSeconds, long staleWhileRevalidateSeconds) {
        /** {@code Cache-Control}: {@code public} for shared answers, {@code private} for personal ones. */
        String header(boolean shared) {
            return (shared ? "public" : "private") + ", " + lifetimes();
        }

        /** {@code CDN-Cache-Control} (RFC 9213): the shared caches' lifetime, for shared answers only. */
        String lifetimes() {
            return "max-age=" + maxAgeSeconds + ", stale-while-revalidate=" + staleWhileRevalidateSeconds;
        }
    }

    private final Map<String, Policy> policies;

    private CachePolicies(Map<String, Policy> policies) {
        this.policies = Map.copyOf(policies);
    }

    /** Parses entries such as {@code default=1/5, stock-level-as-of=3600/86400}; errors name {@code configKey}. */
    public static CachePolicies parse(Iterable<String> entries, String configKey) {
        Map<String, Policy> policies = new TreeMap<>();
        policies.put(DEFAULT, new Policy(1, 5));
        for (String entry : entries) {
            String[] nameAndValue = entry.trim().split("=", 2);
            String[] values = nameAndValue.length == 2 ? nameAndValue[1].split("/", 2) : new String[0];
            try {
                if (values.length != 2) {
                    throw new NumberFormatException();
                }
                long maxAge = Long.parseLong(values[0].trim());
                long swr = Long.parseLong(values[1].trim());
                if (maxAge < 0 || swr < 0) {
                    throw new NumberFormatException();
                }
                policies.put(nameAndValue[0].trim(), new Policy(maxAge, swr));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(configKey + ": '" + entry
                        + "' must be <endpoint>=<max-age seconds>/<stale-while-revalidate seconds>");
            }
        }
        return new CachePolicies(policies);
    }

    Policy forRead(QueryEndpoint endpoint, boolean asOf) {
        Policy policy = asOf ? policies.get(endpoint.name() + "-as-of") : null;
        if (policy == null) {
            policy = policies.get(endpoint.name());
        }
        return policy != null ? policy : policies.get(DEFAULT);
    }

    Set<String> names() {
        return policies.keySet();
    }
}
