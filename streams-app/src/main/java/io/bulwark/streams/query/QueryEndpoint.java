package io.bulwark.streams.query;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One registered query: a path, the state store behind it and what kind of read it does. Adding a
 * store to the API is one {@link QueryRegistry} call; routing, caching, auth and the OpenAPI
 * document follow from this description.
 *
 * @param name stable id: the metric tag, the {@code query.cache.control} and {@code query.auth.keys}
 *     scope name, and the OpenAPI operation id
 * @param path the URI template; {@code {id}} marks the key segment ({@link Shape#ALL} has none)
 * @param store the state store's name
 * @param shape the read
 * @param version the value's version for the ETag (e.g. an aggregate version), or null to hash the body
 * @param summary one line for the OpenAPI document
 * @param windowSize for {@link Shape#WINDOWS}, the size of a window (to report its end)
 * @param composition for {@link Shape#WINDOWS} windows that are not stored, how they are read from the
 *     store's smaller windows; null when the store holds the windows themselves
 * @param personal whether an answer is about one person (a customer's orders, an order's saga with its
 *     payload): then it is {@code Cache-Control: private} — never stored by a shared cache — and varies by
 *     credential even when keys are off
 */
public record QueryEndpoint(
        String name,
        String path,
        String store,
        Shape shape,
        Function<Object, String> version,
        String summary,
        Duration windowSize,
        WindowComposition composition,
        boolean personal) {

    public QueryEndpoint(
            String name,
            String path,
            String store,
            Shape shape,
            Function<Object, String> version,
            String summary,
            Duration windowSize) {
        this(name, path, store, shape, version, summary, windowSize, null, false);
    }

    /** This endpoint, marked personal. */
    public QueryEndpoint asPersonal() {
        return new QueryEndpoint(name, path, store, shape, version, summary, windowSize, composition, true);
    }

    /** The kinds of read, each one IQv2 query. */
    public enum Shape {
        /** {@code KeyQuery}: the value of a key, 404 when absent. */
        KEY,
        /** {@code VersionedKeyQuery}: the value of a key now or {@code ?asOf=} a past time. */
        VERSIONED_KEY,
        /** {@code WindowKeyQuery}: the windows of a key starting in {@code ?from=&to=}. */
        WINDOWS,
        /** {@code RangeQuery} without bounds, fanned out to every instance and merged by key. */
        ALL
    }

    public QueryEndpoint {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(shape, "shape");
        if (!name.matches("[a-z0-9][a-z0-9-]*")) {
            throw new IllegalArgumentException("Endpoint names are lower-case words joined by '-': " + name);
        }
        if (!path.startsWith("/query/")) {
            throw new IllegalArgumentException("Query paths start with /query/: " + path);
        }
        boolean keyed = path.endsWith("{id}") || path.contains("{id}/");
        if (keyed == (shape == Shape.ALL)) {
            throw new IllegalArgumentException(
                    shape == Shape.ALL
                            ? "A list endpoint has no {id} segment: " + path
                            : "A keyed endpoint needs one {id} segment: " + path);
        }
        if (shape == Shape.WINDOWS && (windowSize == null || windowSize.isNegative() || windowSize.isZero())) {
            throw new IllegalArgumentException("A window endpoint needs its window size: " + name);
        }
        if (composition != null
                && (shape != Shape.WINDOWS || !composition.size().equals(windowSize))) {
            throw new IllegalArgumentException(
                    "Only a window endpoint is composed, of windows of its own size: " + name);
        }
    }

    List<String> segments() {
        return List.of(path.substring(1).split("/"));
    }

    boolean keyed() {
        return shape != Shape.ALL;
    }
}
