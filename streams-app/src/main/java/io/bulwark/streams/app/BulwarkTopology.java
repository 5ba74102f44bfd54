package io.bulwark.streams.app;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.streams.fulfilment.OrderFulfilment;
import io.bulwark.streams.intake.EventIntake;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.readmodel.ReadModels;
import java.time.Duration;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.KStream;

/**
 * Assembles the app's topology from the features' build functions, each given the registry's topics:
 *
 * <pre>
 * bulwark.order.events --validate--> dedup --> bulwark.order.events.unique
 *                                          \--> rate accounting --> bulwark.rate.alerts
 * bulwark.inventory.commands --> inventory aggregate --> bulwark.inventory.events
 * OrderPlaced + inventory replies + bulwark.payment.events --> order fulfilment saga
 *     --> bulwark.inventory.commands, bulwark.payment.commands, bulwark.order.outcomes
 * unique order events + inventory events + the saga's outcomes (as it sends them) --> read models
 * </pre>
 */
public final class BulwarkTopology {

    /** How far back "as of" reads of the versioned read models reach. */
    public static final Duration READ_MODEL_HISTORY = Duration.ofDays(7);

    /** The dedup store of order events. */
    public static final String ORDER_DEDUP_STORE = "dedup-order-events";

    private BulwarkTopology() {}

    /** The whole topology, configured (and optimized) with the app's streams properties. */
    public static Topology create(AppConfig config) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(config.streamsProperties())));
        KStream<String, EventEnvelope> orders = EventIntake.events(builder, Topics.ORDER_EVENTS, "intake-order-events");
        KStream<String, EventEnvelope> unique = Deduplication.build(
                builder, orders, Topics.ORDER_EVENTS_UNIQUE, ORDER_DEDUP_STORE, config.dedupRetention());
        RateAccounting.build(unique, config.rateSettings(), Topics.RATE_ALERTS);
        KStream<String, EventEnvelope> inventory = InventoryAggregate.build(
                builder, Topics.INVENTORY_COMMANDS, Topics.INVENTORY_EVENTS, config.inventoryCommandRetention());
        KStream<String, EventEnvelope> inventoryByOrder = InventoryAggregate.eventsByOrder(inventory);
        KStream<String, EventEnvelope> orderStatusInputs = ReadModels.orderStatusInputs(unique, inventoryByOrder);
        KStream<String, EventEnvelope> outcomes = OrderFulfilment.build(
                builder,
                config.orderSaga(),
                unique,
                inventoryByOrder,
                Topics.PAYMENT_EVENTS,
                Topics.ORDER_OUTCOMES,
                config.sagaRetention());
        ReadModels.build(
                builder,
                unique,
                inventory,
                orderStatusInputs,
                outcomes,
                READ_MODEL_HISTORY,
                config.orderStatusRetention());
        return builder.build(config.streamsProperties());
    }
}
