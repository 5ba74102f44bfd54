package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The load generator's blocking HTTP: every answer's status, body and Retry-After, over one kept-alive connection. */
class HarnessHttpTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final Set<Integer> clientPorts = ConcurrentHashMap.newKeySet();
    private final AtomicInteger posts = new AtomicInteger();
    private final CountDownLatch release = new CountDownLatch(1);
    private HttpServer server;

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", exchange -> {
            clientPorts.add(exchange.getRemoteAddress().getPort());
            String path = exchange.getRequestURI().getPath();
            String answer;
            int status;
            if (path.equals("/slow")) {
                await(release);
                status = 200;
                answer = "late";
            } else if (exchange.getRequestMethod().equals("POST")) {
                posts.incrementAndGet();
                status = 429;
                answer = exchange.getRequestHeaders().getFirst("Idempotency-Key") + " "
                        + new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Retry-After", "1");
            } else if (path.equals("/query/orders/o-1")) {
                status = 200;
                answer = "{\"status\":\"CONFIRMED\"}";
            } else {
                status = 404;
                answer = "{\"code\":\"unknown-id\"}";
            }
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        release.countDown();
        server.stop(0);
    }

    @Test
    void shouldGiveTheStatusAndBodyOfAnAnswerAndOfAnError() throws IOException {
        HarnessHttp.Answer found = HarnessHttp.exchange(HarnessHttp.Request.get(uri("/query/orders/o-1"), TIMEOUT));
        HarnessHttp.Answer missing = HarnessHttp.exchange(HarnessHttp.Request.get(uri("/query/orders/o-2"), TIMEOUT));

        assertThat(found).isEqualTo(new HarnessHttp.Answer(200, "{\"status\":\"CONFIRMED\"}", Optional.empty()));
        assertThat(missing).isEqualTo(new HarnessHttp.Answer(404, "{\"code\":\"unknown-id\"}", Optional.empty()));
    }

    @Test
    void shouldSendTheBodyAndHeadersOnceAndGiveRetryAfter() throws IOException {
        HarnessHttp.Answer answer = HarnessHttp.exchange(post("{\"n\":1}"));

        assertThat(answer).isEqualTo(new HarnessHttp.Answer(429, "key-1 {\"n\":1}", Optional.of("1")));
        assertThat(posts).hasValue(1);
    }

    @Test
    void shouldAskAgainOverTheSameConnectionAfterAnswersAndErrors() throws IOException {
        for (int i = 0; i < 30; i++) {
            HarnessHttp.exchange(
                    switch (i % 3) {
                        case 0 -> HarnessHttp.Request.get(uri("/query/orders/o-1"), TIMEOUT);
                        case 1 -> HarnessHttp.Request.get(uri("/query/orders/o-2"), TIMEOUT);
                        default -> post("{}");
                    });
        }

        assertThat(clientPorts).hasSize(1);
    }

    @Test
    void shouldGiveUpOnAnAnswerThatDoesNotComeWithinTheTimeout() {
        HarnessHttp.Request slow = HarnessHttp.Request.get(uri("/slow"), Duration.ofMillis(200));

        assertThatThrownBy(() -> HarnessHttp.exchange(slow)).isInstanceOf(SocketTimeoutException.class);
    }

    private HarnessHttp.Request post(String body) {
        return new HarnessHttp.Request(
                "POST",
                uri("/orders"),
                Map.of("Idempotency-Key", "key-1", "Content-Type", "application/json"),
                body.getBytes(StandardCharsets.UTF_8),
                TIMEOUT);
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
