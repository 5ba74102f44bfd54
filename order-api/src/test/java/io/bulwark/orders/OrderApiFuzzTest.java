package io.bulwark.orders;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.Infra;
import io.bulwark.schemas.Json;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Random requests against the real API (own PostgreSQL and Redis): random methods, paths, bodies
 * (garbage, JSON of random shape, valid orders with one field broken), credentials, content types and
 * idempotency keys. Never a 500; every error is problem+json with a code; a request that is not a
 * success writes no order and no outbox row.
 */
class OrderApiFuzzTest {

    private static PostgresService postgres;
    private static RedisService redis;
    private static OrderApiFixture api;

    @BeforeContainer
    static void start() throws Exception {
        postgres = Infra.selected().startPostgres(Files.createTempDirectory("fuzz-pg"));
        redis = Infra.selected().startRedis(Files.createTempDirectory("fuzz-redis"));
        api = new OrderApiFixture(
                postgres,
                redis,
                name -> {},
                Map.of(OrderApiConfig.REQUEST_MAX_BYTES, "2048", OrderApiConfig.CREDIT_DEFAULT_LIMIT_CENTS, "1000000"));
    }

    @AfterContainer
    static void stop() throws Exception {
        if (api != null) {
            api.close();
        }
        if (redis != null) {
            redis.close();
        }
        if (postgres != null) {
            postgres.close();
        }
    }

    record Request(String method, String path, List<String> headers, String body) {}

    @Property(tries = 300)
    void shouldNeverFailWithA500NorWriteForRejectedRequests(@ForAll("requests") Request request) throws Exception {
        long orders = api.count("orders");
        long events = api.count("bulwark_outbox");
        HttpRequest.Builder builder = HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + api.app.port() + request.path()))
                .timeout(Duration.ofSeconds(30))
                .method(
                        request.method(),
                        request.body() == null
                                ? HttpRequest.BodyPublishers.noBody()
                                : HttpRequest.BodyPublishers.ofString(request.body()));
        if (!request.headers().isEmpty()) {
            builder.headers(request.headers().toArray(String[]::new));
        }
        HttpResponse<String> response = OrderApiFixture.send(builder.build());
        int status = response.statusCode();
        assertThat(status)
                .as("%s -> %s", request, response.body())
                .isBetween(200, 599)
                .isNotEqualTo(500);
        if (status >= 400) {
            assertThat(response.headers().firstValue("Content-Type"))
                    .as("%s", request)
                    .hasValue("application/problem+json");
            JsonNode problem = Json.mapper().readTree(response.body());
            assertThat(problem.path("code").asText()).isNotBlank();
            assertThat(problem.path("status").asInt()).isEqualTo(status);
        }
        boolean placedOrCancelled = status >= 200
                && status < 300
                && request.method().equals("POST")
                && response.headers().firstValue("Idempotent-Replayed").isEmpty();
        if (!placedOrCancelled) {
            assertThat(api.count("orders", "status = 'PLACED'") <= orders).isTrue();
            assertThat(api.count("orders")).as("%s -> %d", request, status).isEqualTo(orders);
            assertThat(api.count("bulwark_outbox"))
                    .as("%s -> %d", request, status)
                    .isEqualTo(events);
        }
    }

    @Provide
    Arbitrary<Request> requests() {
        Arbitrary<String> method = Arbitraries.of("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH");
        Arbitrary<String> path = Arbitraries.oneOf(
                Arbitraries.of(
                        "/orders",
                        "/orders",
                        "/orders/",
                        "/orders/ord-1",
                        "/orders/ord-1/cancel",
                        "/",
                        "/orders/%20",
                        "/orders/a/b/c",
                        "/ORDERS",
                        "/orders/" + "x".repeat(100)),
                Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(12).map(s -> "/orders/" + s + "/cancel"));
        Arbitrary<List<String>> auth = Arbitraries.of(
                List.of(),
                List.of("Authorization", OrderApiFixture.SHOP),
                List.of("Authorization", OrderApiFixture.SHOP),
                List.of("X-API-Key", "shop-secret-1"),
                List.of("Authorization", "Bearer nope-nope-nope"),
                List.of("Authorization", "Basic c2hvcA=="));
        Arbitrary<List<String>> type = Arbitraries.of(
                List.of(),
                List.of("Content-Type", "application/json"),
                List.of("Content-Type", "application/json"),
                List.of("Content-Type", "text/plain"),
                List.of("Content-Type", "application/json; charset=utf-8"));
        Arbitrary<List<String>> key = Arbitraries.oneOf(
                Arbitraries.just(List.<String>of()),
                Arbitraries.strings()
                        .withCharRange('!', '~')
                        .ofMinLength(1)
                        .ofMaxLength(40)
                        .map(k -> List.of("Idempotency-Key", k)),
                Arbitraries.of(List.of("Idempotency-Key", "fixed-key-1"), List.of("Idempotency-Key", "x".repeat(300))));
        Arbitrary<String> body = Arbitraries.oneOf(
                Arbitraries.just(null),
                Arbitraries.strings().ofMaxLength(300),
                Arbitraries.strings().withCharRange(' ', '~').ofMaxLength(3000),
                validOrders(),
                brokenOrders(),
                Arbitraries.of("{}", "[]", "null", "1", "\"x\"", "{\"lines\":[]}", "{\"customerId\":{}}"));
        return Combinators.combine(method, path, auth, type, key, body).as((m, p, a, t, k, b) -> {
            List<String> headers = new ArrayList<>(a);
            headers.addAll(t);
            headers.addAll(k);
            return new Request(m, p, headers, m.equals("GET") || m.equals("DELETE") ? null : b);
        });
    }

    private Arbitrary<String> validOrders() {
        return Combinators.combine(
                        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10),
                        Arbitraries.integers().between(1, 5),
                        Arbitraries.longs().between(0, 10_000))
                .as((customer, quantity, price) -> "{\"customerId\":\"" + customer + "\",\"currency\":\"EUR\","
                        + "\"lines\":[{\"sku\":\"s-1\",\"quantity\":" + quantity + ",\"unitPriceCents\":" + price
                        + "}]}");
    }

    private Arbitrary<String> brokenOrders() {
        return Arbitraries.of(
                "{\"customerId\":\"c\",\"currency\":\"eur\",\"lines\":[{\"sku\":\"s\",\"quantity\":1,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":0,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":1.5,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":1,\"unitPriceCents\":-1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":1,\"unitPriceCents\":1e30}]}",
                "{\"customerId\":\"c c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":1,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"extra\":1,\"lines\":[{\"sku\":\"s\",\"quantity\":1,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":10000,\"unitPriceCents\":10000000000}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"s\",\"quantity\":99999999999999999999,\"unitPriceCents\":1}]}",
                "{\"customerId\":\"c\",\"currency\":\"EUR\",\"lines\":" + "[".repeat(600) + "]".repeat(600) + "}");
    }
}
