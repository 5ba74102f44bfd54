package io.bulwark.orders;

import static io.bulwark.orders.OrderApiFixture.SHOP;
import static io.bulwark.orders.OrderApiFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.Headers;
import io.bulwark.http.EdgeSignature;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Json;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.common.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * order-api behind the edge worker: a request with the edge's signed identity is served as the
 * client its token names, within its scopes; a forged, moved or unsigned identity is refused.
 */
@ExtendWith(SharedInfraExtension.class)
class EdgeIdentityTest {

    private static final String SECRET = "order-api-test-edge-secret-0123456789";

    /** The edge's headers for a verified caller (and, on a POST, a fresh Idempotency-Key). */
    private static String[] edge(String secret, String method, String path, String client, String... scopes) {
        Headers signed = new Headers();
        new EdgeSignature(secret, Clock.systemUTC())
                .sign(signed, method, path, new EdgeSignature.Identity("customer-7", client, Set.of(scopes)));
        if (method.equals("POST")) {
            signed.set("Idempotency-Key", UUID.randomUUID().toString());
            signed.set("Content-Type", "application/json");
        }
        return signed.keySet().stream()
                .flatMap(name -> Stream.of(name, signed.getFirst(name)))
                .toArray(String[]::new);
    }

    private static String code(HttpResponse<String> response) throws Exception {
        return Json.mapper().readTree(response.body()).path("code").asText();
    }

    @Test
    void shouldPlaceAnOrderForTheClientTheEdgeVerifiedWithinItsScopes(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api =
                new OrderApiFixture(postgres, redis, name -> {}, Map.of(OrderApiConfig.EDGE_SECRET, SECRET))) {
            HttpResponse<String> placed =
                    api.post("/orders", order("c-edge-1", 1), edge(SECRET, "POST", "/orders", "shop", "orders:write"));
            assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
            String orderId =
                    Json.mapper().readTree(placed.body()).path("orderId").asText();
            assertThat(api.get("/orders/" + orderId, "Authorization", SHOP).statusCode())
                    .as("the order is the named client's")
                    .isEqualTo(200);
            assertThat(api.get("/orders/" + orderId, edge(SECRET, "GET", "/orders/" + orderId, "shop", "orders:read"))
                            .statusCode())
                    .isEqualTo(200);

            HttpResponse<String> readOnly =
                    api.post("/orders", order("c-edge-1", 1), edge(SECRET, "POST", "/orders", "shop", "orders:read"));
            assertThat(readOnly.statusCode()).isEqualTo(403);
            assertThat(code(readOnly)).isEqualTo("insufficient-scope");

            HttpResponse<String> stranger = api.post(
                    "/orders", order("c-edge-1", 1), edge(SECRET, "POST", "/orders", "nobody", "orders:write"));
            assertThat(stranger.statusCode()).isEqualTo(403);
            assertThat(code(stranger)).isEqualTo("unknown-client");

            HttpResponse<String> moved = api.post(
                    "/orders",
                    order("c-edge-1", 1),
                    edge(SECRET, "POST", "/orders/o-1/cancel", "shop", "orders:write"));
            assertThat(moved.statusCode()).isEqualTo(401);
            assertThat(code(moved)).isEqualTo("invalid-edge-signature");

            HttpResponse<String> forged = api.post(
                    "/orders",
                    order("c-edge-1", 1),
                    edge("a-secret-the-edge-does-not-share-with-us", "POST", "/orders", "shop", "orders:write"));
            assertThat(forged.statusCode()).isEqualTo(401);
            assertThat(code(forged)).isEqualTo("invalid-edge-signature");
            assertThat(api.count("orders")).isEqualTo(1);
        }
    }

    @Test
    void shouldNotTrustEdgeHeadersWithoutAnEdgeSecret(PostgresService postgres, RedisService redis) throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(postgres, redis, name -> {}, Map.of())) {
            HttpResponse<String> response =
                    api.post("/orders", order("c-edge-2", 1), edge(SECRET, "POST", "/orders", "shop", "orders:write"));
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(code(response)).isEqualTo("unauthenticated");
        }
    }

    @Test
    void shouldRefuseToStartWithAShortEdgeSecret() {
        assertThatThrownBy(() -> OrderApiConfig.load(
                                Map.of(),
                                Map.of(
                                        OrderApiConfig.DB_URL,
                                        "jdbc:postgresql://x/y",
                                        OrderApiConfig.API_CLIENTS,
                                        "shop:shop-secret-1:internal",
                                        OrderApiConfig.OUTCOMES_ENABLED,
                                        "false",
                                        OrderApiConfig.EDGE_SECRET,
                                        "short"))
                        .clients())
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining(OrderApiConfig.EDGE_SECRET)
                .hasMessageNotContaining("short");
    }
}
