package io.bulwark.streams.intake;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.schemas.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;

/**
 * The first topology: reads the order event topic, validating each record against the envelope
 * and payload schemas on the way in (a record that fails goes to the dead-letter topic through
 * the deserialization handler), and counts the events of each order into a queryable store.
 *
 * <p>It is the smallest topology that exercises every piece of the app's plumbing: schema
 * validation at the edge, dead letters, a RocksDB store under bounded memory, exactly-once commits.
 */
public final class EventIntake {

    /** Key-value store: aggregate id → number of valid events read for it. */
    public static final String EVENTS_PER_AGGREGATE_STORE = "intake-events-per-aggregate";

    private EventIntake() {}

    public static void build(StreamsBuilder builder, EventSchemas schemas) {
        TopicSpec<String, EventEnvelope> source = Topics.ORDER_EVENTS;
        builder.stream(source.name(), Consumed.with(source.keySerde(), EventEnvelopeSerde.inHeaders(schemas))
                        .withName("intake-order-events"))
                .groupByKey(Grouped.with(Serdes.String(), EventEnvelopeSerde.asJson()))
                .count(Materialized.as(EVENTS_PER_AGGREGATE_STORE));
    }
}
