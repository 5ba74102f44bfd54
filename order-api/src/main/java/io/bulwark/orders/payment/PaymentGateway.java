package io.bulwark.orders.payment;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.schemas.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;

/**
 * The payment gateway's HTTP API, one attempt per call: answers are {@link Result}s, failures are
 * {@link GatewayException}s classified as retryable or not. Resilience is {@link ResilientPayments}'.
 */
public final class PaymentGateway {

    /** What the gateway decided. */
    public sealed interface Result permits Authorized, Declined, Voided {}

    public record Authorized(String chargeId) implements Result {}

    public record Declined(String reason) implements Result {}

    public record Voided() implements Result {}

    private final HttpClient client;
    private final URI base;
    private final Duration timeout;

    public PaymentGateway(String baseUrl, Duration connectTimeout, Duration requestTimeout) {
        this.base = URI.create(baseUrl.endsWith("/") ? baseUrl : baseUrl + "/");
        this.timeout = requestTimeout;
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
    }

    public Result authorize(String orderId, long amountCents, String currency, String idempotencyKey) {
        String body = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("amountCents", amountCents)
                .put("currency", currency)
                .toString();
        HttpResponse<String> response = post("v1/charges", body, idempotencyKey);
        JsonNode json = parse(response.body());
        return switch (response.statusCode()) {
            case 200, 201 -> new Authorized(json.path("chargeId").asText());
            case 402 -> new Declined(json.path("reason").asText("declined"));
            default -> throw classify(response);
        };
    }

    public Result voidPayment(String orderId, String idempotencyKey) {
        HttpResponse<String> response = post(
                "v1/voids",
                Json.mapper().createObjectNode().put("orderId", orderId).toString(),
                idempotencyKey);
        if (response.statusCode() == 200 || response.statusCode() == 201) {
            return new Voided();
        }
        throw classify(response);
    }

    private HttpResponse<String> post(String path, String body, String idempotencyKey) {
        HttpRequest request = HttpRequest.newBuilder(base.resolve(path))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", idempotencyKey)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // connection refused or reset, timeout (HttpTimeoutException is an IOException): the charge may or
            // may not have happened; the retry carries the same key, so the gateway answers it once.
            throw GatewayException.retryable("gateway unreachable: " + e, null, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GatewayException.retryable("interrupted", null, e);
        }
    }

    private static GatewayException classify(HttpResponse<String> response) {
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            Duration retryAfter =
                    retryAfter(response.headers().firstValue("Retry-After")).orElse(null);
            return GatewayException.retryable("gateway answered " + status, retryAfter, null);
        }
        return GatewayException.permanent("gateway refused the request: " + status);
    }

    /** {@code Retry-After} as delay-seconds (HTTP dates are rare from APIs and ignored). */
    static Optional<Duration> retryAfter(Optional<String> header) {
        return header.flatMap(value -> {
            try {
                long seconds = Long.parseLong(value.trim());
                return seconds >= 0 ? Optional.of(Duration.ofSeconds(seconds)) : Optional.empty();
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    private static JsonNode parse(String body) {
        try {
            return Json.mapper().readTree(body == null || body.isEmpty() ? "{}" : body);
        } catch (IOException e) {
            return Json.mapper().createObjectNode();
        }
    }
}
