package io.bulwark.orders;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.guard.idempotency.IdempotencyClaim;
import io.bulwark.guard.idempotency.IdempotencyScope;
import io.bulwark.guard.idempotency.IdempotencyStore;
import io.bulwark.guard.idempotency.IdempotencyStore.Outcome;
import io.bulwark.guard.idempotency.IdempotencyStore.StoredResponse;
import io.bulwark.guard.idempotency.RequestFingerprint;
import io.bulwark.guard.ratelimit.RateLimitDecision;
import io.bulwark.guard.ratelimit.RateLimitHeaders;
import io.bulwark.guard.ratelimit.ResilientRateLimiter;
import io.bulwark.http.ApiKeyRing;
import io.bulwark.http.HttpIo;
import io.bulwark.schemas.Json;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The order API on the JDK HTTP server:
 *
 * <ul>
 *   <li>{@code POST /orders} — place an order (201); needs {@code Idempotency-Key};</li>
 *   <li>{@code POST /orders/{id}/cancel} — ask to cancel an order (202; the saga decides); needs
 *       {@code Idempotency-Key};</li>
 *   <li>{@code GET /orders/{id}} — the order (200), its status following the saga's outcome;</li>
 *   <li>{@code PUT /customers/{id}} {@code {"creditLimitCents": n}} — provision this client's customer
 *       (201 created, 200 updated); {@code GET /customers/{id}} — its credit line.</li>
 * </ul>
 *
 * <p>Every request is authenticated (API key → client), rate-limited by the client's tier (429 with
 * {@code RateLimit-Policy}, {@code RateLimit} and {@code Retry-After}), and admitted by the semaphore
 * bulkhead of its tier (critical: place; standard: cancel; optional: reads) — a full bulkhead is 503
 * with {@code Retry-After}. POST bodies are JSON of at most {@code maxBodyBytes} (413, 415). Errors
 * are RFC 9457 problem+json with a stable {@code code}; a request refused before its transaction
 * writes nothing.
 */
public final class OrderApi implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OrderApi.class);
    private static final Pattern ORDER = Pattern.compile("/orders/([A-Za-z0-9._:-]{1,80})");
    private static final Pattern CANCEL = Pattern.compile("/orders/([A-Za-z0-9._:-]{1,80})/cancel");
    private static final Pattern CUSTOMER = Pattern.compile("/customers/([A-Za-z0-9._:-]{1,64})");

    /** The request-path tiers of the bulkheads. */
    public enum Tier {
        CRITICAL,
        STANDARD,
        OPTIONAL
    }

    /** The token scopes each route needs when a request comes through the edge (an API key holds them all). */
    public static final class Scopes {
        public static final String ORDERS_WRITE = "orders:write";
        public static final String ORDERS_READ = "orders:read";
        public static final String CUSTOMERS_WRITE = "customers:write";
        public static final String CUSTOMERS_READ = "customers:read";

        private Scopes() {}
    }

    private final DataSource dataSource;
    private final ApiClients clients;
    private final ResilientRateLimiter limiter;
    private final ResilientRateLimiter quotas;
    private final IdempotencyStore idempotency;
    private final OrderService orders;
    private final TierBulkheads bulkheads;
    private final OrderAdmission admission;
    private final int maxBodyBytes;
    private final MeterRegistry meters;
    private final HttpServer server;
    private final ExecutorService executor;

    public OrderApi(
            String host,
            int port,
            int threads,
            DataSource dataSource,
            ApiClients clients,
            ResilientRateLimiter limiter,
            ResilientRateLimiter quotas,
            IdempotencyStore idempotency,
            OrderService orders,
            TierBulkheads bulkheads,
            OrderAdmission admission,
            int maxBodyBytes,
            MeterRegistry meters,
            Supplier<Map<String, Boolean>> health) {
        this.dataSource = dataSource;
        this.clients = clients;
        this.limiter = limiter;
        this.quotas = quotas;
        this.idempotency = idempotency;
        this.orders = orders;
        this.bulkheads = bulkheads;
        this.admission = admission;
        this.maxBodyBytes = maxBodyBytes;
        this.meters = meters;
        this.executor = Executors.newFixedThreadPool(threads, r -> {
            Thread thread = new Thread(r, "order-api-http");
            thread.setDaemon(true);
            return thread;
        });
        try {
            this.server = HttpIo.createServer(host, port, 256, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("Cannot bind order-api to " + host + ":" + port, e);
        }
        server.createContext("/orders", this::handle);
        server.createContext("/customers", this::handle);
        server.createContext("/health", exchange -> {
            try (exchange) {
                Map<String, Boolean> components = health.get();
                boolean up = components.values().stream().allMatch(Boolean::booleanValue);
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("status", up ? "UP" : "DOWN");
                body.put("components", components);
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                HttpIo.send(exchange, up ? 200 : 503, HttpIo.JSON, Json.mapper().writeValueAsBytes(body));
            }
        });
        if (meters instanceof PrometheusMeterRegistry prometheus) {
            server.createContext("/metrics", exchange -> {
                try (exchange) {
                    // Metrics name clients and routes: only an internal-tier client (a scraper) may read them.
                    Optional<ApiClients.Client> client = clients.authenticate(ApiKeyRing.credentialHeaders(exchange));
                    if (client.isEmpty()) {
                        problem(
                                exchange,
                                new ApiProblem(
                                        401,
                                        "unauthenticated",
                                        "Send an internal-tier API key",
                                        Map.of("WWW-Authenticate", "Bearer realm=\"bulwark-orders\"")));
                    } else if (!client.get().tier().name().equals("internal")) {
                        problem(exchange, new ApiProblem(403, "forbidden", "Metrics are for internal-tier clients"));
                    } else {
                        HttpIo.send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", prometheus.scrape());
                    }
                }
            });
        }
        server.createContext("/", exchange -> {
            try (exchange) {
                problem(
                        exchange,
                        new ApiProblem(
                                404,
                                "not-found",
                                "No endpoint at " + exchange.getRequestURI().getPath()
                                        + "; the API is POST /orders, POST /orders/{id}/cancel, GET /orders/{id}, PUT|GET /customers/{id},"
                                        + " GET /health, GET /metrics"));
            }
        });
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) {
        long began = System.nanoTime();
        String route = "unknown";
        try {
            String path = exchange.getRequestURI().getPath();
            String method = exchange.getRequestMethod();
            Matcher cancel = CANCEL.matcher(path);
            Matcher order = ORDER.matcher(path);
            Matcher customer = CUSTOMER.matcher(path);
            if (path.equals("/orders")) {
                route = "place";
                requireMethod(exchange, "POST");
                serveKeyed(exchange, Tier.CRITICAL, (client, lookup) -> place(exchange, client, lookup));
            } else if (cancel.matches()) {
                route = "cancel";
                requireMethod(exchange, "POST");
                String id = cancel.group(1);
                serveKeyed(exchange, Tier.STANDARD, (client, lookup) -> cancel(exchange, client, lookup, id));
            } else if (order.matches()) {
                route = "get";
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                    throw new ApiProblem(405, "method-not-allowed", method + " is not supported here; use GET");
                }
                String id = order.group(1);
                serve(exchange, Tier.OPTIONAL, Scopes.ORDERS_READ, client -> get(exchange, client, id));
            } else if (customer.matches()) {
                String id = customer.group(1);
                if (method.equals("PUT")) {
                    route = "provision-customer";
                    serve(exchange, Tier.STANDARD, Scopes.CUSTOMERS_WRITE, client -> provision(exchange, client, id));
                } else if (method.equals("GET") || method.equals("HEAD")) {
                    route = "get-customer";
                    serve(exchange, Tier.OPTIONAL, Scopes.CUSTOMERS_READ, client -> customer(exchange, client, id));
                } else {
                    exchange.getResponseHeaders().set("Allow", "GET, HEAD, PUT");
                    throw new ApiProblem(405, "method-not-allowed", method + " is not supported here; use GET or PUT");
                }
            } else {
                throw new ApiProblem(404, "not-found", "No endpoint at " + path);
            }
        } catch (ApiProblem p) {
            problem(exchange, p);
        } catch (Exception | Error e) {
            log.error("Request {} {} failed", exchange.getRequestMethod(), exchange.getRequestURI(), e);
            problem(exchange, new ApiProblem(500, "internal", "The request failed; the server log has the cause"));
        } finally {
            exchange.close();
            Timer.builder("bulwark.orders.requests")
                    .tag("route", route)
                    .tag("status", String.valueOf(exchange.getResponseCode()))
                    .publishPercentiles(0.5, 0.99)
                    .register(meters)
                    .record(Duration.ofNanos(System.nanoTime() - began));
        }
    }

    @FunctionalInterface
    private interface Handler {
        void handle(ApiClients.Client client) throws Exception;
    }

    @FunctionalInterface
    private interface KeyedHandler {
        void handle(ApiClients.Client client, IdempotencyStore.Lookup lookup) throws Exception;
    }

    /** Authentication, rate limit and bulkhead, in that order: the cheapest refusals first. */
    private void serve(HttpExchange exchange, Tier tier, String scope, Handler handler) throws Exception {
        ApiClients.Client client = clients.authenticate(exchange, scope);
        serve(exchange, tier, client, handler);
    }

    /**
     * A write under an {@code Idempotency-Key}: as {@link #serve}, with the key's look-up sent to Redis just
     * before the rate-limit script, on the same connection, so the request waits once for both replies. A
     * missing or malformed key is refused (400) before anything is sent.
     */
    private void serveKeyed(HttpExchange exchange, Tier tier, KeyedHandler handler) throws Exception {
        ApiClients.Client client = clients.authenticate(exchange, Scopes.ORDERS_WRITE);
        IdempotencyStore.Lookup lookup = idempotency.lookUp(scope(exchange, client));
        serve(exchange, tier, client, c -> handler.handle(c, lookup));
    }

    private void serve(HttpExchange exchange, Tier tier, ApiClients.Client client, Handler handler) throws Exception {
        // The tier's bucket first (bursts), then its strict quota (the exact sliding window): a request the
        // bucket refuses takes nothing from the quota.
        List<RateLimitDecision> decisions = new ArrayList<>();
        decisions.add(limiter.decide("orders:" + client.id(), client.tier().limits(), 1));
        if (decisions.get(0).allowed() && client.tier().quota() != null) {
            decisions.add(
                    quotas.decide("orders:" + client.id(), List.of(client.tier().quota()), 1));
        }
        Map<String, String> rateHeaders = RateLimitHeaders.of(decisions);
        for (RateLimitDecision decision : decisions) {
            if (!decision.allowed()) {
                throw new ApiProblem(
                        429,
                        "rate-limited",
                        "Client " + client.id() + " is over its "
                                + client.tier().name() + " "
                                + (decision.limit() == client.tier().quota() ? "quota" : "limit")
                                + " '" + decision.limit().name() + "'",
                        rateHeaders);
            }
        }
        rateHeaders.forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
        if (!bulkheads.tryEnter(tier)) {
            throw new ApiProblem(
                    503,
                    "overloaded",
                    "The " + tier.name().toLowerCase(Locale.ROOT) + " tier is at its concurrency limit; retry",
                    Map.of("Retry-After", "1"));
        }
        try {
            handler.handle(client);
        } finally {
            bulkheads.exit(tier);
        }
    }

    private void place(HttpExchange exchange, ApiClients.Client client, IdempotencyStore.Lookup lookup)
            throws Exception {
        byte[] body = body(exchange);
        PlaceOrder request = PlaceOrder.parse(body);
        idempotent(exchange, lookup, body, (tx, claim) -> {
            admit(tx, claim);
            return respond(orders.place(tx, client, request, claim));
        });
    }

    /**
     * Refuses a new order while the order path holds a backlog ({@link OrderAdmission}), before anything is
     * written. A refusal first sends the idempotency claim, so that the retry of an order already placed gets
     * its answer (the refused claim leads to the record) rather than 503.
     */
    private void admit(Connection tx, IdempotencyClaim claim) throws SQLException {
        if (!admission.admit()) {
            claim.send(tx);
            throw new ApiProblem(
                    503,
                    "overloaded",
                    String.format(
                            Locale.ROOT,
                            "Orders are taking over %d ms to complete; %.0f%% of new orders are admitted until"
                                    + " the backlog clears. Retry",
                            admission.targetMs(),
                            100 * admission.ratio()),
                    Map.of("Retry-After", "1"));
        }
    }

    private void cancel(HttpExchange exchange, ApiClients.Client client, IdempotencyStore.Lookup lookup, String orderId)
            throws Exception {
        byte[] body = body(exchange);
        idempotent(exchange, lookup, body, (tx, claim) -> {
            claim.send(tx); // cancel's first statement reads the order: the claim goes alone
            return respond(orders.cancel(tx, client, orderId));
        });
    }

    private void get(HttpExchange exchange, ApiClients.Client client, String orderId) throws Exception {
        Optional<ObjectNode> order;
        try {
            order = orders.get(dataSource, client, orderId);
        } catch (SQLException e) {
            throw unavailable(e);
        }
        if (order.isEmpty()) {
            throw new ApiProblem(404, "unknown-order", "No order " + orderId + " of this client");
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        HttpIo.send(exchange, 200, HttpIo.JSON, Json.mapper().writeValueAsBytes(order.get()));
    }

    /**
     * The HTTP form of a business result. Refusals to retry (busy customer, lost lock) are 503 problems with
     * {@code Retry-After}, thrown so the transaction rolls back; the rest are answers (only 2xx are stored).
     */
    private static StoredResponse respond(OrderResult result) throws IOException {
        if (result instanceof OrderResult.Placed placed) {
            return json(201, placed.order());
        } else if (result instanceof OrderResult.CancelRequested requested) {
            return json(202, requested.order());
        } else if (result instanceof OrderResult.CancelUnchanged unchanged) {
            return json("CANCELLED".equals(unchanged.order().path("status").asText()) ? 200 : 202, unchanged.order());
        } else if (result instanceof OrderResult.Provisioned provisioned) {
            return json(provisioned.created() ? 201 : 200, provisioned.credit());
        } else if (result instanceof OrderResult.UnknownCustomer unknown) {
            return problem(
                    422,
                    "unknown-customer",
                    "Customer " + unknown.customerId() + " has no credit line with"
                            + " this client; provision it with PUT /customers/" + unknown.customerId());
        } else if (result instanceof OrderResult.CreditExceeded exceeded) {
            return problem(
                    422,
                    "credit-limit-exceeded",
                    "Customer " + exceeded.customerId() + " has not enough credit left for " + exceeded.totalCents()
                            + " cents");
        } else if (result instanceof OrderResult.UnknownOrder unknown) {
            return problem(404, "unknown-order", "No order " + unknown.orderId() + " of this client");
        } else if (result instanceof OrderResult.NotCancellable ended) {
            return problem(
                    409,
                    "order-not-cancellable",
                    "Order " + ended.orderId() + " is " + ended.status()
                            + "; only orders the saga has not finished can be cancelled");
        } else if (result instanceof OrderResult.CustomerBusy busy) {
            throw new ApiProblem(
                    503,
                    "customer-busy",
                    "Customer " + busy.customerId() + " is busy (" + busy.why() + "); retry",
                    Map.of("Retry-After", "1"));
        } else if (result instanceof OrderResult.LockLost lost) {
            throw new ApiProblem(
                    503,
                    "lock-lost",
                    "The customer lock passed to a newer holder (fencing token " + lost.token() + " < " + lost.newer()
                            + "); retry",
                    Map.of("Retry-After", "1"));
        }
        throw new IllegalStateException("Unmapped order result " + result);
    }

    private static StoredResponse json(int status, JsonNode body) throws IOException {
        return new StoredResponse(status, HttpIo.JSON, Json.mapper().writeValueAsBytes(body));
    }

    private static StoredResponse problem(int status, String code, String detail) {
        return new StoredResponse(
                status, HttpIo.PROBLEM_JSON, HttpIo.problemBody(status, code, ApiProblem.title(status), detail, null));
    }

    /** PUT is idempotent by itself: the same body twice leaves the same credit line. */
    private void provision(HttpExchange exchange, ApiClients.Client client, String customerId) throws Exception {
        byte[] body = body(exchange);
        long limit;
        try {
            JsonNode json = Json.mapper().readTree(body);
            JsonNode field = json == null ? null : json.get("creditLimitCents");
            if (field == null
                    || !field.canConvertToExactIntegral()
                    || !field.canConvertToLong()
                    || field.asLong() < 0) {
                throw new ApiProblem(
                        400, "bad-request", "The body must be {\"creditLimitCents\": <whole number >= 0>}");
            }
            limit = field.asLong();
        } catch (IOException e) {
            throw new ApiProblem(400, "bad-request", "The body is not JSON");
        }
        StoredResponse response;
        try (Connection tx = dataSource.getConnection()) {
            tx.setAutoCommit(false);
            response = respond(orders.provision(tx, client, customerId, limit));
            tx.commit();
        } catch (SQLException e) {
            throw unavailable(e);
        }
        send(exchange, response);
    }

    private void customer(HttpExchange exchange, ApiClients.Client client, String customerId) throws Exception {
        Optional<ObjectNode> credit;
        try (Connection connection = dataSource.getConnection()) {
            credit = orders.customer(connection, client, customerId);
        } catch (SQLException e) {
            throw unavailable(e);
        }
        if (credit.isEmpty()) {
            throw new ApiProblem(
                    404,
                    "unknown-customer",
                    "Customer " + customerId + " has no credit line with client " + client.id());
        }
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        HttpIo.send(exchange, 200, HttpIo.JSON, Json.mapper().writeValueAsBytes(credit.get()));
    }

    private void idempotent(
            HttpExchange exchange, IdempotencyStore.Lookup lookup, byte[] body, IdempotencyStore.ClaimingWork work)
            throws Exception {
        Outcome outcome;
        try {
            outcome = idempotency.execute(lookup, RequestFingerprint.of(body), work);
        } catch (SQLException e) {
            throw unavailable(e);
        }
        switch (outcome.kind()) {
            case IN_FLIGHT ->
                throw new ApiProblem(
                        409,
                        "idempotency-key-in-use",
                        "A request with this Idempotency-Key" + " is being processed; retry after it completes",
                        Map.of("Retry-After", "1"));
            case MISMATCH ->
                throw new ApiProblem(
                        422, "idempotency-key-reused", "This Idempotency-Key was used with a different request body");
            case REPLAYED -> {
                exchange.getResponseHeaders().set("Idempotent-Replayed", "true");
                send(exchange, outcome.response());
            }
            default -> send(exchange, outcome.response());
        }
    }

    private static ApiProblem unavailable(SQLException e) {
        log.warn("Database call failed: {}", e.toString());
        return new ApiProblem(
                503, "database-unavailable", "The database is unavailable; retry", Map.of("Retry-After", "1"));
    }

    private static void send(HttpExchange exchange, StoredResponse response) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        HttpIo.send(exchange, response.status(), response.contentType(), response.body());
    }

    private static IdempotencyScope scope(HttpExchange exchange, ApiClients.Client client) {
        String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
        if (key == null) {
            throw new ApiProblem(
                    400,
                    "idempotency-key-missing",
                    "POST requests need an Idempotency-Key header"
                            + " (derive it from the operation, e.g. RequestFingerprint.deriveKey; reuse it on retries)");
        }
        if (!IdempotencyScope.isValidKey(key)) {
            throw new ApiProblem(
                    400,
                    "idempotency-key-invalid",
                    "An Idempotency-Key is 1 to " + IdempotencyScope.MAX_KEY_LENGTH + " printable ASCII characters");
        }
        return new IdempotencyScope(
                client.id(),
                exchange.getRequestMethod(),
                exchange.getRequestURI().getPath(),
                key);
    }

    private byte[] body(HttpExchange exchange) throws IOException {
        String type = exchange.getRequestHeaders().getFirst("Content-Type");
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > maxBodyBytes) {
                    throw tooLarge();
                }
            } catch (NumberFormatException e) {
                throw new ApiProblem(400, "bad-request", "Content-Length is not a number");
            }
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(maxBodyBytes + 1);
        }
        if (body.length > maxBodyBytes) {
            throw tooLarge();
        }
        if (body.length > 0 && (type == null || !type.toLowerCase(Locale.ROOT).startsWith("application/json"))) {
            throw new ApiProblem(415, "unsupported-media-type", "Send the body as application/json");
        }
        return body;
    }

    private ApiProblem tooLarge() {
        return new ApiProblem(413, "payload-too-large", "The body is larger than " + maxBodyBytes + " bytes");
    }

    private static void requireMethod(HttpExchange exchange, String method) {
        if (!exchange.getRequestMethod().equals(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            throw new ApiProblem(
                    405, "method-not-allowed", exchange.getRequestMethod() + " is not supported here; use " + method);
        }
    }

    private static void problem(HttpExchange exchange, ApiProblem problem) {
        try {
            problem.headers()
                    .forEach((name, value) -> exchange.getResponseHeaders().set(name, value));
            HttpIo.problem(
                    exchange,
                    problem.status(),
                    problem.code(),
                    ApiProblem.title(problem.status()),
                    problem.getMessage());
        } catch (IOException e) {
            log.debug("Could not send the problem answer: {}", e.toString());
        }
    }
}
