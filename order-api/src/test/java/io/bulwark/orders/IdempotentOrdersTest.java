package io.bulwark.orders;

import static io.bulwark.orders.OrderApiFixture.SHOP;
import static io.bulwark.orders.OrderApiFixture.order;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Json;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Idempotency keys on the real PostgreSQL and Redis: concurrency, replay, mismatch, crash, limits. */
@ExtendWith(SharedInfraExtension.class)
class IdempotentOrdersTest {

    @Test
    void shouldPlaceOneOrderFor50ConcurrentIdenticalRequests(PostgresService postgres, RedisService redis)
            throws Exception {
        // Auto-provisioned customers: the idempotency claim goes as a statement of its own.
        try (OrderApiFixture api = new OrderApiFixture(postgres, redis, name -> {}, Map.of())) {
            placeOneOrderFor50ConcurrentIdenticalRequests(api, "key-50");
        }
    }

    @Test
    void shouldPlaceOneOrderFor50ConcurrentIdenticalRequestsWithTheClaimInTheCharge(
            PostgresService postgres, RedisService redis) throws Exception {
        // A provisioned customer: the claim travels in front of the charge statement.
        try (OrderApiFixture api = new OrderApiFixture(
                postgres, redis, name -> {}, Map.of(OrderApiConfig.CUSTOMERS_AUTO_PROVISION, "false"))) {
            api.put(
                    "/customers/c-50",
                    "{\"creditLimitCents\":100000}",
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json");
            placeOneOrderFor50ConcurrentIdenticalRequests(api, "key-50-claim-in-charge");
            assertThat(api.count("bulwark_idempotency")).isEqualTo(1);
            // Redis loses its copy: the claim finds the record, the charge does not run, the answer is replayed.
            api.deleteRedisKeys("bulwark:idem:*");
            HttpResponse<String> retry = api.post(
                    "/orders",
                    order("c-50", 2),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "key-50-claim-in-charge");
            assertThat(retry.statusCode()).isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(api.count("orders")).isEqualTo(1);
            assertThat(api.count("bulwark_outbox")).isEqualTo(1);
        }
    }

    private static void placeOneOrderFor50ConcurrentIdenticalRequests(OrderApiFixture api, String key)
            throws Exception {
        String body = order("c-50", 2);
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        List<Future<HttpResponse<String>>> futures = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            futures.add(pool.submit(() -> {
                go.await();
                return api.postOrder(body, key);
            }));
        }
        go.countDown();
        String orderId = null;
        int created = 0;
        int replayed = 0;
        int conflicts = 0;
        for (Future<HttpResponse<String>> future : futures) {
            HttpResponse<String> response = future.get();
            if (response.statusCode() == 409) {
                assertThat(Json.mapper().readTree(response.body()).path("code").asText())
                        .isEqualTo("idempotency-key-in-use");
                assertThat(response.headers().firstValue("Retry-After")).isPresent();
                conflicts++;
                continue;
            }
            if (response.statusCode() == 503) {
                // The critical bulkhead (32 permits, 16 queued) may shed some of 50 at once: retry later.
                assertThat(Json.mapper().readTree(response.body()).path("code").asText())
                        .isEqualTo("overloaded");
                assertThat(response.headers().firstValue("Retry-After")).isPresent();
                continue;
            }
            assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
            String id = Json.mapper().readTree(response.body()).path("orderId").asText();
            if (orderId == null) {
                orderId = id;
            }
            assertThat(id).as("every success is the same order").isEqualTo(orderId);
            if (response.headers().firstValue("Idempotent-Replayed").isPresent()) {
                replayed++;
            } else {
                created++;
            }
        }
        pool.shutdown();
        assertThat(created)
                .as("exactly one original (replays %d, 409s %d)", replayed, conflicts)
                .isEqualTo(1);
        assertThat(api.count("orders")).isEqualTo(1);
        assertThat(api.count("bulwark_outbox")).isEqualTo(1);
        assertThat(api.count("bulwark_idempotency")).isEqualTo(1);

        HttpResponse<String> retry = api.postOrder(body, key);
        assertThat(retry.statusCode()).isEqualTo(201);
        assertThat(retry.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        assertThat(Json.mapper().readTree(retry.body()).path("orderId").asText())
                .isEqualTo(orderId);

        HttpResponse<String> different = api.post(
                "/orders",
                order("c-50", 3),
                "Authorization",
                SHOP,
                "Content-Type",
                "application/json",
                "Idempotency-Key",
                key);
        assertThat(different.statusCode()).isEqualTo(422);
        assertThat(Json.mapper().readTree(different.body()).path("code").asText())
                .isEqualTo("idempotency-key-reused");

        // The same body with keys reordered and spaced is the same request.
        String reordered = "{ \"lines\": [{\"unitPriceCents\": 250, \"quantity\": 2, \"sku\": \"sku-1\"}],"
                + " \"currency\": \"EUR\", \"customerId\": \"c-50\" }";
        assertThat(api.postOrder(reordered, key).headers().firstValue("Idempotent-Replayed"))
                .hasValue("true");
        assertThat(api.count("orders")).isEqualTo(1);
    }

    @Test
    void shouldLeaveNothingWhenItCrashesBetweenTheWritesAndSucceedOnceOnRetry(
            PostgresService postgres, RedisService redis) throws Exception {
        AtomicBoolean crash = new AtomicBoolean(true);
        OrderService.Checkpoint checkpoint = name -> {
            if (name.equals("order-written") && crash.get()) {
                throw new IllegalStateException("simulated crash after the order row");
            }
        };
        try (OrderApiFixture api = new OrderApiFixture(postgres, redis, checkpoint, Map.of())) {
            String body = order("c-crash", 1);
            HttpResponse<String> failed = api.postOrder(body, "crash-1");
            assertThat(failed.statusCode()).isEqualTo(500);
            assertThat(failed.headers().firstValue("Content-Type")).hasValue("application/problem+json");
            assertThat(api.count("orders")).isZero();
            assertThat(api.count("bulwark_outbox")).isZero();
            assertThat(api.count("bulwark_idempotency")).isZero();
            assertThat(api.count("customer_credit", "used_cents > 0")).isZero();

            crash.set(false);
            HttpResponse<String> retry = api.postOrder(body, "crash-1");
            assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
            assertThat(retry.headers().firstValue("Idempotent-Replayed")).isEmpty();
            HttpResponse<String> again = api.postOrder(body, "crash-1");
            assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(api.count("orders")).isEqualTo(1);
            assertThat(api.count("bulwark_outbox")).isEqualTo(1);
            assertThat(api.count("bulwark_idempotency")).isEqualTo(1);
        }
    }

    @Test
    void shouldExecuteARetryAgainAfterAnErrorAnswerOnceTheClientFixedTheCause(
            PostgresService postgres, RedisService redis) throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                postgres, redis, name -> {}, Map.of(OrderApiConfig.CREDIT_DEFAULT_LIMIT_CENTS, "1000"))) {
            HttpResponse<String> over = api.post(
                    "/orders",
                    order("c-fix", 5),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "fix-1");
            assertThat(over.statusCode()).isEqualTo(422);
            assertThat(api.count("bulwark_idempotency"))
                    .as("an error answer is not stored")
                    .isZero();
            // The refusal wrote nothing (not even the auto-provisioned credit row); the client raises the limit.
            assertThat(api.count("customer_credit")).isZero();
            HttpResponse<String> raised = api.put(
                    "/customers/c-fix",
                    "{\"creditLimitCents\":10000}",
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json");
            assertThat(raised.statusCode()).as(raised.body()).isEqualTo(201);
            HttpResponse<String> retried = api.post(
                    "/orders",
                    order("c-fix", 5),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "fix-1");
            assertThat(retried.statusCode()).as("executed again, not replayed").isEqualTo(201);
            assertThat(retried.headers().firstValue("Idempotent-Replayed")).isEmpty();
            HttpResponse<String> replay = api.post(
                    "/orders",
                    order("c-fix", 5),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "fix-1");
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(api.count("orders")).isEqualTo(1);
        }
    }

    @Test
    void shouldRefuseAHolderWhoseTokenIsOlderThanTheCreditRowsAndWriteNothing(
            PostgresService postgres, RedisService redis) throws Exception {
        try (OrderApiFixture api =
                new OrderApiFixture(postgres, redis, name -> {}, Map.of(OrderApiConfig.LOCK_CUSTOMERS, "true"))) {
            HttpResponse<String> first = api.post(
                    "/orders",
                    order("c-fence", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "fence-1");
            assertThat(first.statusCode()).as(first.body()).isEqualTo(201);
            // A newer holder wrote while this one's lease ran out: its token is on the row.
            api.execute("UPDATE {schema}.customer_credit SET fence_token = 1000000000 WHERE customer_id = 'c-fence'");
            HttpResponse<String> stale = api.post(
                    "/orders",
                    order("c-fence", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "fence-2");
            assertThat(stale.statusCode()).as(stale.body()).isEqualTo(503);
            assertThat(Json.mapper().readTree(stale.body()).path("code").asText())
                    .isEqualTo("lock-lost");
            assertThat(api.count("orders"))
                    .as("no order row without the charge")
                    .isEqualTo(1);
            assertThat(api.count("bulwark_outbox")).isEqualTo(1);
            assertThat(api.count("customer_credit", "used_cents = 250 AND fence_token = 1000000000"))
                    .isEqualTo(1);
            assertThat(api.count("bulwark_idempotency")).isEqualTo(1);
        }
    }

    @Test
    void shouldStoreOptedInRefusalsAndScopeKeysByClientAndPath(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                postgres,
                redis,
                name -> {},
                Map.of(
                        OrderApiConfig.CREDIT_DEFAULT_LIMIT_CENTS,
                        "1000",
                        OrderApiConfig.IDEMPOTENCY_STORED_ERROR_STATUSES,
                        "422"))) {
            HttpResponse<String> over = api.post(
                    "/orders",
                    order("c-credit", 5),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "credit-1");
            assertThat(over.statusCode()).isEqualTo(422);
            assertThat(Json.mapper().readTree(over.body()).path("code").asText())
                    .isEqualTo("credit-limit-exceeded");
            HttpResponse<String> replay = api.post(
                    "/orders",
                    order("c-credit", 5),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "credit-1");
            assertThat(replay.statusCode()).isEqualTo(422);
            assertThat(replay.headers().firstValue("Idempotent-Replayed"))
                    .as("opted in for 422")
                    .hasValue("true");
            assertThat(api.count("orders")).isZero();

            HttpResponse<String> placed = api.post(
                    "/orders",
                    order("c-credit", 4),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "credit-2");
            assertThat(placed.statusCode()).isEqualTo(201);
            JsonNode order = Json.mapper().readTree(placed.body());
            assertThat(api.count("customer_credit", "used_cents = 1000 AND fence_token = 0"))
                    .as("charged without a customer lock (lock.customers is off by default): no token stored")
                    .isEqualTo(1);

            // Another client may use the same key: scopes differ.
            HttpResponse<String> other = api.post(
                    "/orders",
                    order("c-other", 1),
                    "Authorization",
                    OrderApiFixture.FREE,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "credit-2");
            assertThat(other.statusCode()).isEqualTo(201);

            String cancelPath = "/orders/" + order.path("orderId").asText() + "/cancel";
            HttpResponse<String> cancelled =
                    api.post(cancelPath, "", "Authorization", SHOP, "Idempotency-Key", "cancel-1");
            assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(202);
            assertThat(Json.mapper().readTree(cancelled.body()).path("status").asText())
                    .isEqualTo("CANCEL_REQUESTED");
            assertThat(api.count("customer_credit", "customer_id = 'c-credit' AND used_cents = 1000"))
                    .as("credit comes back with the saga's OrderCancelled, not with the request")
                    .isEqualTo(1);
            HttpResponse<String> twice = api.post(cancelPath, "", "Authorization", SHOP, "Idempotency-Key", "cancel-2");
            assertThat(twice.statusCode()).isEqualTo(202);
            assertThat(api.count("bulwark_outbox", "event_type = 'OrderCancelRequested'"))
                    .as("one request")
                    .isEqualTo(1);
            assertThat(api.get("/orders/" + order.path("orderId").asText(), "Authorization", SHOP)
                            .statusCode())
                    .isEqualTo(200);
            assertThat(api.get("/orders/" + order.path("orderId").asText(), "Authorization", OrderApiFixture.FREE)
                            .statusCode())
                    .as("orders are scoped to their client")
                    .isEqualTo(404);
        }
    }

    @Test
    void shouldRefuseBadRequestsWithProblemsAndRateLimitPerClient(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api =
                new OrderApiFixture(postgres, redis, name -> {}, Map.of(OrderApiConfig.REQUEST_MAX_BYTES, "1024"))) {
            assertCode(api.post("/orders", order("c", 1), "Content-Type", "application/json"), 401, "unauthenticated");
            assertCode(
                    api.post("/orders", order("c", 1), "Authorization", SHOP, "Content-Type", "application/json"),
                    400,
                    "idempotency-key-missing");
            assertCode(
                    api.post(
                            "/orders",
                            order("c", 1),
                            "Authorization",
                            SHOP,
                            "Content-Type",
                            "text/plain",
                            "Idempotency-Key",
                            "k1"),
                    415,
                    "unsupported-media-type");
            assertCode(api.postOrder("x".repeat(2000), "k2"), 413, "payload-too-large");
            assertCode(api.postOrder("{\"customerId\":1}", "k3"), 400, "invalid-order");
            assertCode(api.get("/orders/none", "Authorization", SHOP), 404, "unknown-order");
            assertThat(api.count("orders") + api.count("bulwark_idempotency") + api.count("bulwark_outbox"))
                    .isZero();

            // The free tier's bucket holds 10 and refills 10 per second. It starts full, so the first 10 pass
            // however slow the machine; requests sent back to back outrun the refill, so a 429 follows. (Not "the
            // 11th within a second": on a busy machine 15 requests can take longer than a second.)
            int admitted = 0;
            HttpResponse<String> refused = null;
            for (int i = 0; i < 500 && refused == null; i++) {
                HttpResponse<String> response = api.get("/orders/none", "Authorization", OrderApiFixture.FREE);
                assertThat(response.headers().firstValue("RateLimit")).isPresent();
                if (response.statusCode() == 429) {
                    refused = response;
                } else {
                    admitted++;
                }
            }
            assertThat(admitted).as("a full bucket admits its capacity").isGreaterThanOrEqualTo(10);
            assertThat(refused).as("back-to-back requests outrun 10/s").isNotNull();
            assertCode(refused, 429, "rate-limited");
            assertThat(refused.headers().firstValue("Retry-After")).isPresent();
            assertThat(refused.headers().firstValue("RateLimit-Policy")).isPresent();
        }
    }

    @Test
    void shouldAnswer503WithRetryAfterWhenTheTierIsSaturated(PostgresService postgres, RedisService redis)
            throws Exception {
        CountDownLatch inside = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        OrderService.Checkpoint slow = name -> {
            if (name.equals("order-written")) {
                inside.countDown();
                release.await();
            }
        };
        try (OrderApiFixture api =
                new OrderApiFixture(postgres, redis, slow, Map.of(OrderApiConfig.BULKHEAD_CRITICAL, "1/0/0"))) {
            ExecutorService pool = Executors.newSingleThreadExecutor();
            Future<HttpResponse<String>> first = pool.submit(() -> api.post(
                    "/orders",
                    order("c-busy", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "busy-1"));
            inside.await();
            HttpResponse<String> second = api.post(
                    "/orders",
                    order("c-busy-2", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    "application/json",
                    "Idempotency-Key",
                    "busy-2");
            assertCode(second, 503, "overloaded");
            assertThat(second.headers().firstValue("Retry-After")).hasValue("1");
            release.countDown();
            assertThat(first.get().statusCode()).isEqualTo(201);
            pool.shutdown();
            assertThat(api.count("orders")).isEqualTo(1);
            assertThat(api.count("bulwark_idempotency", "idem_key = 'busy-2'")).isZero();
        }
    }

    static void assertCode(HttpResponse<String> response, int status, String code) throws Exception {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        assertThat(Json.mapper().readTree(response.body()).path("code").asText())
                .isEqualTo(code);
    }
}
