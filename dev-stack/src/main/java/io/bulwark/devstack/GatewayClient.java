package io.bulwark.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.orders.payment.GatewaySimulator;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Set;
import java.util.TreeSet;

/**
 * The simulated payment gateway seen from a load run, over its HTTP API ({@code PUT /faults},
 * {@code GET /ledger}), whether it runs in this JVM or in its own process.
 */
final class GatewayClient {

    /**
     * What the gateway holds: authorizations no void followed, orders charged under more than one key, and orders a
     * charge of which it answered 429 (with a Retry-After the payment worker waits out before the saga can decide).
     */
    record Ledger(Set<String> open, Set<String> chargedMoreThanOnce, Set<String> throttledCharges) {}

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5))
            .build();

    GatewayClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    void faults(GatewaySimulator.Faults faults) {
        try {
            send(HttpRequest.newBuilder(URI.create(baseUrl + "/faults"))
                    .header("Content-Type", "application/json")
                    .PUT(HttpRequest.BodyPublishers.ofByteArray(Json.mapper().writeValueAsBytes(faults))));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Ledger ledger() {
        JsonNode ledger =
                send(HttpRequest.newBuilder(URI.create(baseUrl + "/ledger")).GET());
        return new Ledger(
                ids(ledger.path("open")),
                ids(ledger.path("chargedMoreThanOnce")),
                ids(ledger.path("throttledCharges")));
    }

    private static Set<String> ids(JsonNode array) {
        Set<String> ids = new TreeSet<>();
        array.forEach(id -> ids.add(id.asText()));
        return ids;
    }

    private JsonNode send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response =
                    http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "The gateway at " + baseUrl + " answered " + response.statusCode() + ": " + response.body());
            }
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("The gateway at " + baseUrl + " did not answer", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted asking the gateway", e);
        }
    }
}
