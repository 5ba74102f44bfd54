package io.bulwark.streams.app;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.streams.intake.EventIntake;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.readmodel.ReadModels;
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
 * </pre>
 */
public final class BulwarkTopology {

    /** How far back "as of" reads of the versioned read models reach. */
    public static final java.time.Duration READ_MODEL_HISTORY = java.time.Duration.ofDays(7);

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
        ReadModels.build(builder, unique, inventory, READ_MODEL_HISTORY);
        return builder.build(config.streamsProperties());
    }
}
