package io.bulwark.topology.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.topology.support.TestTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DeduplicationTopologyTest {

    private static final long HOUR = Duration.ofHours(1).toMillis();

    @TempDir
    Path stateDir;

    private TestTopology topology;

    @BeforeEach
    void setUp() {
        topology = new TestTopology(stateDir, Map.of(AppConfig.DEDUP_RETENTION_MS, Long.toString(HOUR)));
    }

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void shouldDropDuplicateWhenSeenWithinRetention() {
        EventEnvelope event = TestTopology.order("o-1", "c-1", null, 100);
        topology.pipe(event, 1_000);
        topology.pipe(event, 1_000);
        topology.pipe(event, 1_000 + HOUR - 1);

        assertThat(topology.unique.readValuesToList()).containsExactly(event);
        assertThat(topology.metric("bulwark-dedup", "seen-total")).isEqualTo(3);
        assertThat(topology.metric("bulwark-dedup", "forwarded-total")).isEqualTo(1);
        assertThat(topology.metric("bulwark-dedup", "dropped-total")).isEqualTo(2);
    }

    @Test
    void shouldDropDuplicateArrivingWithOlderTimestamp() {
        EventEnvelope event = TestTopology.order("o-2", "c-1", null, 100);
        topology.pipe(event, 10 * HOUR);
        topology.pipe(event, 10 * HOUR - HOUR / 2); // out of order, still within retention

        assertThat(topology.unique.readValuesToList()).containsExactly(event);
    }

    @Test
    void shouldForwardCopyAgainBeyondRetention() {
        EventEnvelope event = TestTopology.order("o-3", "c-1", null, 100);
        topology.pipe(event, 1_000);
        // Other traffic moves stream time two retentions ahead, so the first copy's segment expires.
        topology.pipe(TestTopology.order("o-4", "c-2", null, 100), 1_000 + 3 * HOUR);
        topology.pipe(event, 1_000 + 3 * HOUR);

        assertThat(topology.unique.readValuesToList())
                .extracting(EventEnvelope::aggregateId)
                .containsExactly("o-3", "o-4", "o-3");
    }

    @Test
    void shouldKeepFirstSeenOrderOfUniqueEvents() {
        EventEnvelope a = TestTopology.order("o-5", "c-1", null, 1);
        EventEnvelope b = TestTopology.order("o-5", "c-1", null, 2);
        EventEnvelope c = TestTopology.order("o-5", "c-1", null, 3);
        for (EventEnvelope e : List.of(a, b, a, c, b, a)) {
            topology.pipe(e, 5_000);
        }
        assertThat(topology.unique.readValuesToList()).containsExactly(a, b, c);
    }

    @Test
    void shouldSkipPoisonRecordsAndKeepGoing() {
        TestInputTopic<String, String> raw = topology.driver.createInputTopic(
                Topics.ORDER_EVENTS.name(), new StringSerializer(), new StringSerializer());
        EventEnvelope valid = TestTopology.order("o-6", "c-1", null, 100);
        RecordHeaders headers = new RecordHeaders();
        headers.add("eventType", "OrderPlaced".getBytes(StandardCharsets.UTF_8));
        raw.pipeInput(new TestRecord<>("o-6", "{not json", headers, Instant.ofEpochMilli(1))); // not JSON
        raw.pipeInput(new TestRecord<>("o-6", valid.payload().toString(), headers, Instant.ofEpochMilli(2))); // no id
        EventEnvelope invalid = TestTopology.order("o-6", "c-1", null, 100);
        ((ObjectNode) invalid.payload()).put("currency", "euro"); // schema
        topology.pipe(invalid, 3);
        topology.pipe(valid, 4);

        // TopologyTestDriver skips them (the deserialization handler); their dead letters are checked on
        // the real broker in streams-app's StreamsAppTest and DedupExactlyOnceTest.
        assertThat(topology.unique.readValuesToList()).containsExactly(valid);
    }
}
