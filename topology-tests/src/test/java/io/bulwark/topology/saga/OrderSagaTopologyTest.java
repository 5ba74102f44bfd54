package io.bulwark.topology.saga;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.bulwark.streams.saga.OrderFulfilmentSaga;
import io.bulwark.streams.saga.SagaEngine;
import io.bulwark.streams.saga.SagaState;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
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
        topology = new TestTopology(stateDir, Map.of(AppConfig.SAGA_STEP_TIMEOUT_MS, "1000",
                AppConfig.SAGA_MAX_ATTEMPTS, "2", AppConfig.SAGA_RETRY_BACKOFF_MS, "100"));
        inventoryCommands = topology.driver.createInputTopic(Topics.INVENTORY_COMMANDS.name(), new StringSerializer(),
                new ByteArraySerializer());
        paymentReplies = topology.driver.createInputTopic(Topics.PAYMENT_EVENTS.name(), new StringSerializer(),
                EventEnvelopeSerde.inHeaders().serializer());
        paymentCommands = topology.driver.createOutputTopic(Topics.PAYMENT_COMMANDS.name(), new StringDeserializer(),
                EventEnvelopeSerde.inHeaders(SCHEMAS).deserializer());
        outcomes = topology.driver.createOutputTopic(Topics.ORDER_OUTCOMES.name(), new StringDeserializer(),
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
        assertThat(state.compensated()).as("every step whose command was sent, last first")
                .containsExactly(OrderFulfilmentSaga.AUTHORIZE_PAYMENT, OrderFulfilmentSaga.RESERVE_STOCK);
        assertThat(paymentCommands.readValue().type()).as("voiding a declined payment is a harmless no-op")
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
        assertThat(voided.type()).as("the unanswered authorization may still have happened: void it")
                .isEqualTo("VoidPayment");
        assertThat(paymentCommands.isEmpty()).isTrue();

        reply(first, "PaymentAuthorized", Map.of()); // the late answer, after the saga ended
        assertThat(outcomes.isEmpty()).as("one outcome").isTrue();
        assertThat(paymentCommands.isEmpty()).as("already compensated: nothing more is sent").isTrue();
    }

    @Test
    void shouldReleaseAReservationThatArrivesAfterAnotherLineWasRefused() {
        restock("sku-2", 1);
        EventEnvelope base = order("o-8", "sku-1", 2);
        ObjectNode payload = base.payload().deepCopy();
        payload.withArray("lines").addObject().put("sku", "sku-2").put("quantity", 5).put("unitPriceCents", 2);
        topology.pipe(new EventEnvelope(base.eventId(), base.type(), base.aggregateType(), "o-8", null,
                base.occurredAt(), null, null, null, payload), 1_000);

        assertThat(outcomes.readValue().payload().path("reason").asText()).startsWith("reserve-stock");
        assertThat(item("sku-1").available()).as("sku-1's reservation released, whenever it arrived").isEqualTo(10);
        assertThat(item("sku-1").reservations()).isEmpty();
        assertThat(item("sku-2").available()).isEqualTo(1);
        assertThat(paymentCommands.isEmpty()).as("payment never started").isTrue();
    }

    @Test
    void shouldReserveTwoLinesOfTheSameSkuAsOneReservation() {
        EventEnvelope base = order("o-7", "sku-1", 2);
        ObjectNode payload = base.payload().deepCopy();
        payload.withArray("lines").addObject().put("sku", "sku-1").put("quantity", 3).put("unitPriceCents", 2);
        topology.pipe(new EventEnvelope(base.eventId(), base.type(), base.aggregateType(), "o-7", null,
                base.occurredAt(), null, null, null, payload), 1_000);
        reply(paymentCommands.readValue(), "PaymentAuthorized", Map.of());

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderConfirmed");
        assertThat(item("sku-1").available()).as("both lines, one reservation").isEqualTo(5);
    }

    @Test
    void shouldIgnoreDuplicateReplies() {
        topology.pipe(TestTopology.order("o-4", "c-1", null, 500), 1_000);
        EventEnvelope authorize = paymentCommands.readValue();
        EventEnvelope reply = reply(authorize, "PaymentAuthorized", Map.of());
        paymentReplies.pipeInput("o-4", reply);                       // the same reply again
        reply(authorize, "PaymentDeclined", Map.of("reason", "late")); // a late contradicting reply

        assertThat(outcomes.readValuesToList()).extracting(EventEnvelope::type).containsExactly("OrderConfirmed");
        assertThat(saga("o-4").status()).isEqualTo(SagaState.Status.COMPLETED);
    }

    @Test
    void shouldRejectWithoutPaymentWhenStockIsShort() {
        topology.pipe(order("o-5", "sku-1", 50), 1_000);

        assertThat(paymentCommands.isEmpty()).isTrue();
        EventEnvelope rejected = outcomes.readValue();
        assertThat(rejected.payload().path("reason").asText()).contains("available");
        assertThat(saga("o-5").compensated()).as("the refused reservation is released: a no-op")
                .containsExactly(OrderFulfilmentSaga.RESERVE_STOCK);
    }

    @Test
    void shouldDeadLetterAReplyForAnUnknownSaga() {
        TestOutputTopic<byte[], byte[]> dlq = topology.driver.createOutputTopic(Topics.DEAD_LETTERS.name(),
                new ByteArrayDeserializer(), new ByteArrayDeserializer());
        EventEnvelope stray = payment("o-nobody", "PaymentAuthorized", UUID.randomUUID().toString(), Map.of());
        paymentReplies.pipeInput("o-nobody", stray);

        TestRecord<byte[], byte[]> letter = dlq.readRecord();
        assertThat(EnvelopeHeaders.text(letter.headers(), DeadLetterHeaders.MESSAGE)).contains("No saga 'o-nobody'");
        assertThat(outcomes.isEmpty()).isTrue();
    }

    private EventEnvelope reply(EventEnvelope command, String type, Map<String, String> fields) {
        EventEnvelope reply = payment(command.aggregateId(), type, command.eventId().toString(), fields);
        paymentReplies.pipeInput(command.aggregateId(), reply);
        return reply;
    }

    private static EventEnvelope payment(String orderId, String type, String causation, Map<String, String> fields) {
        ObjectNode payload = Json.mapper().createObjectNode().put("orderId", orderId);
        fields.forEach(payload::put);
        return new EventEnvelope(UUID.randomUUID(), type, "payment", orderId, null, Instant.EPOCH, orderId, causation,
                null, payload);
    }

    private static EventEnvelope order(String orderId, String sku, int quantity) {
        EventEnvelope base = TestTopology.order(orderId, "c-1", null, 100);
        ObjectNode payload = base.payload().deepCopy();
        payload.putArray("lines").addObject().put("sku", sku).put("quantity", quantity).put("unitPriceCents", 2);
        return new EventEnvelope(base.eventId(), base.type(), base.aggregateType(), orderId, null, base.occurredAt(),
                null, null, null, payload);
    }

    private void restock(String sku, int quantity) {
        try {
            inventoryCommands.pipeInput(sku, Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(
                    new InventoryCommand.Restock(UUID.randomUUID(), sku, null, quantity)), 1);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private SagaState saga(String orderId) {
        KeyValueStore<String, SagaState> states = topology.driver.getKeyValueStore(
                SagaEngine.statesStore(OrderFulfilmentSaga.definition(Duration.ofSeconds(1), 1, Duration.ofSeconds(1))));
        return states.get(orderId);
    }

    private InventoryItem item(String sku) {
        KeyValueStore<String, InventoryItem> items = topology.driver.getKeyValueStore(InventoryAggregate.ITEMS_STORE);
        return items.get(sku);
    }

}
