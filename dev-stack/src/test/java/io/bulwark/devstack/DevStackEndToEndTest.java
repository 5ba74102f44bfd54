package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.Ports;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The whole system as a user runs it — {@code DevStack} in its own process — driven over its public
 * surfaces: {@code POST /orders} on order-api → outbox → Debezium relay → dedup → saga → inventory →
 * payment worker (→ simulated gateway) → outcome, read back through the query API. Then a declined
 * payment is compensated with its stock released; a duplicated request and a duplicated outbox
 * delivery have exactly one effect; and SIGTERM stops everything, leaving no process or port behind.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DevStackEndToEndTest {

    private static final Pattern PORT = Pattern.compile("(?:127\\.0\\.0\\.1|localhost):(\\d+)");
    private static final Pattern KEY = Pattern.compile("X-API-Key: ([^;\\s]+)");
    private static final Duration END_TO_END_BOUND = Duration.ofSeconds(30);

    private final Path log = Path.of("target", "dev-stack-process-test.log");
    private final HttpClient http = HttpClient.newHttpClient();
    private final String run = UUID.randomUUID().toString().substring(0, 8);
    private Path dataDir;
    private Process process;
    private String kafka;
    private String jdbcUrl;
    private int streamsPort;
    private int ordersPort;
    private int gatewayPort;
    private int edgePort;
    private String apiKey;
    private final List<Integer> ports = new ArrayList<>();

    @BeforeAll
    void start() throws Exception {
        dataDir = Files.createTempDirectory("dev-stack-e2e");
        process = DevStackProcess.onFreePorts(dataDir, log, "--edge-port", "0", "--edge-dir", "../edge")
                .start();
        await().atMost(Duration.ofSeconds(120))
                .failFast("dev-stack exited early", () -> !process.isAlive())
                .until(() -> output().stream().anyMatch(line -> line.startsWith(DevStack.READY_LINE)));
        List<String> output = output();
        for (String service : List.of("Kafka", "PostgreSQL", "Redis", "Streams app", "Order API", "Gateway", "Edge")) {
            String line = output.stream()
                    .filter(l -> l.stripLeading().startsWith(service + " "))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no address printed for " + service + ": " + output));
            Matcher port = PORT.matcher(line);
            assertThat(port.find()).as(line).isTrue();
            ports.add(Integer.parseInt(port.group(1)));
            switch (service) {
                case "Kafka" -> kafka = "127.0.0.1:" + port.group(1);
                case "PostgreSQL" ->
                    jdbcUrl = line.substring(line.indexOf("jdbc:"), line.indexOf("  ("))
                            .trim();
                case "Streams app" -> streamsPort = Integer.parseInt(port.group(1));
                case "Gateway" -> gatewayPort = Integer.parseInt(port.group(1));
                case "Edge" -> edgePort = Integer.parseInt(port.group(1));
                case "Order API" -> {
                    ordersPort = Integer.parseInt(port.group(1));
                    Matcher key = KEY.matcher(line);
                    assertThat(key.find()).as(line).isTrue();
                    apiKey = key.group(1);
                }
                default -> {}
            }
        }
    }

    @AfterAll
    void killLeftovers() {
        if (process != null && process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
    }

    @Test
    @Order(1)
    void shouldReportEveryComponentHealthy() throws Exception {
        HttpResponse<String> health = get(streamsPort, "/health");
        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body())
                .contains("\"outbox-relay\":{\"status\":\"UP\"")
                .contains("\"order-api\":{\"status\":\"UP\"")
                .contains("\"paymentWorker\":true");
        assertThat(get(ordersPort, "/health").statusCode()).isEqualTo(200);
    }

    @Test
    @Order(2)
    void shouldConfirmAnOrderPlacedOverHttpAndShowItInTheQueryApi() throws Exception {
        String sku = "sku-e2e-" + run + "-ok";
        restock(sku, 100);
        long began = System.nanoTime();
        HttpResponse<String> placed = place("c-" + run + "-ok", sku, 2, 1_000, "ok-" + run);
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        String orderId = Json.mapper().readTree(placed.body()).path("orderId").asText();

        await().atMost(END_TO_END_BOUND)
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(status(orderId))
                        .as(
                                "order %s, saga %s",
                                orderId,
                                get(streamsPort, "/query/sagas/" + orderId).body())
                        .isEqualTo("CONFIRMED"));
        System.out.printf(
                "e2e: POST /orders -> CONFIRMED in the query API in %d ms%n", (System.nanoTime() - began) / 1_000_000);
        JsonNode saga = Json.mapper()
                .readTree(get(streamsPort, "/query/sagas/" + orderId).body());
        assertThat(saga.path("status").asText()).isEqualTo("COMPLETED");
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode stock = Json.mapper()
                    .readTree(get(streamsPort, "/query/stock/" + sku).body());
            assertThat(stock.path("available").asLong()).isEqualTo(98);
            assertThat(stock.path("reserved").asLong())
                    .as("the reservation was committed: a sale")
                    .isZero();
        });
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(orderApiStatus(orderId))
                        .as("order-api follows the saga")
                        .isEqualTo("CONFIRMED"));
        assertThat(usedCredit("c-" + run + "-ok")).isEqualTo(2_000);
    }

    @Test
    @Order(3)
    void shouldCompensateADeclinedPaymentAndReleaseTheStock() throws Exception {
        String sku = "sku-e2e-" + run + "-declined";
        restock(sku, 10);
        // The simulated gateway declines amounts ending in 13 cents.
        HttpResponse<String> placed = place("c-" + run + "-declined", sku, 1, 1_013, "declined-" + run);
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        String orderId = Json.mapper().readTree(placed.body()).path("orderId").asText();

        await().atMost(END_TO_END_BOUND)
                .pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(status(orderId))
                        .as(
                                "order %s, saga %s",
                                orderId,
                                get(streamsPort, "/query/sagas/" + orderId).body())
                        .isEqualTo("REJECTED"));
        JsonNode saga = Json.mapper()
                .readTree(get(streamsPort, "/query/sagas/" + orderId).body());
        assertThat(saga.path("status").asText()).isEqualTo("COMPENSATED");
        assertThat(saga.path("reason").asText()).contains("declined");
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode stock = Json.mapper()
                    .readTree(get(streamsPort, "/query/stock/" + sku).body());
            assertThat(stock.path("available").asLong()).as("released").isEqualTo(10);
            assertThat(stock.path("reserved").asLong()).isZero();
        });
        await().atMost(Duration.ofSeconds(15))
                .untilAsserted(() -> assertThat(orderApiStatus(orderId)).isEqualTo("REJECTED"));
        assertThat(usedCredit("c-" + run + "-declined"))
                .as("a rejected order's credit comes back")
                .isZero();
    }

    @Test
    @Order(4)
    void shouldHaveOneEffectForADuplicatedRequestAndADuplicatedDelivery() throws Exception {
        String sku = "sku-e2e-" + run + "-dup";
        String customer = "c-" + run + "-dup";
        restock(sku, 50);
        HttpResponse<String> first = place(customer, sku, 3, 500, "dup-" + run);
        HttpResponse<String> again = place(customer, sku, 3, 500, "dup-" + run);
        assertThat(first.statusCode()).isEqualTo(201);
        assertThat(again.statusCode()).isEqualTo(201);
        assertThat(again.headers().firstValue("Idempotent-Replayed")).hasValue("true");
        String orderId = Json.mapper().readTree(first.body()).path("orderId").asText();
        assertThat(Json.mapper().readTree(again.body()).path("orderId").asText())
                .isEqualTo(orderId);
        await().atMost(END_TO_END_BOUND).until(() -> status(orderId).equals("CONFIRMED"));

        // A duplicated delivery: the relay re-publishes the same OrderPlaced record (as after a crash
        // between publishing and recording its offset).
        RecordMetadata duplicate;
        try (KafkaConsumer<byte[], byte[]> orders =
                        KafkaClients.bytesConsumer(kafka, Topics.ORDER_EVENTS.name(), "earliest");
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka)) {
            ConsumerRecord<byte[], byte[]> original = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (original == null && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : orders.poll(Duration.ofMillis(200))) {
                    if (r.key() != null && new String(r.key(), StandardCharsets.UTF_8).equals(orderId)) {
                        original = r;
                    }
                }
            }
            assertThat(original).as("the relay published %s", orderId).isNotNull();
            duplicate = producer.send(new ProducerRecord<>(
                            original.topic(), null, original.key(), original.value(), original.headers()))
                    .get();
        }
        // Wait until the streams app has committed past the duplicate: it was processed (and dropped).
        TopicPartition partition = new TopicPartition(duplicate.topic(), duplicate.partition());
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka))) {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                var committed = admin.listConsumerGroupOffsets("bulwark-streams")
                        .partitionsToOffsetAndMetadata()
                        .get()
                        .get(partition);
                return committed != null && committed.offset() > duplicate.offset();
            });
        }

        assertThat(countRows("SELECT count(*) FROM bulwark.orders WHERE customer_id = ?", customer))
                .isEqualTo(1);
        assertThat(countRows("SELECT count(*) FROM bulwark.bulwark_outbox WHERE aggregate_id = ?", orderId))
                .isEqualTo(1);
        JsonNode history = Json.mapper()
                .readTree(get(streamsPort, "/query/customers/" + customer + "/orders")
                        .body());
        assertThat(history.path("totalOrders").asLong()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            JsonNode stock = Json.mapper()
                    .readTree(get(streamsPort, "/query/stock/" + sku).body());
            assertThat(stock.path("available").asLong()).as("sold once").isEqualTo(47);
            assertThat(stock.path("reserved").asLong()).isZero();
        });
        assertThat(status(orderId)).isEqualTo("CONFIRMED");
    }

    @Test
    @Order(5)
    void shouldCancelAnOrderWhosePaymentIsInFlightAndGiveEverythingBack() throws Exception {
        String sku = "sku-e2e-" + run + "-cancel";
        String customer = "c-" + run + "-cancel";
        restock(sku, 10);
        HttpResponse<String> slow = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/faults"))
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"latencyMs\":2500}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(slow.statusCode()).isEqualTo(200);
        long openBefore = Json.mapper()
                .readTree(get(gatewayPort, "/stats").body())
                .path("openAuthorizations")
                .asLong();
        try {
            HttpResponse<String> placed = place(customer, sku, 4, 500, "cancel-" + run);
            String orderId =
                    Json.mapper().readTree(placed.body()).path("orderId").asText();
            // Cancel once the stock is reserved and the payment asked for (with it): the authorization is in flight.
            await().atMost(END_TO_END_BOUND).until(() -> {
                JsonNode saga = Json.mapper()
                        .readTree(get(streamsPort, "/query/sagas/" + orderId).body());
                return saga.path("status").asText().equals("RUNNING")
                        && saga.path("touched").toString().contains("reserve-stock")
                        && saga.path("pending").size() == 1;
            });
            HttpResponse<String> cancel = http.send(
                    HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + ordersPort + "/orders/" + orderId + "/cancel"))
                            .header("X-API-Key", apiKey)
                            .header("Idempotency-Key", "cancel-req-" + run)
                            .POST(HttpRequest.BodyPublishers.noBody())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(cancel.statusCode()).as(cancel.body()).isEqualTo(202);

            await().atMost(END_TO_END_BOUND).untilAsserted(() -> {
                assertThat(status(orderId)).isEqualTo("CANCELLED");
                assertThat(orderApiStatus(orderId)).isEqualTo("CANCELLED");
            });
            assertThat(usedCredit(customer)).as("credit back").isZero();
            await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
                JsonNode stock = Json.mapper()
                        .readTree(get(streamsPort, "/query/stock/" + sku).body());
                assertThat(stock.path("available").asLong()).as("released").isEqualTo(10);
                assertThat(stock.path("reserved").asLong()).isZero();
            });
            await().atMost(Duration.ofSeconds(15))
                    .untilAsserted(() -> assertThat(Json.mapper()
                                    .readTree(get(gatewayPort, "/stats").body())
                                    .path("openAuthorizations")
                                    .asLong())
                            .as("the authorization that completed after the cancel was voided")
                            .isEqualTo(openBefore));
        } finally {
            http.send(
                    HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gatewayPort + "/faults"))
                            .PUT(HttpRequest.BodyPublishers.ofString("{}"))
                            .build(),
                    HttpResponse.BodyHandlers.discarding());
        }
    }

    @Test
    @Order(6)
    void shouldServeCachedReadsAndATokenAuthenticatedOrderThroughTheEdge() throws Exception {
        String token = Files.readString(dataDir.resolve("edge-token")).trim();
        String sku = "sku-e2e-" + run + "-edge";
        restock(sku, 20);

        assertThat(edgeGet("/query/inventory/items/" + sku, null).statusCode())
                .as("no token, no origin request")
                .isEqualTo(401);
        byte[] key = DevSecrets.secret(dataDir.resolve("edge-signing-key"), 32);
        String readOnly = EdgeWorker.mint(
                key,
                Map.of(
                        "sub",
                        "reader",
                        "aud",
                        "bulwark",
                        "client_id",
                        "dev",
                        "scope",
                        "query:read",
                        "exp",
                        Instant.now().getEpochSecond() + 600));
        assertThat(edgePost("/orders", readOnly, "{}", "edge-scope-" + run).statusCode())
                .isEqualTo(403);

        // A past state is cached for a minute (stock-level-as-of=60/600): MISS, then HIT.
        await().atMost(Duration.ofSeconds(30))
                .until(() -> get(streamsPort, "/query/stock/" + sku).statusCode() == 200);
        String asOf = "/query/stock/" + sku + "?asOf=" + Instant.now();
        assertThat(cacheState(edgeGet(asOf, token))).isEqualTo("MISS");
        HttpResponse<String> hit = edgeGet(asOf, token);
        assertThat(cacheState(hit)).isEqualTo("HIT");
        assertThat(hit.headers().firstValue("Bulwark-Region")).hasValue("local");

        // The current state lives 1 s, then 5 s stale-while-revalidate: STALE (revalidated behind it),
        // then HIT again; after the whole window it is revalidated in line with a 304: REVALIDATED.
        String current = "/query/inventory/items/" + sku;
        assertThat(cacheState(edgeGet(current, token))).isEqualTo("MISS");
        await().atMost(Duration.ofSeconds(20))
                .pollInterval(Duration.ofMillis(250))
                .until(() -> cacheState(edgeGet(current, token)).equals("STALE"));
        await().atMost(Duration.ofSeconds(5))
                .pollInterval(Duration.ofMillis(100))
                .until(() -> cacheState(edgeGet(current, token)).equals("HIT"));
        await().pollDelay(Duration.ofSeconds(7))
                .atMost(Duration.ofSeconds(30))
                .until(() -> cacheState(edgeGet(current, token)).equals("REVALIDATED"));

        // An order with the token: the edge signs the caller's identity, order-api serves client "dev".
        String customer = "c-" + run + "-edge";
        HttpResponse<String> provisioned = http.send(
                HttpRequest.newBuilder(URI.create(edge("/customers/" + customer)))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"creditLimitCents\":100000}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(provisioned.statusCode()).as(provisioned.body()).isEqualTo(201);
        String body = "{\"customerId\":\"" + customer + "\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"" + sku
                + "\",\"quantity\":2,\"unitPriceCents\":700}]}";
        HttpResponse<String> placed = edgePost("/orders", token, body, "edge-" + run);
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        assertThat(placed.headers().firstValue("Bulwark-Region")).hasValue("local");
        String orderId = Json.mapper().readTree(placed.body()).path("orderId").asText();
        await().atMost(END_TO_END_BOUND)
                .untilAsserted(() -> assertThat(Json.mapper()
                                .readTree(edgeGet("/orders/" + orderId, token).body())
                                .path("status")
                                .asText())
                        .isEqualTo("CONFIRMED"));
        assertThat(usedCredit(customer))
                .as("the order is client dev's, seen with dev's API key")
                .isEqualTo(1_400);
    }

    @Test
    @Order(7)
    void shouldFailAReadOverToTheNextRegionWhenOneOriginIsDown() throws Exception {
        Path regions = dataDir.resolve("edge-regions-test.json");
        int dead = Ports.freePort();
        Files.writeString(
                regions,
                "[{\"name\":\"down\",\"query\":\"http://127.0.0.1:" + dead + "\",\"orders\":"
                        + "\"http://127.0.0.1:" + dead + "\"},{\"name\":\"up\",\"query\":\"http://127.0.0.1:"
                        + streamsPort
                        + "\",\"orders\":\"http://127.0.0.1:" + ordersPort + "\"}]");
        Path edgeData = Files.createDirectories(dataDir.resolve("edge-failover"));
        try (EdgeWorker twoRegions = EdgeWorker.start(
                Path.of("../edge").toAbsolutePath().normalize(),
                edgeData,
                0,
                List.of("--regions-file", regions.toString()),
                Files.readString(dataDir.resolve("edge-origin-secret")).trim(),
                DevSecrets.secret(dataDir.resolve("edge-signing-key"), 32))) {
            HttpResponse<String> read = http.send(
                    HttpRequest.newBuilder(
                                    URI.create(twoRegions.baseUrl() + "/query/customers/c-" + run + "-ok/orders"))
                            .header(
                                    "Authorization",
                                    "Bearer "
                                            + Files.readString(dataDir.resolve("edge-token"))
                                                    .trim())
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(read.statusCode()).as(read.body()).isEqualTo(200);
            assertThat(read.headers().firstValue("Bulwark-Region")).hasValue("up");
        }
    }

    @Test
    @Order(8)
    void shouldStopOnSigtermLeavingNothingBehind() throws Exception {
        assertThat(ports)
                .allSatisfy(port ->
                        assertThat(Ports.isListening(port)).as("port %d", port).isTrue());
        Set<ProcessHandle> children = new HashSet<>(process.descendants().toList());
        ProcessHandle.allProcesses()
                .filter(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains(dataDir.toString()))
                        .orElse(false))
                .forEach(children::add); // postgres detaches from its parent; find it by its data directory
        assertThat(children).as("redis and postgres processes").hasSizeGreaterThanOrEqualTo(2);

        process.destroy(); // SIGTERM
        assertThat(process.waitFor(60, TimeUnit.SECONDS))
                .as("dev-stack exits after SIGTERM")
                .isTrue();
        assertThat(process.exitValue()).isIn(0, 143);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(children).noneMatch(ProcessHandle::isAlive);
            assertThat(ports).noneMatch(Ports::isListening);
        });
        assertThat(output()).anyMatch(line -> line.contains("PostgreSQL on port " + ports.get(1) + " stopped"));
    }

    private String edge(String path) {
        return "http://127.0.0.1:" + edgePort + path;
    }

    private HttpResponse<String> edgeGet(String path, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(edge(path)));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> edgePost(String path, String token, String body, String idempotencyKey)
            throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create(edge(path)))
                        .header("Authorization", "Bearer " + token)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", idempotencyKey)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String cacheState(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return response.headers().firstValue("Bulwark-Cache").orElse("");
    }

    private String status(String orderId) throws Exception {
        HttpResponse<String> response = get(streamsPort, "/query/orders/" + orderId);
        return response.statusCode() == 200
                ? Json.mapper().readTree(response.body()).path("status").asText()
                : "";
    }

    private long countRows(String sql, String value) throws Exception {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "postgres", "");
                PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, value);
            try (ResultSet row = statement.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    private void restock(String sku, int quantity) throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka)) {
            producer.send(new ProducerRecord<>(
                            Topics.INVENTORY_COMMANDS.name(),
                            sku.getBytes(StandardCharsets.UTF_8),
                            Json.mapper()
                                    .writerFor(InventoryCommand.class)
                                    .writeValueAsBytes(
                                            new InventoryCommand.Restock(UUID.randomUUID(), sku, null, quantity))))
                    .get();
        }
        await().atMost(Duration.ofSeconds(30))
                .until(() -> get(streamsPort, "/query/inventory/items/" + sku).statusCode() == 200);
    }

    private String orderApiStatus(String orderId) throws Exception {
        return Json.mapper()
                .readTree(http.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + ordersPort + "/orders/" + orderId))
                                        .header("X-API-Key", apiKey)
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body())
                .path("status")
                .asText();
    }

    private long usedCredit(String customer) throws Exception {
        return Json.mapper()
                .readTree(http.send(
                                HttpRequest.newBuilder(
                                                URI.create("http://127.0.0.1:" + ordersPort + "/customers/" + customer))
                                        .header("X-API-Key", apiKey)
                                        .build(),
                                HttpResponse.BodyHandlers.ofString())
                        .body())
                .path("usedCents")
                .asLong();
    }

    /** Provisions the customer (a PUT: repeating it changes nothing), then places the order. */
    private HttpResponse<String> place(String customer, String sku, int quantity, long unitPriceCents, String key)
            throws Exception {
        HttpResponse<String> provisioned = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ordersPort + "/customers/" + customer))
                        .header("X-API-Key", apiKey)
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"creditLimitCents\":1000000}"))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(provisioned.statusCode()).as(provisioned.body()).isBetween(200, 201);
        String body = "{\"customerId\":\"" + customer + "\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\"" + sku
                + "\",\"quantity\":" + quantity + ",\"unitPriceCents\":" + unitPriceCents + "}]}";
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ordersPort + "/orders"))
                        .header("X-API-Key", apiKey)
                        .header("Content-Type", "application/json")
                        .header("Idempotency-Key", key)
                        .POST(HttpRequest.BodyPublishers.ofString(body))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private List<String> output() throws IOException {
        return Files.readAllLines(log, StandardCharsets.UTF_8);
    }
}
