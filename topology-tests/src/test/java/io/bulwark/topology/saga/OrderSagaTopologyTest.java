package io.bulwark.topology.saga;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.DeadLetterHeaders;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.aggregate.inventory.InventoryItem;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.fulfilment.OrderFulfilmentSaga;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaState;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order-fulfilment saga with the real inventory aggregate; the test plays the payment worker. */
class OrderSagaTopologyTest {

    private static final EventSchemas SCHEMAS = EventSchemas.load();

    @TempDir
    Path stateDir;

    private TestTopology topology;
    private TestInputTopic<String, byte[]> inventoryCommands;
    private TestInputTopic<String, EventEnvelope> paymentReplies;
    private TestOutputTopic<String, EventEnvelope> paymentCommands;
    private TestOutputTopic<String, EventEnvelope> outcomes;

    @BeforeEach
    void setUp() {
        start(stateDir, false);
    }

    /** The app's topology with this test's saga settings; {@code paymentAfterStock} as the setting says. */
    private void start(Path dir, boolean paymentAfterStock) {
        if (topology != null) {
            topology.close();
        }
        topology = new TestTopology(
                dir,
                Map.of(
                        AppConfig.SAGA_STEP_TIMEOUT_MS,
                        "1000",
                        AppConfig.SAGA_MAX_ATTEMPTS,
                        "2",
                        AppConfig.SAGA_RETRY_BACKOFF_MS,
                        "100",
                        AppConfig.SAGA_PAYMENT_AFTER_STOCK,
                        Boolean.toString(paymentAfterStock)));
        inventoryCommands = topology.driver.createInputTopic(
                Topics.INVENTORY_COMMANDS.name(), new StringSerializer(), new ByteArraySerializer());
        paymentReplies = topology.driver.createInputTopic(
                Topics.PAYMENT_EVENTS.name(),
                new StringSerializer(),
                EventEnvelopeSerde.inHeaders().serializer());
        paymentCommands = topology.driver.createOutputTopic(
                Topics.PAYMENT_COMMANDS.name(),
                new StringDeserializer(),
                EventEnvelopeSerde.inHeaders(SCHEMAS).deserializer());
        outcomes = topology.driver.createOutputTopic(
                Topics.ORDER_OUTCOMES.name(),
                new StringDeserializer(),
                EventEnvelopeSerde.inHeaders(SCHEMAS).deserializer());
        restock("sku-1", 10);
    }

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void shouldReserveStockAuthorizePaymentAndConfirm() {
        topology.pipe(TestTopology.order("o-1", "c-1", null, 500), 1_000);
        EventEnvelope authorize = paymentCommands.readValue();
        assertThat(authorize.type()).isEqualTo("AuthorizePayment");
        assertThat(authorize.payload().path("amountCents").asLong()).isEqualTo(500);

        reply(authorize, "PaymentAuthorized", Map.of());

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderConfirmed");
        assertThat(saga("o-1").status()).isEqualTo(SagaState.Status.COMPLETED);
        assertThat(item("sku-1").available()).isEqualTo(9);
        assertThat(item("sku-1").reservations())
                .as("the reservation became a sale: the item forgets the order")
                .isEmpty();
    }

    @Test
    void shouldCancelARunningSagaUndoingWhatItSentAndIgnoreTheLateAuthorization() {
        topology.pipe(TestTopology.order("o-c1", "c-1", null, 500), 1_000);
        EventEnvelope authorize = paymentCommands.readValue();
        assertThat(item("sku-1").available()).isEqualTo(9);

        topology.pipe(cancelRequest("o-c1"), 1_100);

        EventEnvelope cancelled = outcomes.readValue();
        assertThat(cancelled.type()).isEqualTo("OrderCancelled");
        assertThat(cancelled.payload().path("sagaStatus").asText()).isEqualTo("CANCELLED");
        assertThat(saga("o-c1").status()).isEqualTo(SagaState.Status.CANCELLED);
        assertThat(item("sku-1").available()).as("stock released").isEqualTo(10);
        assertThat(paymentCommands.readValue().type())
                .as("the authorization in flight is voided after it")
                .isEqualTo("VoidPayment");

        reply(authorize, "PaymentAuthorized", Map.of()); // arrives after the cancel
        assertThat(outcomes.isEmpty()).as("one outcome per order").isTrue();
        assertThat(paymentCommands.isEmpty())
                .as("its void was already sent, once")
                .isTrue();
        topology.pipe(cancelRequest("o-c1"), 1_200); // a second request changes nothing
        assertThat(outcomes.isEmpty()).isTrue();
    }

    @Test
    void shouldLeaveAConfirmedOrderConfirmedWhenItsCancelArrivesLate() {
        topology.pipe(TestTopology.order("o-c2", "c-1", null, 500), 1_000);
        reply(paymentCommands.readValue(), "PaymentAuthorized", Map.of());
        assertThat(outcomes.readValue().type()).isEqualTo("OrderConfirmed");

        topology.pipe(cancelRequest("o-c2"), 1_100);

        assertThat(outcomes.isEmpty()).isTrue();
        assertThat(paymentCommands.isEmpty()).as("nothing is undone").isTrue();
        assertThat(saga("o-c2").status()).isEqualTo(SagaState.Status.COMPLETED);
        assertThat(item("sku-1").available()).isEqualTo(9);
    }

    @Test
    void shouldEndASagaCancelledBeforeItsTriggerWithoutStartingIt() {
        topology.pipe(cancelRequest("o-c3"), 900);
        topology.pipe(TestTopology.order("o-c3", "c-1", null, 500), 1_000);

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderCancelled");
        assertThat(paymentCommands.isEmpty()).isTrue();
        assertThat(item("sku-1").available()).as("nothing reserved").isEqualTo(10);
    }

    @Test
    void shouldDeleteAnEndedSagaAfterItsRetention(@TempDir Path otherDir) {
        try (TestTopology shortLived = new TestTopology(
                otherDir, Map.of(AppConfig.SAGA_RETENTION_MS, "60000", AppConfig.DEDUP_RETENTION_MS, "60000"))) {
            shortLived.pipe(TestTopology.order("o-r1", "c-1", null, 500), 1_000); // no stock: rejected at once
            KeyValueStore<String, SagaState> states = shortLived.driver.getKeyValueStore(
                    OrderFulfilmentSaga.definition(Duration.ofSeconds(1), 1, Duration.ofSeconds(1))
                            .statesStore());
            assertThat(states.get("o-r1").terminal()).isTrue();

            shortLived.driver.advanceWallClockTime(Duration.ofSeconds(59));
            assertThat(states.get("o-r1")).as("queryable during its retention").isNotNull();
            shortLived.driver.advanceWallClockTime(Duration.ofSeconds(2));
            assertThat(states.get("o-r1")).as("deleted after it").isNull();
        }
    }

    @Test
    void shouldRefuseASagaRetentionShorterThanTheDedupWindow(@TempDir Path otherDir) {
        assertThatThrownBy(() -> new TestTopology(otherDir, Map.of(AppConfig.SAGA_RETENTION_MS, "60000")))
                .hasMessageContaining(AppConfig.SAGA_RETENTION_MS)
                .hasMessageContaining(AppConfig.DEDUP_RETENTION_MS);
    }

    @Test
    void shouldReleaseStockAndRejectWhenPaymentIsDeclined() {
        topology.pipe(TestTopology.order("o-2", "c-1", null, 500), 1_000);
        reply(paymentCommands.readValue(), "PaymentDeclined", Map.of("reason", "card expired"));

        EventEnvelope rejected = outcomes.readValue();
        assertThat(rejected.type()).isEqualTo("OrderRejected");
        assertThat(rejected.payload().path("reason").asText()).contains("card expired");
        assertThat(item("sku-1").available()).as("stock released").isEqualTo(10);
        SagaState state = saga("o-2");
        assertThat(state.status()).isEqualTo(SagaState.Status.COMPENSATED);
        assertThat(state.compensated())
                .as("every step whose command was sent, last first")
                .containsExactly(OrderFulfilmentSaga.AUTHORIZE_PAYMENT, OrderFulfilmentSaga.RESERVE_STOCK);
        assertThat(paymentCommands.readValue().type())
                .as("voiding a declined payment is a harmless no-op")
                .isEqualTo("VoidPayment");
    }

    @Test
    void shouldRetryOnTimeoutThenCompensate() {
        topology.pipe(TestTopology.order("o-3", "c-1", null, 500), 1_000);
        EventEnvelope first = paymentCommands.readValue();

        topology.driver.advanceWallClockTime(Duration.ofMillis(1_100));
        EventEnvelope resent = paymentCommands.readValue();
        assertThat(resent.eventId()).as("same command id on re-send").isEqualTo(first.eventId());

        topology.driver.advanceWallClockTime(Duration.ofMillis(1_100));
        EventEnvelope rejected = outcomes.readValue();
        assertThat(rejected.payload().path("reason").asText()).contains("no reply after 2 attempt(s)");
        assertThat(item("sku-1").available()).isEqualTo(10);
        EventEnvelope voided = paymentCommands.readValue();
        assertThat(voided.type())
                .as("the unanswered authorization may still have happened: void it")
                .isEqualTo("VoidPayment");
        assertThat(paymentCommands.isEmpty()).isTrue();

        reply(first, "PaymentAuthorized", Map.of()); // the late answer, after the saga ended
        assertThat(outcomes.isEmpty()).as("one outcome").isTrue();
        assertThat(paymentCommands.isEmpty())
                .as("already compensated: nothing more is sent")
                .isTrue();
    }

    @Test
    void shouldReleaseAReservationThatArrivesAfterAnotherLineWasRefused() {
        restock("sku-2", 1);
        EventEnvelope base = order("o-8", "sku-1", 2);
        ObjectNode payload = base.payload().deepCopy();
        payload.withArray("lines")
                .addObject()
                .put("sku", "sku-2")
                .put("quantity", 5)
                .put("unitPriceCents", 2);
        topology.pipe(
                new EventEnvelope(
                        base.eventId(),
                        base.type(),
                        base.aggregateType(),
                        "o-8",
                        null,
                        base.occurredAt(),
                        null,
                        null,
                        null,
                        payload),
                1_000);

        assertThat(outcomes.readValue().payload().path("reason").asText()).startsWith("reserve-stock");
        assertThat(item("sku-1").available())
                .as("sku-1's reservation released, whenever it arrived")
                .isEqualTo(10);
        assertThat(item("sku-1").reservations()).isEmpty();
        assertThat(item("sku-2").available()).isEqualTo(1);
        assertThat(paymentCommands.readValuesToList())
                .extracting(EventEnvelope::type)
                .as("the payment asked for with the stock is voided after it")
                .containsExactly("AuthorizePayment", "VoidPayment");
    }

    @Test
    void shouldRejectWithoutPaymentWhenStockIsShortAndThePaymentWaitsForTheStock(@TempDir Path otherDir) {
        start(otherDir, true);
        topology.pipe(order("o-5", "sku-1", 50), 1_000);

        assertThat(paymentCommands.isEmpty()).as("payment never started").isTrue();
        EventEnvelope rejected = outcomes.readValue();
        assertThat(rejected.payload().path("reason").asText())
                .startsWith("reserve-stock")
                .contains("available");
        assertThat(saga("o-5").compensated())
                .as("the refused reservation is released: a no-op")
                .containsExactly(OrderFulfilmentSaga.RESERVE_STOCK);
    }

    @Test
    void shouldAuthorizeOnlyOnceTheStockIsReservedWhenThePaymentWaitsForTheStock(@TempDir Path otherDir) {
        start(otherDir, true);
        topology.pipe(TestTopology.order("o-6", "c-1", null, 500), 1_000);
        reply(paymentCommands.readValue(), "PaymentAuthorized", Map.of());

        assertThat(outcomes.readValue().type()).isEqualTo("OrderConfirmed");
        assertThat(saga("o-6").history())
                .containsSubsequence(
                        "send reserve-stock (attempt 1)",
                        "reserve-stock done",
                        "send authorize-payment (attempt 1)",
                        "authorize-payment done; completed");
    }

    @Test
    void shouldAskForStockAndPaymentAtOnce() {
        topology.pipe(TestTopology.order("o-9", "c-1", null, 500), 1_000);

        EventEnvelope authorize = paymentCommands.readValue();
        assertThat(authorize.type()).isEqualTo("AuthorizePayment");
        SagaState running = saga("o-9");
        assertThat(running.history()).contains("send reserve-stock + authorize-payment (attempt 1)");
        assertThat(running.touched())
                .as("the stock answered; the payment has not")
                .containsExactly(OrderFulfilmentSaga.RESERVE_STOCK);
        assertThat(running.pending()).containsExactly(authorize.eventId().toString());

        reply(authorize, "PaymentAuthorized", Map.of());
        assertThat(outcomes.readValue().type()).isEqualTo("OrderConfirmed");
        assertThat(saga("o-9").history()).contains("reserve-stock + authorize-payment done; completed");
    }

    @Test
    void shouldSendThePaymentOfASagaStoredBeforeItsStepsWereAskedForAtOnce() throws Exception {
        // A saga stored by a release (or setting) that authorized after the stock: reserving, nothing else sent.
        EventEnvelope placed = TestTopology.order("o-10", "c-1", null, 500);
        String reserveId = SagaDefinition.commandId("o-10", OrderFulfilmentSaga.RESERVE_STOCK, "reserve", 0);
        KeyValueStore<String, SagaState> states = topology.driver.getKeyValueStore(
                OrderFulfilmentSaga.definition(Duration.ofSeconds(1), 1, Duration.ofSeconds(1))
                        .statesStore());
        states.put(
                "o-10",
                new SagaState(
                        "o-10",
                        OrderFulfilmentSaga.NAME,
                        SagaState.Status.RUNNING,
                        0,
                        Set.of(reserveId),
                        1,
                        31_000,
                        List.of(),
                        List.of(),
                        null,
                        placed.payload(),
                        List.of("send reserve-stock (attempt 1)")));

        inventoryCommands.pipeInput(
                "sku-1",
                Json.mapper()
                        .writerFor(InventoryCommand.class)
                        .writeValueAsBytes(
                                new InventoryCommand.Reserve(UUID.fromString(reserveId), "sku-1", null, "o-10", 1)),
                1_000);

        EventEnvelope authorize = paymentCommands.readValue();
        assertThat(authorize.type())
                .as("its reservation answered: the payment it never sent goes out now, not skipped")
                .isEqualTo("AuthorizePayment");
        reply(authorize, "PaymentAuthorized", Map.of());
        assertThat(outcomes.readValue().type()).isEqualTo("OrderConfirmed");
        assertThat(item("sku-1").available()).isEqualTo(9);
        assertThat(saga("o-10").history())
                .containsSubsequence(
                        "reserve-stock done",
                        "send authorize-payment (attempt 1)",
                        "authorize-payment done; completed");
    }

    @Test
    void shouldReserveTwoLinesOfTheSameSkuAsOneReservation() {
        EventEnvelope base = order("o-7", "sku-1", 2);
        ObjectNode payload = base.payload().deepCopy();
        payload.withArray("lines")
                .addObject()
                .put("sku", "sku-1")
                .put("quantity", 3)
                .put("unitPriceCents", 2);
        topology.pipe(
                new EventEnvelope(
                        base.eventId(),
                        base.type(),
                        base.aggregateType(),
                        "o-7",
                        null,
                        base.occurredAt(),
                        null,
                        null,
                        null,
                        payload),
                1_000);
        reply(paymentCommands.readValue(), "PaymentAuthorized", Map.of());

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderConfirmed");
        assertThat(item("sku-1").available()).as("both lines, one reservation").isEqualTo(5);
    }

    @Test
    void shouldIgnoreDuplicateReplies() {
        topology.pipe(TestTopology.order("o-4", "c-1", null, 500), 1_000);
        EventEnvelope authorize = paymentCommands.readValue();
        EventEnvelope reply = reply(authorize, "PaymentAuthorized", Map.of());
        paymentReplies.pipeInput("o-4", reply); // the same reply again
        reply(authorize, "PaymentDeclined", Map.of("reason", "late")); // a late contradicting reply

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderConfirmed");
        assertThat(saga("o-4").status()).isEqualTo(SagaState.Status.COMPLETED);
    }

    @Test
    void shouldVoidThePaymentWhenStockIsShort() {
        topology.pipe(order("o-5", "sku-1", 50), 1_000);

        EventEnvelope rejected = outcomes.readValue();
        assertThat(rejected.payload().path("reason").asText())
                .startsWith("reserve-stock")
                .contains("available");
        assertThat(saga("o-5").compensated())
                .as("both steps were sent: the payment is voided, the refused reservation released (a no-op)")
                .containsExactly(OrderFulfilmentSaga.AUTHORIZE_PAYMENT, OrderFulfilmentSaga.RESERVE_STOCK);
        EventEnvelope authorize = paymentCommands.readValue();
        assertThat(authorize.type()).isEqualTo("AuthorizePayment");
        assertThat(paymentCommands.readValue().type()).isEqualTo("VoidPayment");

        reply(authorize, "PaymentAuthorized", Map.of()); // the gateway's answer, after the saga ended
        assertThat(outcomes.isEmpty()).as("one outcome").isTrue();
        assertThat(paymentCommands.isEmpty())
                .as("its void was already sent, after it")
                .isTrue();
    }

    @Test
    void shouldDeadLetterAReplyForAnUnknownSaga() {
        TestOutputTopic<byte[], byte[]> dlq = topology.driver.createOutputTopic(
                Topics.DEAD_LETTERS.name(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        EventEnvelope stray =
                payment("o-nobody", "PaymentAuthorized", UUID.randomUUID().toString(), Map.of());
        paymentReplies.pipeInput("o-nobody", stray);

        TestRecord<byte[], byte[]> letter = dlq.readRecord();
        assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.MESSAGE))
                .contains("No saga 'o-nobody'");
        assertThat(outcomes.isEmpty()).isTrue();
    }

    private EventEnvelope reply(EventEnvelope command, String type, Map<String, String> fields) {
        EventEnvelope reply =
                payment(command.aggregateId(), type, command.eventId().toString(), fields);
        paymentReplies.pipeInput(command.aggregateId(), reply);
        return reply;
    }

    private static EventEnvelope payment(String orderId, String type, String causation, Map<String, String> fields) {
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        fields.forEach(payload::put);
        return new EventEnvelope(
                UUID.randomUUID(), type, "payment", orderId, null, Instant.EPOCH, orderId, causation, null, payload);
    }

    private static EventEnvelope cancelRequest(String orderId) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("orderId", orderId)
                .put("customerId", "c-1")
                .put("reason", "cancelled by client");
        return new EventEnvelope(
                UUID.randomUUID(),
                "OrderCancelRequested",
                "order",
                orderId,
                2L,
                Instant.EPOCH,
                orderId,
                null,
                null,
                payload);
    }

    private static EventEnvelope order(String orderId, String sku, int quantity) {
        EventEnvelope base = TestTopology.order(orderId, "c-1", null, 100);
        ObjectNode payload = base.payload().deepCopy();
        payload.putArray("lines")
                .addObject()
                .put("sku", sku)
                .put("quantity", quantity)
                .put("unitPriceCents", 2);
        return new EventEnvelope(
                base.eventId(),
                base.type(),
                base.aggregateType(),
                orderId,
                null,
                base.occurredAt(),
                null,
                null,
                null,
                payload);
    }

    private void restock(String sku, int quantity) {
        try {
            inventoryCommands.pipeInput(
                    sku,
                    Json.mapper()
                            .writerFor(InventoryCommand.class)
                            .writeValueAsBytes(new InventoryCommand.Restock(UUID.randomUUID(), sku, null, quantity)),
                    1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private SagaState saga(String orderId) {
        KeyValueStore<String, SagaState> states = topology.driver.getKeyValueStore(
                OrderFulfilmentSaga.definition(Duration.ofSeconds(1), 1, Duration.ofSeconds(1))
                        .statesStore());
        return states.get(orderId);
    }

    private InventoryItem item(String sku) {
        KeyValueStore<String, InventoryItem> items = topology.driver.getKeyValueStore(InventoryAggregate.ITEMS_STORE);
        return items.get(sku);
    }
}
