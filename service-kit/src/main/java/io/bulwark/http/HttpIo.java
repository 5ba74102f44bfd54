package io.bulwark.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * Writing responses on the JDK HTTP server: bodies, HEAD handling and RFC 9457 problem+json with
 * a stable {@code code} (the type URI ends with it), shared by the admin and query endpoints.
 */
public final class HttpIo {

    public static final String JSON = "application/json";
    public static final String PROBLEM_JSON = "application/problem+json";
    public static final String PROBLEM_TYPE_BASE = "https://bulwark.io/problems/";

    private HttpIo() {}

    /**
     * A JDK HTTP server bound to {@code host:port} (0 picks a port), not yet started. The JDK server
     * writes headers and body in separate writes; with Nagle's algorithm on, the body then waits for
     * the client's delayed ACK (~40 ms a request; measured 720 req/s at most from 32 callers), so
     * {@code sun.net.httpserver.nodelay} is set unless the operator chose. It is read once, when the
     * server implementation loads, hence here, before the first server.
     */
    public static HttpServer createServer(String host, int port, int backlog, Executor executor) throws IOException {
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(new InetSocketAddress(host, port), backlog);
        server.setExecutor(executor);
        return server;
    }

    /** Sends {@code body} (omitted for HEAD) with the content type; other headers are the caller's. */
    public static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        boolean empty = exchange.getRequestMethod().equals("HEAD") || status == 304 || body.length == 0;
        exchange.sendResponseHeaders(status, empty ? -1 : body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            if (!empty) {
                out.write(body);
            }
        }
    }

    public static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    /** The request's path and query as sent (still percent-encoded), e.g. {@code /query/stock/a%2Fb?asOf=x}. */
    public static String rawPathAndQuery(HttpExchange exchange) {
        String query = exchange.getRequestURI().getRawQuery();
        return exchange.getRequestURI().getRawPath() + (query == null ? "" : "?" + query);
    }

    /** An RFC 9457 problem document, with {@code no-store}: errors are never cached. */
    public static void problem(HttpExchange exchange, int status, String code, String title, String detail)
            throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        send(
                exchange,
                status,
                PROBLEM_JSON,
                problemBody(
                        status, code, title, detail, exchange.getRequestURI().getPath()));
    }

    public static byte[] problemBody(int status, String code, String title, String detail, String instance) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", PROBLEM_TYPE_BASE + code);
        body.put("title", title);
        body.put("status", status);
        body.put("code", code);
        body.put("detail", detail);
        body.put("instance", instance);
        try {
            return Json.mapper().writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot write a problem document", e);
        }
    }

    /** True for GET and HEAD; otherwise answers 405 with {@code Allow} and returns false. */
    public static boolean allowGet(HttpExchange exchange) throws IOException {
        String method = exchange.getRequestMethod();
        if (method.equals("GET") || method.equals("HEAD")) {
            return true;
        }
        exchange.getResponseHeaders().set("Allow", "GET, HEAD");
        problem(exchange, 405, "method-not-allowed", "Method Not Allowed", method + " is not supported here; use GET");
        return false;
    }
}
