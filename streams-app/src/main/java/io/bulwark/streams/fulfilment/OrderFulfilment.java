package io.bulwark.streams.fulfilment;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.intake.EventIntake;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaTopology;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;

/**
 * Order fulfilment as a feature: the {@link OrderFulfilmentSaga} fed, on the order's key, with
 *
 * <ul>
 *   <li>the triggers and cancels among the (deduplicated) order events,</li>
 *   <li>the inventory aggregate's replies to the saga's commands — keyed by SKU there, so re-keyed by
 *       their correlation id (the order id) and repartitioned,</li>
 *   <li>the payment worker's replies from the payment event topic (keyed by order id already),</li>
 * </ul>
 *
 * <p>and sending its commands to the participants' command topics and its outcome to {@code outcomes}.
 */
public final class OrderFulfilment {

    /** How often the saga engine looks for due deadlines (wall clock). */
    public static final Duration PUNCTUATION = Duration.ofMillis(250);

    private OrderFulfilment() {}

    public static void build(
            StreamsBuilder builder,
            SagaDefinition saga,
            KStream<String, EventEnvelope> orderEvents,
            KStream<String, EventEnvelope> inventoryEvents,
            TopicSpec<String, EventEnvelope> paymentEvents,
            TopicSpec<String, EventEnvelope> outcomes,
            Duration retention) {
        // Built in this order so the topology's node and sub-topology numbering (task ids, state directories)
        // stays what it was when this wiring lived in BulwarkTopology.
        KStream<String, EventEnvelope> paymentReplies =
                EventIntake.events(builder, paymentEvents, "saga-payment-replies");
        KStream<String, EventEnvelope> triggers = orderEvents.filter(
                (orderId, e) -> saga.triggerType().equals(e.type()) || e.type().equals(saga.cancelType()),
                Named.as("saga-triggers"));
        KStream<String, EventEnvelope> inventoryReplies = inventoryEvents
                .filter(
                        (sku, e) -> e.correlationId() != null && e.causationId() != null,
                        Named.as("saga-inventory-replies"))
                .selectKey((sku, e) -> e.correlationId(), Named.as("saga-inventory-by-order"))
                // process() does not repartition by itself: without this, a reply would reach the saga task of
                // its SKU's partition, not of its order's (found by OrderSagaBrokerTest).
                .repartition(Repartitioned.<String, EventEnvelope>as("saga-inventory-replies")
                        .withKeySerde(Serdes.String())
                        .withValueSerde(EventEnvelopeSerde.asJson()));
        KStream<String, EventEnvelope> inputs = triggers.merge(inventoryReplies, Named.as("saga-merge-inventory"))
                .merge(paymentReplies, Named.as("saga-merge-payments"));
        SagaTopology.build(builder, saga, inputs, outcomes, PUNCTUATION, retention);
    }
}
