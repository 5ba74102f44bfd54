package io.bulwark.topology.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.infra.Directories;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** For any sequence of events with copies inside the retention, dedup emits each id once, in first-seen order. */
class DeduplicationPropertiesTest {

    private static final Duration RETENTION = Duration.ofHours(1);

    /** A delivery: which of the distinct events (index), and how far (ms) stream time moves before it. */
    record Delivery(int event, int advanceMs) {}

    @Provide
    Arbitrary<List<Delivery>> deliveries() {
        Arbitrary<Delivery> one = Combinators.combine(
                        Arbitraries.integers().between(0, 19),
                        Arbitraries.integers().between(0, 60_000))
                .as(Delivery::new);
        // at most 100 deliveries × 1 min: every copy stays within the 1 h retention of its first
        return one.list().ofMinSize(1).ofMaxSize(59);
    }

    @Property(tries = 60)
    void shouldEmitEachIdExactlyOnceInFirstSeenOrder(@ForAll("deliveries") List<Delivery> deliveries) throws Exception {
        List<EventEnvelope> distinct = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            distinct.add(TestTopology.order("o-" + (i % 3), "c", null, i));
        }
        Path dir = Files.createTempDirectory("dedup-prop");
        try (TopologyTestDriver driver = new TopologyTestDriver(topology(), props(dir))) {
            TestInputTopic<String, EventEnvelope> in = driver.createInputTopic(
                    "in", new StringSerializer(), EventEnvelopeSerde.inHeaders().serializer());
            TestOutputTopic<String, EventEnvelope> out = driver.createOutputTopic(
                    "out",
                    new StringDeserializer(),
                    EventEnvelopeSerde.inHeaders().deserializer());
            long time = 0;
            LinkedHashSet<UUID> expected = new LinkedHashSet<>();
            for (Delivery d : deliveries) {
                time += d.advanceMs();
                EventEnvelope event = distinct.get(d.event());
                in.pipeInput(event.aggregateId(), event, time);
                expected.add(event.eventId());
            }
            List<UUID> emitted =
                    out.readValuesToList().stream().map(EventEnvelope::eventId).toList();
            assertThat(emitted).doesNotHaveDuplicates().containsExactlyElementsOf(expected);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static Topology topology() {
        StreamsBuilder builder = new StreamsBuilder();
        Deduplication.deduplicate(
                        builder,
                        builder.stream("in", Consumed.with(Serdes.String(), EventEnvelopeSerde.inHeaders())),
                        "dedup-prop",
                        RETENTION)
                .to("out", Produced.with(Serdes.String(), EventEnvelopeSerde.inHeaders()));
        return builder.build();
    }

    private static Properties props(Path dir) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dedup-properties");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        return props;
    }
}
