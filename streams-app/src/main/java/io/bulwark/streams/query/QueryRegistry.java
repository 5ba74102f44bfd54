package io.bulwark.streams.query;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * The query endpoints of an app: one call per store. Matches request paths to endpoints.
 *
 * <pre>{@code
 * registry.key("order-status", "/query/orders/{id}", ReadModels.ORDER_STATUS, OrderStatus.class,
 *         status -> status.lastEventMs() + "-" + status.history().size(), "An order's status and history");
 * }</pre>
 */
public final class QueryRegistry {

    private final List<QueryEndpoint> endpoints = new ArrayList<>();

    /** The value of a key in a key-value store. */
    public <V> QueryRegistry key(
            String name, String path, String store, Class<V> type, Function<V, String> version, String summary) {
        return add(new QueryEndpoint(name, path, store, QueryEndpoint.Shape.KEY, erase(type, version), summary, null));
    }

    /** The value of a key in a versioned store, now or as of {@code ?asOf=}. */
    public <V> QueryRegistry versioned(
            String name, String path, String store, Class<V> type, Function<V, String> version, String summary) {
        return add(new QueryEndpoint(
                name, path, store, QueryEndpoint.Shape.VERSIONED_KEY, erase(type, version), summary, null));
    }

    /** The windows of a key in a window store, by window start in {@code ?from=&to=}. */
    public QueryRegistry windows(String name, String path, String store, Duration windowSize, String summary) {
        return add(new QueryEndpoint(name, path, store, QueryEndpoint.Shape.WINDOWS, null, summary, windowSize));
    }

    /**
     * Windows that are not stored, each read as the merge of the smaller windows of {@code paneStore} it
     * covers ({@link WindowComposition}), by window start in {@code ?from=&to=}.
     */
    public QueryRegistry composedWindows(
            String name, String path, String paneStore, WindowComposition composition, String summary) {
        return add(new QueryEndpoint(
                name,
                path,
                paneStore,
                QueryEndpoint.Shape.WINDOWS,
                null,
                summary,
                composition.size(),
                composition,
                false));
    }

    /** Every entry of a key-value store, from every instance. */
    public QueryRegistry all(String name, String path, String store, String summary) {
        return add(new QueryEndpoint(name, path, store, QueryEndpoint.Shape.ALL, null, summary, null));
    }

    public QueryRegistry add(QueryEndpoint endpoint) {
        for (QueryEndpoint existing : endpoints) {
            if (existing.name().equals(endpoint.name()) || existing.segments().equals(endpoint.segments())) {
                throw new IllegalArgumentException("Endpoint " + endpoint.name() + " (" + endpoint.path()
                        + ") clashes with " + existing.name() + " (" + existing.path() + ")");
            }
        }
        endpoints.add(endpoint);
        return this;
    }

    /** Marks the named endpoints personal ({@link QueryEndpoint#personal()}). */
    public QueryRegistry personal(String... names) {
        for (String name : names) {
            int i = endpoints.stream().map(QueryEndpoint::name).toList().indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("No endpoint " + name + " to mark personal");
            }
            endpoints.set(i, endpoints.get(i).asPersonal());
        }
        return this;
    }

    public List<QueryEndpoint> endpoints() {
        return List.copyOf(endpoints);
    }

    /** A request path matched to an endpoint, with its decoded key (null for list endpoints). */
    record Match(QueryEndpoint endpoint, String key) {}

    Optional<Match> match(String rawPath) {
        String[] parts = rawPath.substring(1).split("/", -1);
        for (QueryEndpoint endpoint : endpoints) {
            List<String> template = endpoint.segments();
            if (template.size() != parts.length) {
                continue;
            }
            String key = null;
            boolean matches = true;
            for (int i = 0; i < parts.length && matches; i++) {
                if (template.get(i).equals("{id}")) {
                    key = URLDecoder.decode(parts[i].replace("+", "%2B"), StandardCharsets.UTF_8);
                    matches = !key.isEmpty();
                } else {
                    matches = template.get(i).equals(parts[i]);
                }
            }
            if (matches) {
                return Optional.of(new Match(endpoint, key));
            }
        }
        return Optional.empty();
    }

    @SuppressWarnings("unchecked")
    private static <V> Function<Object, String> erase(Class<V> type, Function<V, String> version) {
        if (version == null) {
            return null;
        }
        return value -> version.apply(type.cast(value));
    }
}
