package io.bulwark.streams.fulfilment;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.intake.EventIntake;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaTopology;
import java.time.Duration;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Order fulfilment as a feature: the {@link OrderFulfilmentSaga} fed, on the order's key, with
 *
 * <ul>
 *   <li>the triggers and cancels among the (deduplicated) order events,</li>
 *   <li>the inventory aggregate's replies to the saga's commands — keyed by SKU there, so taken from
 *       {@link InventoryAggregate#eventsByOrder}, re-keyed by their correlation id (the order id) and repartitioned,</li>
 *   <li>the payment worker's replies from the payment event topic (keyed by order id already),</li>
 * </ul>
 *
 * <p>and sending its commands to the participants' command topics and its outcome to {@code outcomes}.
 */
public final class OrderFulfilment {

    /** How often the saga engine looks for due deadlines (wall clock). */
    public static final Duration PUNCTUATION = Duration.ofMillis(250);

    private OrderFulfilment() {}

    /**
     * Returns the outcomes the saga sends, as it sends them ({@link SagaTopology#buildWithOutcomes}); what else
     * takes {@code orderEvents} or {@code inventoryByOrder} together with them must be attached to those first.
     */
    public static KStream<String, EventEnvelope> build(
            StreamsBuilder builder,
            SagaDefinition saga,
            KStream<String, EventEnvelope> orderEvents,
            KStream<String, EventEnvelope> inventoryByOrder,
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
        // Replies are the inventory events that answer a command (they carry its id as causation id). They come
        // re-keyed by order and repartitioned already — process() does not repartition by itself: without it, a
        // reply would reach the saga task of its SKU's partition, not of its order's (found by
        // OrderSagaBrokerTest). Until 2026-12-03 the saga had its own repartition topic for them,
        // saga-inventory-replies, carrying the same events as the read model's; the aggregate type keeps out
        // the order events and outcomes an earlier release left in the read model's.
        KStream<String, EventEnvelope> inventoryReplies = inventoryByOrder.filter(
                (orderId, e) -> InventoryAggregate.AGGREGATE_TYPE.equals(e.aggregateType()) && e.causationId() != null,
                Named.as("saga-inventory-replies"));
        KStream<String, EventEnvelope> inputs = triggers.merge(inventoryReplies, Named.as("saga-merge-inventory"))
                .merge(paymentReplies, Named.as("saga-merge-payments"));
        return SagaTopology.buildWithOutcomes(builder, saga, inputs, outcomes, PUNCTUATION, retention);
    }
}
