package io.bulwark.orders;

import static io.bulwark.orders.OrderApiFixture.FREE;
import static io.bulwark.orders.OrderApiFixture.SHOP;
import static io.bulwark.orders.OrderApiFixture.order;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.infra.KafkaService;
import io.bulwark.infra.PostgresService;
import io.bulwark.infra.RedisService;
import io.bulwark.infra.junit.SharedInfraExtension;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.Topics;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * order-api follows the saga: customers are provisioned per client, a cancel is a request, and the
 * outcomes on {@code bulwark.order.outcomes} — duplicated, late, unreadable — settle each order and its
 * credit exactly once.
 */
@ExtendWith(SharedInfraExtension.class)
class OrderOutcomesTest {

    private static final String JSON = "application/json";

    @Test
    void shouldRefuseCustomersTheClientDidNotProvision(PostgresService postgres, RedisService redis) throws Exception {
        try (OrderApiFixture api = new OrderApiFixture(
                postgres, redis, name -> {}, Map.of(OrderApiConfig.CUSTOMERS_AUTO_PROVISION, "false"))) {
            HttpResponse<String> unknown = api.post(
                    "/orders",
                    order("c-nobody", 1),
                    "Authorization",
                    SHOP,
                    "Content-Type",
                    JSON,
                    "Idempotency-Key",
                    "u-1");
            assertThat(unknown.statusCode()).as(unknown.body()).isEqualTo(422);
            assertThat(Json.mapper().readTree(unknown.body()).path("code").asText())
                    .isEqualTo("unknown-customer");
            assertThat(api.count("customer_credit"))
                    .as("a random id grows nothing")
                    .isZero();

            assertThat(api.put(
                                    "/customers/c-1",
                                    "{\"creditLimitCents\":5000}",
                                    "Authorization",
                                    SHOP,
                                    "Content-Type",
                                    JSON)
                            .statusCode())
                    .isEqualTo(201);
            HttpResponse<String> updated = api.put(
                    "/customers/c-1", "{\"creditLimitCents\":1000}", "Authorization", SHOP, "Content-Type", JSON);
            assertThat(updated.statusCode()).isEqualTo(200);
            assertThat(Json.mapper()
                            .readTree(updated.body())
                            .path("availableCents")
                            .asLong())
                    .isEqualTo(1000);
            assertThat(api.put(
                                    "/customers/c-1",
                                    "{\"creditLimitCents\":-5}",
                                    "Authorization",
                                    SHOP,
                                    "Content-Type",
                                    JSON)
                            .statusCode())
                    .isEqualTo(400);

            // Another client cannot charge, see or provision shop's customer: its c-1 is its own, unknown one.
            HttpResponse<String> foreign = api.post(
                    "/orders", order("c-1", 1), "Authorization", FREE, "Content-Type", JSON, "Idempotency-Key", "u-2");
            assertThat(Json.mapper().readTree(foreign.body()).path("code").asText())
                    .isEqualTo("unknown-customer");
            assertThat(api.get("/customers/c-1", "Authorization", FREE).statusCode())
                    .isEqualTo(404);
            assertThat(api.post(
                                    "/orders",
                                    order("c-1", 4),
                                    "Authorization",
                                    SHOP,
                                    "Content-Type",
                                    JSON,
                                    "Idempotency-Key",
                                    "u-3")
                            .statusCode())
                    .isEqualTo(201);
            assertThat(api.post(
                                    "/orders",
                                    order("c-1", 1),
                                    "Authorization",
                                    SHOP,
                                    "Content-Type",
                                    JSON,
                                    "Idempotency-Key",
                                    "u-4")
                            .statusCode())
                    .as("the provisioned limit holds")
                    .isEqualTo(422);
        }
    }

    @Test
    void shouldSettleEachOrderAndItsCreditOnceFromTheSagasOutcomes(
            PostgresService postgres, RedisService redis, KafkaService kafka) throws Exception {
        try (OrderApiFixture api = readingOutcomes(postgres, redis, kafka, Map.of());
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            api.put("/customers/c-1", "{\"creditLimitCents\":10000}", "Authorization", SHOP, "Content-Type", JSON);
            String confirmed = place(api, "a");
            String cancelled = place(api, "b");
            String rejected = place(api, "c");
            String running = place(api, "d");
            assertThat(credit(api).path("usedCents").asLong()).isEqualTo(4 * 1000);
            assertThat(api.post("/orders/" + cancelled + "/cancel", "", "Authorization", SHOP, "Idempotency-Key", "x-b")
                            .statusCode())
                    .isEqualTo(202);

            EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
            send(producer, serde, outcome(confirmed, "OrderConfirmed", null));
            send(producer, serde, outcome(cancelled, "OrderCancelled", "CANCELLED"));
            EventEnvelope rejection = outcome(rejected, "OrderRejected", "COMPENSATED");
            send(producer, serde, rejection);
            send(producer, serde, rejection); // a duplicate
            send(producer, serde, outcome(confirmed, "OrderCancelled", "CANCELLED")); // late: the order is confirmed
            send(producer, serde, outcome("ord-of-another-producer", "OrderRejected", "COMPENSATED"));
            producer.send(new ProducerRecord<>(
                    Topics.ORDER_OUTCOMES.name(),
                    confirmed.getBytes(StandardCharsets.UTF_8),
                    "not an envelope".getBytes(StandardCharsets.UTF_8)));
            producer.flush();

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(status(api, confirmed)).isEqualTo("CONFIRMED");
                assertThat(status(api, cancelled)).isEqualTo("CANCELLED");
                assertThat(status(api, rejected)).isEqualTo("REJECTED");
            });
            assertThat(status(api, running)).isEqualTo("PLACED");
            assertThat(credit(api).path("usedCents").asLong())
                    .as("credit of the confirmed and the running order; the others given back once")
                    .isEqualTo(2 * 1000);
            assertThat(api.count("orders", "order_id = '" + confirmed + "' AND outcome_event_id IS NOT NULL"))
                    .isEqualTo(1);

            HttpResponse<String> tooLate =
                    api.post("/orders/" + confirmed + "/cancel", "", "Authorization", SHOP, "Idempotency-Key", "x-a");
            assertThat(tooLate.statusCode()).isEqualTo(409);
            assertThat(Json.mapper().readTree(tooLate.body()).path("code").asText())
                    .isEqualTo("order-not-cancellable");
            assertThat(api.post(
                                    "/orders/" + cancelled + "/cancel",
                                    "",
                                    "Authorization",
                                    SHOP,
                                    "Idempotency-Key",
                                    "x-b2")
                            .statusCode())
                    .as("already cancelled")
                    .isEqualTo(200);
            assertThat(api.app.health()).containsEntry("outcomes", true);
        }
    }

    /**
     * Orders that stayed open past the admission target close admission to part of the new orders: a refused
     * order is 503 overloaded and writes nothing, its key stays free for the retry, and the retry of an order
     * already placed is answered as always.
     */
    @Test
    void shouldRefuseSomeNewOrdersWhileOrdersSettleSlowerThanTheTarget(
            PostgresService postgres, RedisService redis, KafkaService kafka) throws Exception {
        try (OrderApiFixture api = readingOutcomes(
                        postgres,
                        redis,
                        kafka,
                        Map.of(
                                OrderApiConfig.ADMISSION_TARGET_MS,
                                "5000",
                                OrderApiConfig.ADMISSION_WINDOW_MS,
                                "2000"));
                KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            api.put("/customers/c-1", "{\"creditLimitCents\":1000000}", "Authorization", SHOP, "Content-Type", JSON);
            List<String> old = new ArrayList<>();
            for (int i = 0; i < 150; i++) {
                old.add(place(api, "old-" + i));
            }
            // Placed a minute ago, as far as the database knows: every order settled from now on waited.
            api.execute("UPDATE {schema}.orders SET created_at = now() - interval '1 minute'");
            EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
            // Their outcomes trickle in, one every 50 ms for 7.5 s: settled orders in every part of the window.
            Queue<String> unsettled = new ConcurrentLinkedQueue<>(old);
            ScheduledExecutorService saga = Executors.newSingleThreadScheduledExecutor();
            saga.scheduleAtFixedRate(
                    () -> {
                        String orderId = unsettled.poll();
                        if (orderId != null) {
                            send(producer, serde, outcome(orderId, "OrderConfirmed", null));
                            producer.flush();
                        }
                    },
                    0,
                    50,
                    TimeUnit.MILLISECONDS);

            long ordersBefore = api.count("orders");
            long usedBefore = credit(api).path("usedCents").asLong();
            AtomicInteger attempts = new AtomicInteger();
            AtomicInteger placedMeanwhile = new AtomicInteger();
            AtomicReference<HttpResponse<String>> refusal = new AtomicReference<>();
            await().atMost(Duration.ofSeconds(30))
                    .pollInterval(Duration.ofMillis(50))
                    .alias("a new order refused while the backlog lasts")
                    .until(() -> {
                        HttpResponse<String> answer = postOrder(api, "new-" + attempts.incrementAndGet(), 1);
                        if (answer.statusCode() == 503) {
                            refusal.set(answer);
                            return true;
                        }
                        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
                        placedMeanwhile.incrementAndGet();
                        return false;
                    });
            HttpResponse<String> refused = refusal.get();
            String refusedKey = "new-" + attempts.get();
            ordersBefore += placedMeanwhile.get();
            usedBefore += 250L * placedMeanwhile.get();
            assertThat(Json.mapper().readTree(refused.body()).path("code").asText())
                    .isEqualTo("overloaded");
            assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(api.count("orders")).as("nothing written").isEqualTo(ordersBefore);
            assertThat(credit(api).path("usedCents").asLong())
                    .as("nothing charged")
                    .isEqualTo(usedBefore);

            HttpResponse<String> replay = postOrder(api, "place-old-0", 4);
            assertThat(replay.statusCode())
                    .as("a placed order's retry is never refused")
                    .isEqualTo(201);
            assertThat(replay.headers().firstValue("Idempotent-Replayed")).hasValue("true");

            await().atMost(Duration.ofSeconds(90))
                    .pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> {
                        HttpResponse<String> retried = postOrder(api, refusedKey, 1);
                        assertThat(retried.statusCode())
                                .as("the refused order's key is free for its retry: " + retried.body())
                                .isEqualTo(201);
                    });
            saga.shutdownNow();
            assertThat(saga.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        }
    }

    private static void createOutcomeTopic(KafkaService kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            try {
                admin.createTopics(List.of(new NewTopic(Topics.ORDER_OUTCOMES.name(), 3, (short) 1)))
                        .all()
                        .get();
            } catch (ExecutionException exists) {
                // created by another test in this JVM
            }
            TopicLeaders.await(admin, List.of(Topics.ORDER_OUTCOMES.name()), Duration.ofSeconds(60));
        }
    }

    private static String place(OrderApiFixture api, String key) throws Exception {
        HttpResponse<String> placed = postOrder(api, "place-" + key, 4);
        assertThat(placed.statusCode()).as(placed.body()).isEqualTo(201);
        return Json.mapper().readTree(placed.body()).path("orderId").asText();
    }

    private static HttpResponse<String> postOrder(OrderApiFixture api, String key, int quantity) {
        return api.post(
                "/orders", order("c-1", quantity), "Authorization", SHOP, "Content-Type", JSON, "Idempotency-Key", key);
    }

    /** An order-api whose outcome reader follows {@code bulwark.order.outcomes} in a group of its own. */
    private static OrderApiFixture readingOutcomes(
            PostgresService postgres, RedisService redis, KafkaService kafka, Map<String, String> extra)
            throws Exception {
        createOutcomeTopic(kafka);
        Map<String, String> flags = new HashMap<>(Map.of(
                OrderApiConfig.CUSTOMERS_AUTO_PROVISION,
                "false",
                OrderApiConfig.OUTCOMES_ENABLED,
                "true",
                OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS,
                kafka.bootstrapServers(),
                OrderApiConfig.OUTCOMES_GROUP_ID,
                "outcomes-" + UUID.randomUUID().toString().substring(0, 8)));
        flags.putAll(extra);
        return new OrderApiFixture(postgres, redis, name -> {}, flags);
    }

    private static JsonNode credit(OrderApiFixture api) throws Exception {
        return Json.mapper()
                .readTree(api.get("/customers/c-1", "Authorization", SHOP).body());
    }

    private static String status(OrderApiFixture api, String orderId) throws Exception {
        return Json.mapper()
                .readTree(api.get("/orders/" + orderId, "Authorization", SHOP).body())
                .path("status")
                .asText();
    }

    private static EventEnvelope outcome(String orderId, String type, String sagaStatus) {
        var payload = Json.mapper().createObjectNode().put("orderId", orderId);
        if (sagaStatus != null) {
            payload.put("reason", "test").put("sagaStatus", sagaStatus);
        }
        return new EventEnvelope(
                UUID.randomUUID(), type, "order", orderId, null, Instant.now(), orderId, null, null, payload);
    }

    private static void send(KafkaProducer<byte[], byte[]> producer, EventEnvelopeSerde serde, EventEnvelope outcome) {
        RecordHeaders headers = new RecordHeaders();
        byte[] value = serde.serializer().serialize(Topics.ORDER_OUTCOMES.name(), headers, outcome);
        producer.send(new ProducerRecord<>(
                Topics.ORDER_OUTCOMES.name(),
                null,
                outcome.aggregateId().getBytes(StandardCharsets.UTF_8),
                value,
                headers));
    }
}
