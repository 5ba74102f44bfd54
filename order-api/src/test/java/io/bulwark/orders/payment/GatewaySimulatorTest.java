package io.bulwark.orders.payment;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.Json;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The gateway's own books: what a load or chaos run checks the payment worker against. */
class GatewaySimulatorTest {

    private final GatewaySimulator gateway = new GatewaySimulator("127.0.0.1", 0);
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void close() {
        gateway.close();
    }

    @Test
    void shouldChargeOnceForOneKeyAndFlagAnOrderChargedUnderTwoKeys() throws Exception {
        assertThat(post("/v1/charges", "key-1", "{\"orderId\":\"o-1\",\"amountCents\":1000}"))
                .isEqualTo(201);
        assertThat(post("/v1/charges", "key-1", "{\"orderId\":\"o-1\",\"amountCents\":1000}"))
                .isEqualTo(201);
        assertThat(gateway.authorizedCharges()).isEqualTo(1);
        assertThat(gateway.chargedMoreThanOnce()).isEmpty();

        assertThat(post("/v1/charges", "key-2", "{\"orderId\":\"o-1\",\"amountCents\":1000}"))
                .isEqualTo(201);
        assertThat(gateway.chargedMoreThanOnce()).containsExactly("o-1");

        var ledger = Json.mapper().readTree(get("/ledger"));
        assertThat(ledger.path("chargedMoreThanOnce").toString()).isEqualTo("[\"o-1\"]");
        assertThat(ledger.path("open").toString()).isEqualTo("[\"o-1\"]");
    }

    @Test
    void shouldCloseAnAuthorizationWhenItIsVoidedAndNeverOpenOneForADecline() throws Exception {
        post("/v1/charges", "k-a", "{\"orderId\":\"o-a\",\"amountCents\":1000}");
        assertThat(post("/v1/charges", "k-b", "{\"orderId\":\"o-b\",\"amountCents\":1013}"))
                .isEqualTo(402);
        assertThat(post("/v1/voids", "void-a", "{\"orderId\":\"o-a\"}")).isEqualTo(200);

        var ledger = Json.mapper().readTree(get("/ledger"));
        assertThat(ledger.path("open").isEmpty()).isTrue();
        assertThat(ledger.path("chargedMoreThanOnce").isEmpty()).isTrue();
    }

    @Test
    void shouldListTheOrdersWhoseRequestsItThrottled() throws Exception {
        gateway.faults(GatewaySimulator.Faults.none().withThrottle(1.0, 1));
        assertThat(post("/v1/charges", "k-t", "{\"orderId\":\"o-t\",\"amountCents\":1000}"))
                .isEqualTo(429);
        assertThat(post("/v1/voids", "void-v", "{\"orderId\":\"o-v\"}")).isEqualTo(429);
        assertThat(post("/v1/charges", "k-x", "not json")).isEqualTo(429);
        gateway.faults(GatewaySimulator.Faults.none());
        assertThat(post("/v1/charges", "k-t", "{\"orderId\":\"o-t\",\"amountCents\":1000}"))
                .isEqualTo(201);
        assertThat(post("/v1/charges", "k-n", "{\"orderId\":\"o-n\",\"amountCents\":1000}"))
                .isEqualTo(201);

        assertThat(gateway.throttledOrders()).containsExactlyInAnyOrder("o-t", "o-v");
        assertThat(gateway.throttledCharges())
                .as("a void's 429 is not a charge's")
                .containsExactly("o-t");
        var ledger = Json.mapper().readTree(get("/ledger"));
        assertThat(ledger.path("throttled")).extracting(n -> n.asText()).containsExactlyInAnyOrder("o-t", "o-v");
        assertThat(ledger.path("throttledCharges")).extracting(n -> n.asText()).containsExactly("o-t");
        assertThat(gateway.authorizedCharges()).isEqualTo(2);
    }

    private int post(String path, String key, String body) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                                .header("Idempotency-Key", key)
                                .POST(HttpRequest.BodyPublishers.ofString(body))
                                .build(),
                        HttpResponse.BodyHandlers.discarding())
                .statusCode();
    }

    private String get(String path) throws Exception {
        return http.send(
                        HttpRequest.newBuilder(URI.create(gateway.baseUrl() + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString())
                .body();
    }
}
