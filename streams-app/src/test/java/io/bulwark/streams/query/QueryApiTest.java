package io.bulwark.streams.query;

import static io.bulwark.streams.query.QueryFixture.get;
import static io.bulwark.streams.query.QueryFixture.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpServer;
import io.bulwark.http.EdgeSignature;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.Json;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BrokerApps;
import io.bulwark.streams.app.BulwarkQueries;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.StreamsApp;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.state.HostInfo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The query API of one instance on the embedded broker, with API keys on: every endpoint kind,
 * ETag/304, Cache-Control and Vary, 401/403/404/400/503, the OpenAPI document, and a read "as of"
 * a past time from the versioned stock-level model.
 */
@ExtendWith(SharedInfraExtension.class)
class QueryApiTest {

    private static final String OPS = "Bearer ops-secret-1";
    private static final String STOCK_ONLY = "stock-secret-1";
    private static final String EDGE_SECRET = "query-api-test-edge-secret-0123456789";
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);
    private static final String SKU = "sku-q-" + RUN;
    private static final String ORDER = "o-q-" + RUN;
    private static final String CUSTOMER = "c-q-" + RUN;
    private static final long RESTOCKED_AT =
            Instant.now().minus(Duration.ofMinutes(10)).toEpochMilli();
    private static final long RESERVED_AT =
            Instant.now().minus(Duration.ofMinutes(5)).toEpochMilli();

    private static StreamsApp app;
    private static AppConfig config;

    @BeforeAll
    static void start(KafkaService kafka) throws Exception {
        config = BrokerApps.config(
                kafka,
                "query-api-" + RUN,
                Files.createTempDirectory("query-api"),
                Map.of(
                        AppConfig.QUERY_AUTH_KEYS,
                        "ops:ops-secret-1,dashboard:" + STOCK_ONLY + ":stock-level",
                        AppConfig.QUERY_CACHE_CONTROL,
                        "default=2/10,stock-level-as-of=600/3600",
                        AppConfig.QUERY_EDGE_SECRET,
                        EDGE_SECRET));
        app = StreamsApp.start(config, BulwarkTopology.create(config));
        BrokerApps.awaitPositioned(app);
        try (KafkaProducer<byte[], byte[]> producer = QueryFixture.producer(kafka)) {
            QueryFixture.restock(producer, SKU, 50, RESTOCKED_AT);
            QueryFixture.reserve(producer, SKU, "o-earlier-" + RUN, 8, RESERVED_AT);
            QueryFixture.order(producer, ORDER, CUSTOMER, SKU, 2);
        }
        await().atMost(Duration.ofSeconds(60))
                .until(() -> get(port(), "/query/customers/" + CUSTOMER + "/orders", "Authorization", OPS)
                                .statusCode()
                        == 200);
    }

    @AfterAll
    static void stop() {
        if (app != null) {
            app.close();
        }
    }

    private static int port() {
        return app.httpPort();
    }

    /** KAFKA-19629: an IQv2 key query racing the stream thread's put deadlocked both (Kafka 4.3.1). */
    @Test
    void shouldKeepProcessingWhileTheKeysBeingWrittenAreQueried(KafkaService kafka) throws Exception {
        String sku = "sku-hot-" + RUN;
        AtomicBoolean stop = new AtomicBoolean();
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try (KafkaProducer<byte[], byte[]> producer = QueryFixture.producer(kafka)) {
            for (int r = 0; r < 4; r++) {
                readers.submit(() -> {
                    while (!stop.get()) {
                        get(port(), "/query/inventory/items/" + sku, "Authorization", OPS);
                        get(port(), "/query/inventory/items", "Authorization", OPS);
                    }
                });
            }
            for (int i = 0; i < 300; i++) {
                QueryFixture.restock(producer, sku, 1, System.currentTimeMillis());
                if (i % 20 == 0) {
                    producer.flush(); // batches of 20, so writes keep landing while the readers read
                }
            }
            producer.flush();
            await().atMost(Duration.ofSeconds(90))
                    .until(() -> Json.mapper()
                                    .readTree(get(port(), "/query/inventory/items/" + sku, "Authorization", OPS)
                                            .body())
                                    .path("available")
                                    .asLong()
                            == 300);
        } finally {
            stop.set(true);
            readers.shutdown();
            readers.awaitTermination(10, TimeUnit.SECONDS);
        }
        assertThat(app.stalls())
                .as("the stream thread never stopped committing")
                .isZero();
    }

    @Test
    void shouldAnswerAnAggregateByIdWithCachingHeaders() {
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> item = get(port(), "/query/inventory/items/" + SKU, "Authorization", OPS);
            assertThat(item.statusCode()).isEqualTo(200);
            assertThat(json(item).path("reservations").has(ORDER))
                    .as(item.body())
                    .isTrue();
        });
        HttpResponse<String> item = get(port(), "/query/inventory/items/" + SKU, "Authorization", OPS);
        JsonNode body = json(item);
        assertThat(body.path("sku").asText()).isEqualTo(SKU);
        assertThat(body.path("available").asLong()).isEqualTo(50 - 8 - 2);
        assertThat(item.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(item.headers().firstValue("ETag"))
                .hasValue("\"v" + body.path("version").asLong() + "\"");
        assertThat(item.headers().firstValue("Cache-Control")).hasValue("public, max-age=2, stale-while-revalidate=10");
        assertThat(item.headers().firstValue("Vary")).hasValue("Authorization, X-API-Key");
        assertThat(item.headers().firstValue("Bulwark-Served-By"))
                .hasValue(app.endpoint().host() + ":" + app.endpoint().port());
        assertThat(item.headers().firstValue("Bulwark-Forwarded")).isEmpty();
        assertThat(item.headers().firstValue("Bulwark-Stale")).isEmpty();
        assertThat(item.headers().firstValue("CDN-Cache-Control")).hasValue("max-age=2, stale-while-revalidate=10");
    }

    @Test
    void shouldRefuseHopHeadersThatNoInstanceSigned() {
        HttpResponse<String> forged = get(
                port(),
                "/query/orders/" + ORDER,
                "Authorization",
                OPS,
                "Bulwark-Hop",
                "10.0.0.9:8080",
                "Bulwark-Partitions",
                "0,1,2,3,4,5",
                "Bulwark-Accept-Stale",
                "true");
        assertProblem(forged, 401, "invalid-hop");
        HttpResponse<String> badSignature = get(
                port(),
                "/query/orders/" + ORDER,
                "Authorization",
                OPS,
                "Bulwark-Hop",
                "10.0.0.9:8080",
                "Bulwark-Hop-Signature",
                "t=" + Instant.now().getEpochSecond() + ",s=AAAA");
        assertProblem(badSignature, 401, "invalid-hop");
    }

    @Test
    void shouldServeMetricsOnlyToAKeyAllowedToReadThem() {
        assertProblem(get(port(), "/metrics"), 401, "unauthenticated");
        assertProblem(get(port(), "/metrics", "X-API-Key", STOCK_ONLY), 403, "forbidden");
        HttpResponse<String> metrics = get(port(), "/metrics", "Authorization", OPS);
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body()).contains("bulwark_query_requests");
        assertThat(get(port(), "/health/live").statusCode())
                .as("health stays open")
                .isEqualTo(200);
    }

    @Test
    void shouldKeepPersonalAnswersOutOfSharedCaches() {
        HttpResponse<String> orders = get(port(), "/query/customers/" + CUSTOMER + "/orders", "Authorization", OPS);
        assertThat(orders.statusCode()).isEqualTo(200);
        assertThat(orders.headers().firstValue("Cache-Control"))
                .hasValue("private, max-age=2, stale-while-revalidate=10");
        assertThat(orders.headers().firstValue("CDN-Cache-Control"))
                .as("no shared lifetime")
                .isEmpty();
        assertThat(orders.headers().firstValue("Vary")).hasValue("Authorization, X-API-Key");
    }

    @Test
    void shouldAnswerNotModifiedForTheCurrentEtagOnly() {
        HttpResponse<String> first = get(port(), "/query/orders/" + ORDER, "Authorization", OPS);
        assertThat(first.statusCode()).isEqualTo(200);
        String etag = first.headers().firstValue("ETag").orElseThrow();

        HttpResponse<String> again = get(port(), "/query/orders/" + ORDER, "Authorization", OPS, "If-None-Match", etag);
        assertThat(again.statusCode()).isEqualTo(304);
        assertThat(again.body()).isEmpty();
        assertThat(again.headers().firstValue("ETag")).hasValue(etag);
        assertThat(again.headers().firstValue("Cache-Control")).isPresent();

        assertThat(get(port(), "/query/orders/" + ORDER, "Authorization", OPS, "If-None-Match", "W/" + etag)
                        .statusCode())
                .as("weak comparison")
                .isEqualTo(304);
        assertThat(get(port(), "/query/orders/" + ORDER, "Authorization", OPS, "If-None-Match", "\"other\", " + etag)
                        .statusCode())
                .as("any of a list")
                .isEqualTo(304);
        assertThat(get(port(), "/query/orders/" + ORDER, "Authorization", OPS, "If-None-Match", "\"stale-tag\"")
                        .statusCode())
                .isEqualTo(200);
    }

    @Test
    void shouldRequireAKeyAndHonourItsScope() {
        HttpResponse<String> none = get(port(), "/query/orders/" + ORDER);
        assertProblem(none, 401, "unauthenticated");
        assertThat(none.headers().firstValue("WWW-Authenticate"))
                .hasValueSatisfying(v -> assertThat(v).startsWith("Bearer"));

        assertProblem(
                get(port(), "/query/orders/" + ORDER, "Authorization", "Bearer wrong-secret"),
                401,
                "invalid-credentials");
        HttpResponse<String> forbidden = get(port(), "/query/orders/" + ORDER, "X-API-Key", STOCK_ONLY);
        assertProblem(forbidden, 403, "forbidden");
        assertThat(forbidden.body()).doesNotContain(STOCK_ONLY);

        assertThat(get(port(), "/query/stock/" + SKU, "X-API-Key", STOCK_ONLY).statusCode())
                .isEqualTo(200);
        assertThat(get(port(), "/health").statusCode()).as("health stays open").isEqualTo(200);
        assertThat(get(port(), "/openapi.json").statusCode()).isEqualTo(200);
    }

    /** The headers the edge worker sends for a caller it verified, signed for GET {@code path}. */
    private static String[] edgeHeaders(String secret, String path, String... scopes) {
        Headers signed = new Headers();
        new EdgeSignature(secret, Clock.systemUTC())
                .sign(signed, "GET", path, new EdgeSignature.Identity("customer-7", "shop", Set.of(scopes)));
        return EdgeSignature.HEADERS.stream()
                .flatMap(name -> Stream.of(name, signed.getFirst(name)))
                .toArray(String[]::new);
    }

    @Test
    void shouldServeACallerTheEdgeVerifiedWithinItsTokenScopes() {
        String path = "/query/orders/" + ORDER;
        assertThat(get(port(), path, edgeHeaders(EDGE_SECRET, path, "query:read"))
                        .statusCode())
                .isEqualTo(200);
        assertProblem(get(port(), path, edgeHeaders(EDGE_SECRET, path, "orders:read")), 403, "forbidden");
        assertProblem(
                get(port(), path, edgeHeaders(EDGE_SECRET, "/query/orders/other", "query:read")),
                401,
                "invalid-edge-signature");
        assertProblem(
                get(port(), path, edgeHeaders("a-secret-the-edge-does-not-share-with-us", path, "query:read")),
                401,
                "invalid-edge-signature");
        String[] widened = edgeHeaders(EDGE_SECRET, path, "orders:read");
        widened[5] = "query:read";
        assertProblem(get(port(), path, widened), 401, "invalid-edge-signature");
    }

    @Test
    void shouldAnswer404ForAnUnknownIdAndEndpoint() {
        assertProblem(get(port(), "/query/orders/no-such-order-" + RUN, "Authorization", OPS), 404, "unknown-id");
        assertProblem(get(port(), "/query/stock/no-such-sku-" + RUN, "Authorization", OPS), 404, "unknown-id");
        assertProblem(get(port(), "/query/nothing/here", "Authorization", OPS), 404, "no-such-endpoint");
    }

    @Test
    void shouldAnswer400ForBadParameters() {
        assertProblem(
                get(port(), "/query/stock/" + SKU + "?asOf=yesterday", "Authorization", OPS), 400, "bad-parameter");
        assertProblem(get(port(), "/query/stock/" + SKU + "?at=1", "Authorization", OPS), 400, "bad-parameter");
        assertProblem(get(port(), "/query/orders/" + ORDER + "?asOf=1", "Authorization", OPS), 400, "bad-parameter");
        assertProblem(
                get(port(), "/query/rates/customer/tumbling/" + CUSTOMER + "?from=2000&to=1000", "Authorization", OPS),
                400,
                "bad-parameter");
        // An ISO-8601 instant beyond what epoch milliseconds can hold (year one billion).
        for (String kind : new String[] {"tumbling", "hopping"}) {
            assertProblem(
                    get(
                            port(),
                            "/query/rates/customer/" + kind + "/" + CUSTOMER + "?to=%2B1000000000-01-01T00:00:00Z",
                            "Authorization",
                            OPS),
                    400,
                    "bad-parameter");
        }
    }

    @Test
    void shouldReadTheStockLevelAsOfAPastTime() {
        await().atMost(Duration.ofSeconds(30))
                .untilAsserted(() -> assertThat(json(get(port(), "/query/stock/" + SKU, "Authorization", OPS))
                                .path("available")
                                .asLong())
                        .isEqualTo(40L));
        HttpResponse<String> now = get(port(), "/query/stock/" + SKU, "Authorization", OPS);
        HttpResponse<String> before = get(
                port(),
                "/query/stock/" + SKU + "?asOf=" + Instant.ofEpochMilli(RESERVED_AT - 60_000),
                "Authorization",
                OPS);
        assertThat(before.statusCode()).isEqualTo(200);
        assertThat(json(before).path("available").asLong()).isEqualTo(50);
        assertThat(json(before).path("reserved").asLong()).isZero();
        assertThat(json(now).path("reserved").asLong()).isEqualTo(10);
        assertThat(before.headers().firstValue("ETag"))
                .isNotEqualTo(now.headers().firstValue("ETag"));
        assertThat(before.headers().firstValue("Cache-Control"))
                .hasValue("public, max-age=600, stale-while-revalidate=3600");
        assertProblem(
                get(port(), "/query/stock/" + SKU + "?asOf=" + (RESTOCKED_AT - 60_000), "Authorization", OPS),
                404,
                "unknown-id");
    }

    @Test
    void shouldAnswerReadModelsSagasRatesAndLists() {
        JsonNode orders = json(get(port(), "/query/customers/" + CUSTOMER + "/orders", "Authorization", OPS));
        assertThat(orders.path("orders").get(0).path("orderId").asText()).isEqualTo(ORDER);

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            HttpResponse<String> saga = get(port(), "/query/sagas/" + ORDER, "Authorization", OPS);
            assertThat(saga.statusCode()).isEqualTo(200);
            assertThat(json(saga).path("sagaId").asText()).isEqualTo(ORDER);
        });

        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            JsonNode rates = json(get(port(), "/query/rates/customer/tumbling/" + CUSTOMER, "Authorization", OPS));
            assertThat(rates.path("windows")).hasSize(1);
            assertThat(rates.path("windows").get(0).path("value").path("count").asLong())
                    .isEqualTo(1);
            assertThat(rates.path("windows")
                            .get(0)
                            .path("value")
                            .path("sumCents")
                            .asLong())
                    .isEqualTo(500);
        });
        // Hopping windows (5 min by 1 min) are read as sums of the 1-minute tumbling windows: five hold the order.
        JsonNode hopping = json(get(port(), "/query/rates/customer/hopping/" + CUSTOMER, "Authorization", OPS));
        assertThat(hopping.path("windows")).hasSize(5);
        for (JsonNode window : hopping.path("windows")) {
            assertThat(window.path("value").path("count").asLong()).isEqualTo(1);
            assertThat(window.path("value").path("sumCents").asLong()).isEqualTo(500);
            assertThat(Duration.between(
                            Instant.parse(window.path("start").asText()),
                            Instant.parse(window.path("end").asText())))
                    .isEqualTo(Duration.ofMinutes(5));
        }
        JsonNode empty = json(get(
                port(),
                "/query/rates/customer/hopping/" + CUSTOMER + "?from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
                "Authorization",
                OPS));
        assertThat(empty.path("windows")).isEmpty();

        JsonNode items = json(get(port(), "/query/inventory/items", "Authorization", OPS));
        List<String> skus = items.path("items").findValuesAsText("key");
        assertThat(skus).contains(SKU);
        assertThat(items.path("count").asInt()).isEqualTo(skus.size());
    }

    @Test
    void shouldDescribeEveryEndpointInTheOpenApiDocument() {
        JsonNode doc = json(get(port(), "/openapi.json"));
        assertThat(doc.path("openapi").asText()).isEqualTo("3.1.0");
        for (QueryEndpoint endpoint : BulwarkQueries.registry(config).endpoints()) {
            assertThat(doc.path("paths").has(endpoint.path()))
                    .as(endpoint.path())
                    .isTrue();
        }
        assertThat(doc.path("components").path("securitySchemes").has("bearer")).isTrue();
    }

    @Test
    void shouldAnswer503WithRetryAfterWhenNoInstanceCanAnswer(KafkaService kafka) throws Exception {
        // A client that never starts: metadata is never available, so the bounded retry must end in 503.
        AppConfig config = BrokerApps.config(kafka, "query-never-" + RUN, Files.createTempDirectory("never"), Map.of());
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        try (KafkaStreams never = new KafkaStreams(BulwarkTopology.create(config), config.streamsProperties())) {
            QueryApi api = new QueryApi(
                    never,
                    new HostInfo("127.0.0.1", server.getAddress().getPort()),
                    BulwarkQueries.registry(config),
                    new QueryApi.Settings(
                            Duration.ofMillis(200),
                            Duration.ofMillis(300),
                            QueryAuth.open(),
                            config.cachePolicies(),
                            QueryApi.hopSecret("", "never", ""),
                            null),
                    new SimpleMeterRegistry());
            api.handlers().forEach(server::createContext);
            server.start();
            HttpResponse<String> response = get(server.getAddress().getPort(), "/query/orders/any");
            assertProblem(response, 503, "store-unavailable");
            assertThat(json(response).path("detail").asText())
                    .as("no internal state or exception text")
                    .isEqualTo("No instance could answer within 300 ms; retry after 1 s");
            assertThat(response.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(response.headers().firstValue("Cache-Control")).hasValue("no-store");
            assertProblem(get(server.getAddress().getPort(), "/query/inventory/items"), 503, "store-unavailable");
        } finally {
            server.stop(0);
        }
    }

    static void assertProblem(HttpResponse<String> response, int status, String code) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
        JsonNode problem = json(response);
        assertThat(problem.path("code").asText()).isEqualTo(code);
        assertThat(problem.path("status").asInt()).isEqualTo(status);
        assertThat(problem.path("type").asText()).endsWith("/" + code);
        assertThat(problem.path("detail").asText()).isNotBlank();
    }
}
