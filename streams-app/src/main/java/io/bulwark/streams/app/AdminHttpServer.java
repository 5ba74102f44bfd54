package io.bulwark.streams.app;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.http.ApiKeyRing;
import io.bulwark.http.HttpIo;
import io.bulwark.schemas.Json;
import io.bulwark.streams.query.QueryAuth;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams.State;

/**
 * The operations endpoints, on the JDK's built-in HTTP server (no framework for four GETs):
 *
 * <ul>
 *   <li>{@code GET /health/live} — 200 while the app is alive (not failed, and no stream thread stalled
 *       for longer than {@code progress.stall.live.timeout.ms}), else 503;</li>
 *   <li>{@code GET /health/ready} and {@code GET /health} — 200 when the streams client is RUNNING
 *       and every registered component ({@link StreamsApp#addHealthCheck}) is up, else 503;</li>
 *   <li>{@code GET /metrics} — Prometheus text format.</li>
 * </ul>
 *
 * <p>The server is bound first ({@link #bind}) so its port is known before the streams client is
 * created (the client advertises it as {@code application.server}), and started with its handlers
 * afterwards; the query API ({@code io.bulwark.streams.query}) mounts its own contexts.
 *
 * <p>Health bodies are JSON ({@code {"status":"UP","state":"RUNNING"}}); errors are RFC 9457
 * problem+json with a stable {@code code}.
 */
final class AdminHttpServer implements AutoCloseable {

    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final HttpServer server;
    private final ExecutorService executor;

    private AdminHttpServer(HttpServer server, ExecutorService executor) {
        this.server = server;
        this.executor = executor;
    }

    /** Binds the port (so {@link #port()} is known) without serving yet. */
    static AdminHttpServer bind(String host, int port, int threads) {
        ExecutorService executor = Executors.newFixedThreadPool(threads, runnable -> {
            Thread thread = new Thread(runnable, "bulwark-http");
            thread.setDaemon(true);
            return thread;
        });
        try {
            return new AdminHttpServer(HttpIo.createServer(host, port, 128, executor), executor);
        } catch (IOException e) {
            executor.shutdownNow();
            throw new UncheckedIOException(
                    "Cannot bind the HTTP server to " + host + ":" + port + " (config " + AppConfig.HTTP_HOST + "/"
                            + AppConfig.HTTP_PORT + ")",
                    e);
        }
    }

    /** Serves health, metrics and {@code extra} (path prefix to handler). */
    void start(
            Supplier<State> state,
            BooleanSupplier progressLive,
            Supplier<Map<String, HealthStatus>> checks,
            PrometheusMeterRegistry registry,
            Map<String, HttpHandler> extra,
            QueryAuth auth) {
        server.createContext("/health/live", exchange -> {
            State now = state.get();
            health(exchange, now, Map.of(), Health.live(now) && progressLive.getAsBoolean());
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
            // With API keys on, metrics (topic names, key counts, client ids) need a key with scope * or metrics.
            var verdict = auth.check(ApiKeyRing.credentialHeaders(exchange), QueryAuth.METRICS_SCOPE);
            if (!verdict.allowed()) {
                QueryAuth.refuse(exchange, verdict);
                return;
            }
            if (HttpIo.allowGet(exchange)) {
                exchange.getResponseHeaders().set("Cache-Control", "no-store");
                HttpIo.send(exchange, 200, PROMETHEUS_TEXT, registry.scrape());
            }
        });
        extra.forEach(server::createContext);
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
        if (HttpIo.allowGet(exchange)) {
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
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            HttpIo.send(exchange, up ? 200 : 503, HttpIo.JSON, Json.mapper().writeValueAsBytes(body));
        }
    }

    private static void notFound(HttpExchange exchange) throws IOException {
        HttpIo.problem(
                exchange,
                404,
                "not-found",
                "Not Found",
                "No endpoint at " + exchange.getRequestURI().getPath()
                        + "; try /health, /metrics, /openapi.json or the /query/ paths it lists");
    }
}
