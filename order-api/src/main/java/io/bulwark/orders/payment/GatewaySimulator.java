package io.bulwark.orders.payment;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.http.HttpIo;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A payment gateway to test against, in the spirit of a card processor's HTTP API, with fault
 * injection. Not a fake of our own code: it is the external system, on a real socket.
 *
 * <ul>
 *   <li>{@code POST /v1/charges} {@code {"orderId","amountCents","currency"}} with an
 *       {@code Idempotency-Key} header (400 without): 201 {@code {"chargeId","status":"authorized"}}
 *       or 402 {@code {"status":"declined","reason"}} — the same key always gets the same answer and
 *       charges once;</li>
 *   <li>{@code POST /v1/voids} {@code {"orderId"}} with an {@code Idempotency-Key}: 200;</li>
 *   <li>{@code PUT /faults} {@link Faults} as JSON; {@code GET /stats}; {@code GET /ledger}: the orders whose
 *       authorization stands and those charged under more than one key.</li>
 * </ul>
 *
 * <p>Faults, drawn per request: added latency (for all, and more for a share: "slow"); 503; 429 with {@code Retry-After}; 400; a connection
 * reset (no response); a reset <i>after</i> the charge was made (the response is lost, the charge is
 * not). Declines: orders whose id hashes into {@code declinePercent}, or amounts ending in 13 cents.
 */
public final class GatewaySimulator implements AutoCloseable {

    /** Fault settings; rates are probabilities from 0 to 1. */
    public record Faults(
            long latencyMs,
            double errorRate,
            double throttleRate,
            int retryAfterSeconds,
            double badRequestRate,
            double resetRate,
            double resetAfterChargeRate,
            int declinePercent,
            double slowRate,
            long slowMs) {

        public static Faults none() {
            return new Faults(0, 0, 0, 1, 0, 0, 0, 0, 0, 0);
        }

        /** A share of requests ({@code rate}) answered {@code ms} later than the others. */
        public Faults withSlow(double rate, long ms) {
            return new Faults(
                    latencyMs,
                    errorRate,
                    throttleRate,
                    retryAfterSeconds,
                    badRequestRate,
                    resetRate,
                    resetAfterChargeRate,
                    declinePercent,
                    rate,
                    ms);
        }

        public Faults withLatency(long ms) {
            return new Faults(
                    ms,
                    errorRate,
                    throttleRate,
                    retryAfterSeconds,
                    badRequestRate,
                    resetRate,
                    resetAfterChargeRate,
                    declinePercent,
                    slowRate,
                    slowMs);
        }

        public Faults withErrorRate(double rate) {
            return new Faults(
                    latencyMs,
                    rate,
                    throttleRate,
                    retryAfterSeconds,
                    badRequestRate,
                    resetRate,
                    resetAfterChargeRate,
                    declinePercent,
                    slowRate,
                    slowMs);
        }

        public Faults withThrottle(double rate, int retryAfter) {
            return new Faults(
                    latencyMs,
                    errorRate,
                    rate,
                    retryAfter,
                    badRequestRate,
                    resetRate,
                    resetAfterChargeRate,
                    declinePercent,
                    slowRate,
                    slowMs);
        }

        public Faults withBadRequestRate(double rate) {
            return new Faults(
                    latencyMs,
                    errorRate,
                    throttleRate,
                    retryAfterSeconds,
                    rate,
                    resetRate,
                    resetAfterChargeRate,
                    declinePercent,
                    slowRate,
                    slowMs);
        }

        public Faults withResets(double before, double afterCharge) {
            return new Faults(
                    latencyMs,
                    errorRate,
                    throttleRate,
                    retryAfterSeconds,
                    badRequestRate,
                    before,
                    afterCharge,
                    declinePercent,
                    slowRate,
                    slowMs);
        }

        public Faults withDeclinePercent(int percent) {
            return new Faults(
                    latencyMs,
                    errorRate,
                    throttleRate,
                    retryAfterSeconds,
                    badRequestRate,
                    resetRate,
                    resetAfterChargeRate,
                    percent,
                    slowRate,
                    slowMs);
        }
    }

    private record Charge(int status, byte[] body) {}

    private final HttpServer server;
    private final ExecutorService executor;
    private final Map<String, Charge> charges = new ConcurrentHashMap<>();
    private final Map<String, Boolean> voids = new ConcurrentHashMap<>();
    private final Set<String> authorizedOrders = ConcurrentHashMap.newKeySet();
    /** Orders authorized under more than one idempotency key: money taken twice for one order. */
    private final Set<String> chargedTwice = ConcurrentHashMap.newKeySet();

    private final Set<String> voidedOrders = ConcurrentHashMap.newKeySet();
    /** Orders a charge or void of which was answered 429: each waited out a Retry-After. */
    private final Set<String> throttledOrders = ConcurrentHashMap.newKeySet();
    /**
     * Orders a charge of which was answered 429. Only these waited before their saga could decide: a void comes
     * after the order's outcome.
     */
    private final Set<String> throttledCharges = ConcurrentHashMap.newKeySet();

    private final AtomicLong attempts = new AtomicLong();
    private final AtomicLong authorized = new AtomicLong();
    private volatile Faults faults = Faults.none();

    public GatewaySimulator(String host, int port) {
        executor = Executors.newCachedThreadPool(r -> {
            Thread thread = new Thread(r, "gateway-sim");
            thread.setDaemon(true);
            return thread;
        });
        try {
            server = HttpIo.createServer(host, port, 256, executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException("Cannot bind the gateway simulator to " + host + ":" + port, e);
        }
        server.createContext("/v1/charges", this::charge);
        server.createContext("/v1/voids", this::voidCharge);
        server.createContext("/faults", this::faults);
        server.createContext("/stats", this::stats);
        server.createContext("/ledger", this::ledger);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port();
    }

    public void faults(Faults newFaults) {
        this.faults = newFaults;
    }

    /** Requests received on the payment endpoints (every attempt, faulted or not). */
    public long attempts() {
        return attempts.get();
    }

    /** Distinct authorized charges — the number of times money moved. */
    public long authorizedCharges() {
        return authorized.get();
    }

    public long voids() {
        return voids.size();
    }

    /** Orders with an authorized charge that no void followed: the money that stays taken. */
    public Set<String> openAuthorizations() {
        Set<String> open = new HashSet<>(authorizedOrders);
        open.removeAll(voidedOrders);
        return open;
    }

    /** Orders a request of which was answered 429 with a Retry-After. */
    public Set<String> throttledOrders() {
        return Set.copyOf(throttledOrders);
    }

    /** Orders a charge of which was answered 429 with a Retry-After: those waited before their outcome. */
    public Set<String> throttledCharges() {
        return Set.copyOf(throttledCharges);
    }

    /** Orders authorized under more than one idempotency key (each of those moved money). */
    public Set<String> chargedMoreThanOnce() {
        return Set.copyOf(chargedTwice);
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void charge(HttpExchange exchange) throws IOException {
        try (exchange) {
            attempts.incrementAndGet();
            Faults now = faults;
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            JsonNode body = readJson(exchange);
            if (injectFault(exchange, now, body, true)) {
                return;
            }
            if (key == null
                    || body == null
                    || !body.path("orderId").isTextual()
                    || !body.path("amountCents").canConvertToLong()) {
                HttpIo.send(exchange, 400, HttpIo.JSON, "{\"error\":\"invalid_request\"}");
                return;
            }
            Charge charge = charges.computeIfAbsent(key, k -> decide(body, now));
            if (ThreadLocalRandom.current().nextDouble() < now.resetAfterChargeRate()) {
                exchange.close(); // no response: the charge stands, the answer is lost
                return;
            }
            HttpIo.send(exchange, charge.status(), HttpIo.JSON, charge.body());
        }
    }

    private Charge decide(JsonNode body, Faults now) {
        String orderId = body.path("orderId").asText();
        long amount = body.path("amountCents").asLong();
        boolean decline = Math.floorMod(orderId.hashCode(), 100) < now.declinePercent() || amount % 100 == 13;
        ObjectNode answer = Json.mapper().createObjectNode();
        if (decline) {
            answer.put("status", "declined").put("reason", "insufficient_funds");
            return new Charge(402, answer.toString().getBytes(StandardCharsets.UTF_8));
        }
        authorized.incrementAndGet();
        if (!authorizedOrders.add(orderId)) {
            chargedTwice.add(orderId);
        }
        answer.put("chargeId", "ch_" + UUID.randomUUID())
                .put("status", "authorized")
                .put("orderId", orderId);
        return new Charge(201, answer.toString().getBytes(StandardCharsets.UTF_8));
    }

    private void voidCharge(HttpExchange exchange) throws IOException {
        try (exchange) {
            attempts.incrementAndGet();
            String key = exchange.getRequestHeaders().getFirst("Idempotency-Key");
            JsonNode body = readJson(exchange);
            if (injectFault(exchange, faults, body, false)) {
                return;
            }
            if (key == null || body == null || !body.path("orderId").isTextual()) {
                HttpIo.send(exchange, 400, HttpIo.JSON, "{\"error\":\"invalid_request\"}");
                return;
            }
            voids.putIfAbsent(key, Boolean.TRUE);
            voidedOrders.add(body.path("orderId").asText());
            HttpIo.send(exchange, 200, HttpIo.JSON, "{\"status\":\"voided\"}");
        }
    }

    /**
     * Applies latency and draws one fault; true when the request was answered (or dropped) by it. A 429 is noted
     * against the request's order ({@code body}'s {@code orderId}, when it has one), and against its charges when
     * the request is a {@code charge}.
     */
    private boolean injectFault(HttpExchange exchange, Faults now, JsonNode body, boolean charge) throws IOException {
        long latency = now.latencyMs()
                + (now.slowRate() > 0 && ThreadLocalRandom.current().nextDouble() < now.slowRate() ? now.slowMs() : 0);
        if (latency > 0) {
            try {
                Thread.sleep(latency);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        double draw = ThreadLocalRandom.current().nextDouble();
        if ((draw -= now.resetRate()) < 0) {
            exchange.close(); // closes the connection without a response
            return true;
        }
        if ((draw -= now.errorRate()) < 0) {
            HttpIo.send(exchange, 503, HttpIo.JSON, "{\"error\":\"unavailable\"}");
            return true;
        }
        if ((draw -= now.throttleRate()) < 0) {
            if (body != null && body.path("orderId").isTextual()) {
                throttledOrders.add(body.path("orderId").asText());
                if (charge) {
                    throttledCharges.add(body.path("orderId").asText());
                }
            }
            exchange.getResponseHeaders().set("Retry-After", String.valueOf(now.retryAfterSeconds()));
            HttpIo.send(exchange, 429, HttpIo.JSON, "{\"error\":\"rate_limited\"}");
            return true;
        }
        if ((draw - now.badRequestRate()) < 0) {
            HttpIo.send(exchange, 400, HttpIo.JSON, "{\"error\":\"invalid_request\"}");
            return true;
        }
        return false;
    }

    private void faults(HttpExchange exchange) throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("PUT")) {
                HttpIo.send(exchange, 200, HttpIo.JSON, Json.mapper().writeValueAsBytes(faults));
                return;
            }
            try {
                faults = Json.mapper().readValue(exchange.getRequestBody(), Faults.class);
                HttpIo.send(exchange, 200, HttpIo.JSON, Json.mapper().writeValueAsBytes(faults));
            } catch (IOException e) {
                HttpIo.send(exchange, 400, HttpIo.JSON, "{\"error\":\"invalid faults\"}");
            }
        }
    }

    private void stats(HttpExchange exchange) throws IOException {
        try (exchange) {
            ObjectNode stats = Json.mapper()
                    .createObjectNode()
                    .put("attempts", attempts.get())
                    .put("authorizedCharges", authorized.get())
                    .put("keys", charges.size())
                    .put("voids", voids.size())
                    .put("openAuthorizations", openAuthorizations().size());
            HttpIo.send(exchange, 200, HttpIo.JSON, stats.toString());
        }
    }

    /**
     * {@code {"open":[orderId...],"chargedMoreThanOnce":[orderId...],"throttled":[orderId...],
     * "throttledCharges":[orderId...]}}: what a run's checks compare against, the orders a request of which met a
     * 429, and those whose charge met one (a load run's latency figures say how many: a void's 429 comes after the
     * order's end).
     */
    private void ledger(HttpExchange exchange) throws IOException {
        try (exchange) {
            ObjectNode ledger = Json.mapper().createObjectNode();
            openAuthorizations().forEach(ledger.putArray("open")::add);
            chargedTwice.forEach(ledger.putArray("chargedMoreThanOnce")::add);
            throttledOrders.forEach(ledger.putArray("throttled")::add);
            throttledCharges.forEach(ledger.putArray("throttledCharges")::add);
            HttpIo.send(exchange, 200, HttpIo.JSON, ledger.toString());
        }
    }

    private static JsonNode readJson(HttpExchange exchange) {
        try {
            return Json.mapper().readTree(exchange.getRequestBody());
        } catch (IOException e) {
            return null;
        }
    }
}
