package io.bulwark.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.orders.payment.GatewaySimulator;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
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

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final String baseUrl;

    GatewayClient(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    void faults(GatewaySimulator.Faults faults) {
        try {
            send(new HarnessHttp.Request(
                    "PUT",
                    URI.create(baseUrl + "/faults"),
                    Map.of("Content-Type", "application/json"),
                    Json.mapper().writeValueAsBytes(faults),
                    TIMEOUT));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Ledger ledger() {
        JsonNode ledger = send(HarnessHttp.Request.get(URI.create(baseUrl + "/ledger"), TIMEOUT));
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

    private JsonNode send(HarnessHttp.Request request) {
        try {
            HarnessHttp.Answer response = HarnessHttp.exchange(request);
            if (response.statusCode() != 200) {
                throw new IllegalStateException(
                        "The gateway at " + baseUrl + " answered " + response.statusCode() + ": " + response.body());
            }
            return Json.mapper().readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException("The gateway at " + baseUrl + " did not answer", e);
        }
    }
}
