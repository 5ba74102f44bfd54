package io.bulwark.streams.app;

import io.bulwark.schemas.EventSchemas;
import io.bulwark.streams.intake.EventIntake;
import java.util.Properties;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.Topology;

/** Assembles the app's topology from the features' {@code build(StreamsBuilder, …)} functions. */
public final class BulwarkTopology {

    private BulwarkTopology() {}

    /**
     * The whole topology. {@code streamsProperties} lets Kafka Streams apply optimizations that
     * depend on config; tests pass the same properties they give the TopologyTestDriver.
     */
    public static Topology create(EventSchemas schemas, Properties streamsProperties) {
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(streamsProperties)));
        EventIntake.build(builder, schemas);
        return builder.build(streamsProperties);
    }
}
