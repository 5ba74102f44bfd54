package io.bulwark.streams.app;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.streams.intake.EventIntake;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.readmodel.ReadModels;
import io.bulwark.streams.saga.SagaDefinition;
import io.bulwark.streams.saga.SagaTopology;
import io.bulwark.schemas.EventEnvelopeSerde;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;

/**
 * Assembles the app's topology from the features' build functions:
 *
 * <pre>
 * bulwark.order.events --validate--> dedup --> bulwark.order.events.unique
 *                                          \--> rate accounting --> bulwark.rate.alerts
 * bulwark.inventory.commands --> inventory aggregate --> bulwark.inventory.events
 * OrderPlaced + inventory replies + bulwark.payment.events --> order saga
 *     --> bulwark.inventory.commands, bulwark.payment.commands, bulwark.order.outcomes
 * </pre>
 */
public final class BulwarkTopology {

    /** How far back "as of" reads of the versioned read models reach. */
    public static final java.time.Duration READ_MODEL_HISTORY = java.time.Duration.ofDays(7);

    /** How often the saga engine looks for due deadlines (wall clock). */
    public static final java.time.Duration SAGA_PUNCTUATION = java.time.Duration.ofMillis(250);

    /** The dedup store of order events. */
    public static final String ORDER_DEDUP_STORE = "dedup-order-events";

    private BulwarkTopology() {}

    /** The whole topology, configured (and optimized) with the app's streams properties. */
    public static Topology create(AppConfig config, EventSchemas schemas) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        KStream<String, EventEnvelope> orders = EventIntake.orderEvents(builder, schemas);
        KStream<String, EventEnvelope> unique =
                Deduplication.deduplicate(builder, orders, ORDER_DEDUP_STORE, config.dedupRetention());
        unique.to(Topics.ORDER_EVENTS_UNIQUE.name(), Produced.with(Topics.ORDER_EVENTS_UNIQUE.keySerde(),
                Topics.ORDER_EVENTS_UNIQUE.valueSerde()).withName("order-events-unique-sink"));
        RateAccounting.build(unique, config.rateSettings(), Topics.RATE_ALERTS);
        KStream<String, EventEnvelope> inventory = InventoryAggregate.build(builder, Topics.INVENTORY_COMMANDS,
                Topics.INVENTORY_EVENTS, config.inventoryCommandRetention());

        SagaDefinition saga = config.orderSaga();
        KStream<String, EventEnvelope> payments =
                EventIntake.events(builder, schemas, Topics.PAYMENT_EVENTS, "saga-payment-replies");
        KStream<String, EventEnvelope> sagaInputs = unique
                .filter((k, e) -> saga.triggerType().equals(e.type()) || e.type().equals(saga.cancelType()),
                        Named.as("saga-triggers"))
                .merge(inventory
                        .filter((sku, e) -> e.correlationId() != null && e.causationId() != null,
                                Named.as("saga-inventory-replies"))
                        .selectKey((sku, e) -> e.correlationId(), Named.as("saga-inventory-by-order"))
                        // process() does not repartition by itself: without this, a reply would reach the
                        // saga task of its SKU's partition, not of its order's (found by OrderSagaBrokerTest).
                        .repartition(Repartitioned.<String, EventEnvelope>as("saga-inventory-replies")
                                .withKeySerde(Serdes.String()).withValueSerde(EventEnvelopeSerde.asJson())),
                        Named.as("saga-merge-inventory"))
                .merge(payments, Named.as("saga-merge-payments"));
        SagaTopology.build(builder, saga, sagaInputs, Topics.ORDER_OUTCOMES.name(), SAGA_PUNCTUATION,
                config.sagaRetention());

        KStream<String, EventEnvelope> outcomes = builder.stream(Topics.ORDER_OUTCOMES.name(),
                Consumed.with(Topics.ORDER_OUTCOMES.keySerde(), EventEnvelopeSerde.inHeaders(schemas))
                        .withName("read-models-outcomes"));
        ReadModels.build(builder, unique, inventory, outcomes, READ_MODEL_HISTORY, config.orderStatusRetention());
        return builder.build(config.streamsProperties());
    }
}
