package io.bulwark.streams.query;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import io.bulwark.http.ApiKeyRing;
import io.bulwark.http.EdgeSignature;
import io.bulwark.http.HttpIo;
import io.bulwark.schemas.Json;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The interactive-query HTTP API: {@code GET /query/...} for each {@link QueryRegistry} endpoint
 * and the OpenAPI document at {@code /openapi.json}.
 *
 * <p>Responses: 200 JSON with {@code ETag}, {@code Cache-Control} and the headers
 * {@code Bulwark-Served-By} (the instance that read the store), {@code Bulwark-Forwarded: true}
 * (read by another instance, one hop) and {@code Bulwark-Stale: true} (read from a standby copy);
 * 304 for a matching {@code If-None-Match}; RFC 9457 problem+json for errors: 400
 * {@code bad-parameter}, 401 {@code unauthenticated}/{@code invalid-credentials}, 403
 * {@code forbidden}, 404 {@code unknown-id}/{@code no-such-endpoint}, 405
 * {@code method-not-allowed}, 503 {@code store-unavailable} with {@code Retry-After}.
 */
public final class QueryApi {

    private static final Logger log = LoggerFactory.getLogger(QueryApi.class);

    /** How long a client should wait after a 503 before trying again. */
    static final int RETRY_AFTER_SECONDS = 1;

    /** Timeouts of the API: one forwarding hop, and the whole retry window of one read. */
    /**
     * @param hopSecret the secret every instance signs and checks hops with ({@link HopSignature})
     * @param edge the verifier of the edge worker's identity headers; null when they are not trusted
     */
    public record Settings(
            Duration forwardTimeout,
            Duration retryTimeout,
            QueryAuth auth,
            CachePolicies cache,
            byte[] hopSecret,
            EdgeSignature edge) {}

    /** The hop secret: {@code configured}, or derived from what every instance of the application shares. */
    public static byte[] hopSecret(String configured, String applicationId, String authKeys) {
        return HopSignature.secret(configured, applicationId, authKeys);
    }

    private final QueryRegistry registry;
    private final QueryRouter router;
    private final Settings settings;
    private final MeterRegistry meters;
    private final byte[] openApi;
    private final HopSignature hops;

    public QueryApi(
            KafkaStreams streams, HostInfo self, QueryRegistry registry, Settings settings, MeterRegistry meters) {
        this.registry = registry;
        this.settings = settings;
        this.meters = meters;
        this.hops = new HopSignature(settings.hopSecret(), Clock.systemUTC());
        this.router = new QueryRouter(streams, self, settings.forwardTimeout(), settings.retryTimeout(), hops);
        Set<String> known = new TreeSet<>();
        registry.endpoints().forEach(e -> {
            known.add(e.name());
            known.add(e.name() + "-as-of");
        });
        known.add(CachePolicies.DEFAULT);
        for (String name : settings.cache().names()) {
            if (!known.contains(name)) {
                throw new IllegalArgumentException(
                        "Cache policy for unknown endpoint '" + name + "'; endpoints: " + known);
            }
        }
        for (String scope : settings.auth().scopes()) {
            if (!scope.equals(QueryAuth.METRICS_SCOPE)
                    && registry.endpoints().stream().noneMatch(e -> e.name().equals(scope))) {
                throw new IllegalArgumentException("API key scope names unknown endpoint '" + scope + "'");
            }
        }
        try {
            this.openApi = Json.mapper()
                    .writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(
                            OpenApiDocument.build(registry, settings.auth().enabled()));
        } catch (IOException e) {
            throw new IllegalStateException("Cannot write the OpenAPI document", e);
        }
    }

    /** Path prefixes and their handlers, for the HTTP server. */
    public Map<String, HttpHandler> handlers() {
        Map<String, HttpHandler> handlers = new LinkedHashMap<>();
        handlers.put("/query/", this::query);
        handlers.put("/openapi.json", this::openApi);
        return handlers;
    }

    private void openApi(HttpExchange exchange) throws IOException {
        try {
            if (!exchange.getRequestURI().getPath().equals("/openapi.json")) {
                HttpIo.problem(exchange, 404, "no-such-endpoint", "Not Found", "Did you mean /openapi.json?");
            } else if (HttpIo.allowGet(exchange)) {
                exchange.getResponseHeaders().set("Cache-Control", "public, max-age=300");
                HttpIo.send(exchange, 200, "application/vnd.oai.openapi+json", openApi);
            }
        } finally {
            exchange.close();
        }
    }

    private void query(HttpExchange exchange) throws IOException {
        long began = System.nanoTime();
        String endpointName = "none";
        QueryRouter.Route route = QueryRouter.Route.LOCAL;
        try {
            if (!HttpIo.allowGet(exchange)) {
                return;
            }
            Optional<QueryRegistry.Match> match =
                    registry.match(exchange.getRequestURI().getRawPath());
            if (match.isEmpty()) {
                HttpIo.problem(
                        exchange,
                        404,
                        "no-such-endpoint",
                        "Not Found",
                        "No query endpoint at " + exchange.getRequestURI().getPath()
                                + "; the endpoints are listed in /openapi.json");
                return;
            }
            QueryEndpoint endpoint = match.get().endpoint();
            endpointName = endpoint.name();
            Map<String, String> credentials = ApiKeyRing.credentialHeaders(exchange);
            String rawPathAndQuery = HttpIo.rawPathAndQuery(exchange);
            EdgeSignature.Verdict edge = settings.edge() == null
                    ? new EdgeSignature.Absent()
                    : settings.edge().verify(exchange);
            QueryAuth.Verdict verdict = settings.auth().check(credentials, edge, endpoint.name());
            if (edge instanceof EdgeSignature.Verified) {
                // A hop carries the edge's headers on: they are signed for this same path and query.
                EdgeSignature.HEADERS.forEach(name ->
                        credentials.put(name, exchange.getRequestHeaders().getFirst(name)));
            }
            if (!verdict.allowed()) {
                QueryAuth.refuse(exchange, verdict);
                return;
            }
            QueryParams params;
            try {
                params = QueryParams.parse(exchange.getRequestURI().getRawQuery(), endpoint.shape(), Instant.now());
            } catch (QueryParams.BadParameter e) {
                HttpIo.problem(exchange, 400, "bad-parameter", "Bad Request", e.getMessage());
                return;
            }
            String hop = exchange.getRequestHeaders().getFirst(Forwarder.HOP);
            Answer answer;
            if (hop != null) {
                String partitions = exchange.getRequestHeaders().getFirst(Forwarder.PARTITIONS);
                boolean stale =
                        Boolean.parseBoolean(exchange.getRequestHeaders().getFirst(Forwarder.ACCEPT_STALE));
                if (!hops.verify(
                        exchange.getRequestHeaders().getFirst(HopSignature.HEADER),
                        "GET",
                        rawPathAndQuery,
                        partitions == null ? "" : partitions,
                        stale)) {
                    HttpIo.problem(
                            exchange,
                            401,
                            "invalid-hop",
                            "Unauthorized",
                            Forwarder.HOP + " is only accepted from another instance of this application, signed");
                    return;
                }
                answer = forwardedHere(exchange, match.get(), params);
                if (answer == null) {
                    return;
                }
            } else {
                QueryRouter.Routed routed = endpoint.keyed()
                        ? router.key(endpoint, match.get().key(), params, rawPathAndQuery, credentials)
                        : router.all(endpoint, params, rawPathAndQuery, credentials);
                answer = routed.answer();
                route = routed.route();
            }
            respond(exchange, endpoint, match.get().key(), params, answer);
        } catch (RuntimeException e) {
            log.error("Query {} failed", exchange.getRequestURI(), e);
            HttpIo.problem(
                    exchange,
                    500,
                    "internal",
                    "Internal Server Error",
                    "The query failed; the log of " + router.selfName() + " has the cause");
        } finally {
            exchange.close();
            Timer.builder("bulwark.query.requests")
                    .description("Interactive-query HTTP requests")
                    .tag("endpoint", endpointName)
                    .tag("route", route.name().toLowerCase(Locale.ROOT))
                    .tag("status", String.valueOf(exchange.getResponseCode()))
                    .publishPercentiles(0.5, 0.99)
                    .register(meters)
                    .record(Duration.ofNanos(System.nanoTime() - began));
        }
    }

    /** Serves a hop from another instance; null when the answer (503 not-here, 400) was already sent. */
    private Answer forwardedHere(HttpExchange exchange, QueryRegistry.Match match, QueryParams params)
            throws IOException {
        String header = exchange.getRequestHeaders().getFirst(Forwarder.PARTITIONS);
        Set<Integer> partitions;
        try {
            partitions = QueryRouter.parsePartitions(header == null ? "" : header);
        } catch (NumberFormatException e) {
            HttpIo.problem(
                    exchange,
                    400,
                    "bad-parameter",
                    "Bad Request",
                    Forwarder.PARTITIONS + " must list partition numbers separated by commas");
            return null;
        }
        boolean acceptStale = Boolean.parseBoolean(exchange.getRequestHeaders().getFirst(Forwarder.ACCEPT_STALE));
        try {
            return router.forwarded(match.endpoint(), match.key(), params, partitions, acceptStale);
        } catch (LocalStores.NotHere e) {
            log.debug("Hop for {} not answerable here: {}", exchange.getRequestURI(), e.getMessage());
            HttpIo.problem(
                    exchange,
                    503,
                    "not-here",
                    "Service Unavailable",
                    "The requested partitions are not readable on this instance now");
            return null;
        }
    }

    private void respond(HttpExchange exchange, QueryEndpoint endpoint, String key, QueryParams params, Answer answer)
            throws IOException {
        var headers = exchange.getResponseHeaders();
        if (!answer.servedBy().isEmpty()) {
            headers.set(Forwarder.SERVED_BY, String.join(", ", answer.servedBy()));
        }
        if (answer.forwarded()) {
            headers.set(Forwarder.FORWARDED, "true");
        }
        if (answer.stale()) {
            headers.set(Forwarder.STALE, "true");
        }
        if (settings.auth().enabled() || endpoint.personal()) {
            headers.set("Vary", "Authorization, X-API-Key");
        }
        switch (answer.status()) {
            case 200 -> {
                String etag = "\"" + answer.etag() + "\"";
                headers.set("ETag", etag);
                CachePolicies.Policy policy = settings.cache().forRead(endpoint, params.asOf() != null);
                headers.set("Cache-Control", answer.stale() ? "no-cache" : policy.header(!endpoint.personal()));
                if (!answer.stale() && !endpoint.personal()) {
                    headers.set("CDN-Cache-Control", policy.lifetimes());
                }
                boolean notModified = matches(exchange.getRequestHeaders().getFirst("If-None-Match"), answer.etag());
                HttpIo.send(exchange, notModified ? 304 : 200, notModified ? null : HttpIo.JSON, answer.body());
            }
            case 404 ->
                HttpIo.problem(
                        exchange,
                        404,
                        "unknown-id",
                        "Not Found",
                        "No " + endpoint.name() + " with id '" + key + "'"
                                + (params.asOf() != null ? " as of " + params.asOf() : ""));
            default -> {
                headers.set("Retry-After", String.valueOf(RETRY_AFTER_SECONDS));
                // The cause (an internal state or exception text) goes to the log, not to the caller.
                log.info("Query {} unavailable: {}", exchange.getRequestURI().getPath(), answer.detail());
                HttpIo.problem(
                        exchange,
                        503,
                        "store-unavailable",
                        "Service Unavailable",
                        "No instance could answer within "
                                + settings.retryTimeout().toMillis() + " ms; retry after " + RETRY_AFTER_SECONDS
                                + " s");
            }
        }
    }

    /** RFC 9110 weak comparison: {@code *} or any listed entity tag equal to ours, W/ ignored. */
    static boolean matches(String ifNoneMatch, String etag) {
        if (ifNoneMatch == null || etag == null) {
            return false;
        }
        for (String candidate : ifNoneMatch.split(",")) {
            String tag = candidate.trim();
            if (tag.equals("*")) {
                return true;
            }
            if (tag.startsWith("W/")) {
                tag = tag.substring(2);
            }
            if (tag.equals("\"" + etag + "\"")) {
                return true;
            }
        }
        return false;
    }
}
