package io.bulwark.streams.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.schemas.Json;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams.State;

/**
 * The operations endpoints, on the JDK's built-in HTTP server (no framework for four GETs):
 *
 * <ul>
 *   <li>{@code GET /health/live} — 200 while the app is alive, else 503;</li>
 *   <li>{@code GET /health/ready} and {@code GET /health} — 200 when the streams client is RUNNING
 *       and every registered component ({@link StreamsApp#addHealthCheck}) is up, else 503;</li>
 *   <li>{@code GET /metrics} — Prometheus text format.</li>
 * </ul>
 *
 * <p>Health bodies are JSON ({@code {"status":"UP","state":"RUNNING"}}); errors are RFC 9457
 * problem+json with a stable {@code code}.
 */
final class AdminHttpServer implements AutoCloseable {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    AdminHttpServer(String host, int port, Supplier<State> state, Supplier<Map<String, HealthStatus>> checks,
            PrometheusMeterRegistry registry) {
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot bind the HTTP server to " + host + ":" + port
                    + " (config " + AppConfig.HTTP_HOST + "/" + AppConfig.HTTP_PORT + ")", e);
        }
        executor = Executors.newFixedThreadPool(2, runnable -> {
            Thread thread = new Thread(runnable, "bulwark-http");
            thread.setDaemon(true);
            return thread;
        });
        server.setExecutor(executor);
        server.createContext("/health/live", exchange -> {
            State now = state.get();
            health(exchange, now, Map.of(), Health.live(now));
        });
        server.createContext("/health/ready", exchange -> ready(exchange, state.get(), checks.get()));
        server.createContext("/health", exchange -> {
            if (exchange.getRequestURI().getPath().equals("/health")) {
                ready(exchange, state.get(), checks.get());
            } else {
                notFound(exchange);
            }
        });
        server.createContext("/metrics", exchange -> {
            if (allowGet(exchange)) {
                send(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
            }
        });
        server.createContext("/", AdminHttpServer::notFound);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }

    /** Ready: the streams client is RUNNING and every registered component is up. */
    private static void ready(HttpExchange exchange, State state, Map<String, HealthStatus> checks) throws IOException {
        boolean up = Health.ready(state) && checks.values().stream().allMatch(HealthStatus::up);
        health(exchange, state, checks, up);
    }

    private static void health(HttpExchange exchange, State state, Map<String, HealthStatus> checks, boolean up)
            throws IOException {
        if (allowGet(exchange)) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", up ? "UP" : "DOWN");
            body.put("state", state.name());
            if (!checks.isEmpty()) {
                Map<String, Object> components = new LinkedHashMap<>();
                checks.forEach((name, check) -> {
                    Map<String, Object> component = new LinkedHashMap<>();
                    component.put("status", check.up() ? "UP" : "DOWN");
                    component.putAll(check.details());
                    components.put(name, component);
                });
                body.put("components", components);
            }
            send(exchange, up ? 200 : 503, "application/json", Json.mapper().writeValueAsString(body));
        }
    }

    private static boolean allowGet(HttpExchange exchange) throws IOException {
        if (exchange.getRequestMethod().equals("GET") || exchange.getRequestMethod().equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        problem(exchange, 405, "method-not-allowed", "Method Not Allowed",
                exchange.getRequestMethod() + " is not supported here; use GET");
        return false;
    }

    private static void notFound(HttpExchange exchange) throws IOException {
        problem(exchange, 404, "not-found", "Not Found",
                "No endpoint at " + exchange.getRequestURI().getPath()
                        + "; try /health, /health/live, /health/ready or /metrics");
    }

    private static void problem(HttpExchange exchange, int status, String code, String title, String detail)
            throws IOException {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "https://bulwark.io/problems/" + code);
        body.put("title", title);
        body.put("status", status);
        body.put("code", code);
        body.put("detail", detail);
        body.put("instance", exchange.getRequestURI().getPath());
        String json = Json.mapper().writeValueAsString(body);
        send(exchange, status, "application/problem+json", json);
    }

    private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", contentType);
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!head) {
                out.write(bytes);
            }
        }
    }
}
