package io.bulwark.devstack;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The load runs' HTTP (the load generator's requests and look-ups, the gateway client's faults and ledger): one
 * exchange, blocking, on the calling thread, over a kept-alive connection
 * ({@link HttpURLConnection}).
 *
 * <p>The JDK's asynchronous {@code HttpClient} read each answer on its selector thread and handed it to a worker
 * (and, for a blocking {@code send}, on to the waiting caller): at 300 orders/s, some 650 exchanges a second (the
 * orders, about one look-up each, the cancels) woke two or three threads each, on a machine the run saturates (benchmarks/PROFILES.md, twenty-fourth round). Here the
 * thread that asks is the thread that reads, so callers that must not wait for each other run each exchange on a
 * thread of its own ({@link LoadGenerator}'s senders).
 *
 * <p>A body is sent with a fixed length (streaming), so the JDK never resends a POST by itself; every resend is the
 * load generator's own, with the same Idempotency-Key. Every answer's body is read to its end, also an error's, so
 * the connection goes back to the JDK's keep-alive cache.
 */
final class HarnessHttp {

    private HarnessHttp() {}

    /** A request: method, address, headers, body (empty for none) and the longest wait to connect and for each read. */
    record Request(String method, URI uri, Map<String, String> headers, byte[] body, Duration timeout) {
        static Request get(URI uri, Duration timeout) {
            return new Request("GET", uri, Map.of(), new byte[0], timeout);
        }
    }

    /** An answer: status, body and the Retry-After header if there was one. */
    record Answer(int statusCode, String body, Optional<String> retryAfter) {}

    static Answer exchange(Request request) throws IOException {
        HttpURLConnection connection = (HttpURLConnection) request.uri().toURL().openConnection();
        int timeoutMs = (int) Math.min(Integer.MAX_VALUE, request.timeout().toMillis());
        connection.setConnectTimeout(timeoutMs);
        connection.setReadTimeout(timeoutMs);
        connection.setRequestMethod(request.method());
        request.headers().forEach(connection::setRequestProperty);
        if (!request.method().equals("GET")) {
            connection.setDoOutput(true);
            connection.setFixedLengthStreamingMode(request.body().length);
            try (OutputStream body = connection.getOutputStream()) {
                body.write(request.body());
            }
        }
        int status = connection.getResponseCode();
        try (InputStream body = status >= 400 ? connection.getErrorStream() : connection.getInputStream()) {
            return new Answer(
                    status,
                    body == null ? "" : new String(body.readAllBytes(), StandardCharsets.UTF_8),
                    Optional.ofNullable(connection.getHeaderField("Retry-After")));
        }
    }
}
