package io.bulwark.orders;

import static io.bulwark.orders.OrderApiFixture.FREE;
import static io.bulwark.orders.OrderApiFixture.SHOP;
import static io.bulwark.orders.OrderApiFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.bulwark.guard.idempotency.IdempotencyScope;
import io.bulwark.guard.idempotency.RequestFingerprint;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Json;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The request path's lock, fencing, expiry and timeout rules, against real Redis and PostgreSQL. */
@ExtendWith(SharedInfraExtension.class)
class RequestPathRulesTest {

    private static final String JSON = "application/json";

    @Test
    void shouldAnswerCustomerBusyAndLeaveNoLockWhenRedisAnswersTooLate(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                        postgres,
                        redis,
                        name -> {},
                        Map.of(OrderApiConfig.LOCK_CUSTOMERS, "true", OrderApiConfig.LOCK_TTL_MS, "300"));
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            StatefulRedisConnection<String, String> probe = client.connect(); // connected before Redis sleeps
            var pause = connection
                    .async()
                    .dispatch(
                            CommandType.DEBUG,
                            new StatusOutput<>(StringCodec.UTF8),
                            new CommandArgs<>(StringCodec.UTF8)
                                    .add("SLEEP")
                                    .add("3.0")); // longer than every Redis timeout before the lock
            await().atMost(Duration.ofSeconds(2)).until(() -> {
                try {
                    probe.async().ping().get(20, TimeUnit.MILLISECONDS);
                    return false;
                } catch (TimeoutException asleep) {
                    return true; // Redis answers nobody now
                }
            });
            HttpResponse<String> during = api.post(
                    "/orders",
                    order("c-slow", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    JSON,
                    "Idempotency-Key",
                    "slow-1");
            pause.get();
            assertThat(during.statusCode()).as(during.body()).isEqualTo(503);
            assertThat(Json.mapper().readTree(during.body()).path("code").asText())
                    .isEqualTo("customer-busy");
            assertThat(during.headers().firstValue("Retry-After")).isPresent();
            assertThat(api.count("orders")).isZero();
            await().atMost(Duration.ofSeconds(2))
                    .untilAsserted(() -> assertThat(keys(connection, "bulwark:lock:*"))
                            .as("no orphan lock")
                            .isEmpty());
            assertThat(api.post(
                                    "/orders",
                                    order("c-slow", 1),
                                    "Authorization",
                                    SHOP,
                                    "Content-Type",
                                    JSON,
                                    "Idempotency-Key",
                                    "slow-1")
                            .statusCode())
                    .as("the retry goes through at once")
                    .isEqualTo(201);
        }
    }

    @Test
    void shouldLetARetryTakeOverTheMarkOfARequestWhoseProcessDied(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(postgres, redis, name -> {}, Map.of());
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            String body = order("c-crashed", 1);
            String scope = new IdempotencyScope("shop", "POST", "/orders", "crashed-1").id();
            // What a process that died mid-request leaves behind: its mark, for the mark's whole lifetime.
            connection
                    .sync()
                    .set(
                            "bulwark:idem:" + scope,
                            "{\"state\":\"in-flight\",\"fingerprint\":\""
                                    + RequestFingerprint.of(body.getBytes(StandardCharsets.UTF_8))
                                    + "\",\"owner\":\"dead\"}",
                            SetArgs.Builder.px(60_000));
            HttpResponse<String> retry = api.post(
                    "/orders", body, "Authorization", SHOP, "Content-Type", JSON, "Idempotency-Key", "crashed-1");
            assertThat(retry.statusCode())
                    .as("no false 409 for a minute: %s", retry.body())
                    .isEqualTo(201);
            HttpResponse<String> replay = api.post(
                    "/orders", body, "Authorization", SHOP, "Content-Type", JSON, "Idempotency-Key", "crashed-1");
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");
            assertThat(api.count("orders")).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepAStrictHourlyQuotaBesidesTheBurstBucket(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(postgres, redis, name -> {}, Map.of());
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            HttpResponse<String> first = api.get("/orders/none", "Authorization", FREE);
            assertThat(first.headers().firstValue("RateLimit-Policy"))
                    .hasValue("\"per-second\";q=10;w=1, \"per-hour\";q=1000;w=3600");
            assertThat(first.headers().firstValue("RateLimit").orElseThrow())
                    .containsPattern("\"per-hour\";r=9\\d\\d;");
            // The rest of the hour's quota, spent a minute ago (the exact sliding log: one member per request).
            List<String> time = connection.sync().time();
            long minuteAgoMicros = Long.parseLong(time.get(0)) * 1_000_000 + Long.parseLong(time.get(1)) - 60_000_000L;
            String quotaKey = "bulwark:quota:swl:{orders:tiny}:per-hour";
            long spent = connection.sync().zcard(quotaKey); // this client's requests so far, in every test here
            for (long i = spent; i < 1_000; i++) {
                connection.sync().zadd(quotaKey, minuteAgoMicros, "earlier-" + i);
            }
            HttpResponse<String> over = api.get("/orders/none", "Authorization", FREE);
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(Json.mapper().readTree(over.body()).path("detail").asText())
                    .contains("quota 'per-hour'");
            long retryAfter =
                    Long.parseLong(over.headers().firstValue("Retry-After").orElseThrow());
            assertThat(retryAfter)
                    .as("until the oldest request leaves the hour")
                    .isBetween(3_400L, 3_600L);
            assertThat(api.get("/orders/none", "Authorization", SHOP).statusCode())
                    .as("another client's quota is its own")
                    .isEqualTo(404);
        }
    }

    @Test
    void shouldNeverOverdrawACreditLineWhenConcurrentOrdersChargeItWithoutALock(
            PostgresService postgres, RedisService redis) throws Exception {
        // The default: no customer lock. 24 orders of 250 cents at once against a 1,000-cent line, each on its
        // own key: PostgreSQL's row lock must let exactly four charge, whatever the interleaving.
        try (OrderApiFixture api = new OrderApiFixture(
                        postgres, redis, name -> {}, Map.of(OrderApiConfig.CREDIT_DEFAULT_LIMIT_CENTS, "1000"));
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            Function<String, HttpResponse<String>> place = key -> api.post(
                    "/orders", order("c-race", 1), "Authorization", SHOP, "Content-Type", JSON, "Idempotency-Key", key);
            assertThat(place.apply("race-first").statusCode())
                    .as("the first order provisions the line")
                    .isEqualTo(201);
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(24);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 24; i++) {
                String key = "race-" + i;
                answers.add(pool.submit(() -> {
                    go.await();
                    return place.apply(key);
                }));
            }
            go.countDown();
            int placed = 1;
            for (Future<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get();
                if (response.statusCode() == 201) {
                    placed++;
                } else {
                    assertThat(response.statusCode()).as(response.body()).isEqualTo(422);
                    assertThat(Json.mapper()
                                    .readTree(response.body())
                                    .path("code")
                                    .asText())
                            .isEqualTo("credit-limit-exceeded");
                }
            }
            pool.shutdown();
            assertThat(placed).as("orders charged against a 1,000-cent line").isEqualTo(4);
            assertThat(api.count("customer_credit", "customer_id = 'c-race' AND used_cents = 1000"))
                    .isEqualTo(1);
            assertThat(api.count("orders")).isEqualTo(4);
            assertThat(api.count("bulwark_outbox")).isEqualTo(4);
            assertThat(keys(connection, "bulwark:lock:*")).as("no lock taken").isEmpty();
        }
    }

    @Test
    void shouldNotExhaustTheConnectionPoolWhenEveryRequestAlsoNeedsAFencingToken(
            PostgresService postgres, RedisService redis) throws Exception {
        // More concurrent orders than connections: each holds one for its transaction and needs a token too.
        try (OrderApiFixture api = new OrderApiFixture(
                postgres,
                redis,
                name -> {},
                Map.of(
                        OrderApiConfig.LOCK_CUSTOMERS,
                        "true",
                        OrderApiConfig.DB_POOL_SIZE,
                        "4",
                        OrderApiConfig.BULKHEAD_CRITICAL,
                        "16/0/0"))) {
            ExecutorService pool = Executors.newFixedThreadPool(16);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < 48; i++) {
                int n = i;
                answers.add(pool.submit(() -> api.post(
                        "/orders",
                        order("c-pool-" + n % 16, 1),
                        "Authorization",
                        SHOP,
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "pool-" + n)));
            }
            for (Future<HttpResponse<String>> answer : answers) {
                HttpResponse<String> response = answer.get();
                assertThat(response.statusCode()).as(response.body()).isIn(201, 503);
                if (response.statusCode() == 503) {
                    assertThat(Json.mapper()
                                    .readTree(response.body())
                                    .path("code")
                                    .asText())
                            .as("busy customers may be refused, the database never")
                            .isEqualTo("customer-busy");
                }
            }
            pool.shutdown();
            assertThat(api.count("orders")).isPositive();
        }
    }

    @Test
    void shouldServeExistingCustomersRightAfterRedisLostItsData(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                        postgres, redis, name -> {}, Map.of(OrderApiConfig.LOCK_CUSTOMERS, "true"));
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            for (int i = 0; i < 3; i++) {
                assertThat(api.post(
                                        "/orders",
                                        order("c-wiped", 1),
                                        "Authorization",
                                        SHOP,
                                        "Content-Type",
                                        JSON,
                                        "Idempotency-Key",
                                        "before-" + i)
                                .statusCode())
                        .isEqualTo(201);
            }
            connection.sync().flushall();
            HttpResponse<String> after = api.post(
                    "/orders",
                    order("c-wiped", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    JSON,
                    "Idempotency-Key",
                    "after-1");
            assertThat(after.statusCode())
                    .as("durable fencing tokens do not restart at 1: %s", after.body())
                    .isEqualTo(201);
        }
    }

    @Test
    void shouldGiveEveryKeyItWritesToRedisAnExpiry(PostgresService postgres, RedisService redis) throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                        postgres, redis, name -> {}, Map.of(OrderApiConfig.LOCK_CUSTOMERS, "true"));
                RedisClient client = RedisClient.create(redis.uri());
                StatefulRedisConnection<String, String> connection = client.connect()) {
            List<String> placed = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                HttpResponse<String> response = api.post(
                        "/orders",
                        order("c-keys-" + i % 4, 1),
                        "Authorization",
                        SHOP,
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "keys-" + i);
                placed.add(
                        Json.mapper().readTree(response.body()).path("orderId").asText());
                api.post(
                        "/orders",
                        order("c-keys-" + i % 4, 1),
                        "Authorization",
                        SHOP,
                        "Content-Type",
                        JSON,
                        "Idempotency-Key",
                        "keys-" + i); // a replay
            }
            api.post("/orders/" + placed.get(0) + "/cancel", "", "Authorization", SHOP, "Idempotency-Key", "keys-x");
            for (int i = 0; i < 15; i++) {
                api.get("/orders/none", "Authorization", FREE); // the free tier's bucket
            }
            List<String> keys = keys(connection, "*");
            assertThat(keys).as("the run wrote keys").isNotEmpty();
            List<String> forever = keys.stream()
                    .filter(key -> connection.sync().pttl(key) == -1)
                    .toList();
            assertThat(forever).as("keys without an expiry").isEmpty();
        }
    }

    @Test
    void shouldStopAStatementThatRunsLongerThanTheTimeout(PostgresService postgres, RedisService redis)
            throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                postgres, redis, name -> {}, Map.of(OrderApiConfig.DB_STATEMENT_TIMEOUT_MS, "200"))) {
            try (Connection connection = api.app.dataSource().getConnection();
                    Statement statement = connection.createStatement()) {
                assertThatThrownBy(() -> statement.execute("SELECT pg_sleep(2)"))
                        .isInstanceOf(SQLException.class)
                        .hasMessageContaining("statement timeout");
            }
        }
    }

    private static List<String> keys(StatefulRedisConnection<String, String> connection, String pattern) {
        List<String> keys = new ArrayList<>();
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = connection
                    .sync()
                    .scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
            keys.addAll(page.getKeys());
            cursor = page;
        } while (!cursor.isFinished());
        return keys;
    }
}
