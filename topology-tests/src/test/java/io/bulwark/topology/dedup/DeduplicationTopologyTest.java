package io.bulwark.topology.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.topology.support.TestTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
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
    void shouldDropACopyExactlyOneRetentionLaterEvenOnceStreamTimeHasReachedIt() {
        EventEnvelope event = TestTopology.order("o-13", "c-1", null, 100);
        topology.pipe(event, 1_000);
        topology.pipe(TestTopology.order("o-14", "c-1", null, 100), 1_000 + HOUR); // stream time there: a sweep
        topology.pipe(event, 1_000 + HOUR);

        assertThat(topology.unique.readValuesToList())
                .extracting(EventEnvelope::aggregateId)
                .containsExactly("o-13", "o-14");
    }

    @Test
    void shouldForwardCopyAgainBeyondRetention() {
        EventEnvelope event = TestTopology.order("o-3", "c-1", null, 100);
        topology.pipe(event, 1_000);
        // Other traffic moves stream time two retentions ahead, so the first copy's segment expires.
        topology.pipe(TestTopology.order("o-4", "c-2", null, 100), 1_000 + 3 * HOUR);
        topology.pipe(event, 1_000 + 3 * HOUR);

        topology.pipe(event, 1_000 + 3 * HOUR + HOUR / 2); // a copy of the copy: remembered again

        assertThat(topology.unique.readValuesToList())
                .extracting(EventEnvelope::aggregateId)
                .containsExactly("o-3", "o-4", "o-3");
    }

    @Test
    void shouldRememberACopyForwardedPastTheRetentionForItsOwnRetention() {
        long minute = Duration.ofMinutes(1).toMillis(); // the sweep runs once per minute of stream time
        EventEnvelope event = TestTopology.order("o-10", "c-1", null, 100);
        topology.pipe(event, 1_000);
        topology.pipe(TestTopology.order("o-11", "c-1", null, 100), 1_000 + HOUR - 1); // a sweep, just before
        topology.pipe(event, 1_000 + HOUR + 1); // past the retention: forwarded, remembered at its own time
        topology.pipe(TestTopology.order("o-12", "c-1", null, 100), 1_000 + HOUR + 2 * minute); // the next sweep
        topology.pipe(event, 1_000 + HOUR + 3 * minute); // within the retention of the copy

        assertThat(topology.unique.readValuesToList())
                .extracting(EventEnvelope::aggregateId)
                .containsExactly("o-10", "o-11", "o-10", "o-12");
    }

    @Test
    void shouldForgetIdsWithinTwoRetentionsOfTheirTimeSoTheStoreStaysBounded() {
        for (int i = 0; i < 50; i++) {
            topology.pipe(TestTopology.order("o-old-" + i, "c-1", null, 100), 1_000 + i);
        }
        EventEnvelope recent = TestTopology.order("o-new", "c-1", null, 100);
        long minute = Duration.ofMinutes(1).toMillis();
        for (long t = 1_000 + minute; t < 1_000 + 2 * HOUR + 2 * minute; t += minute) {
            topology.pipe(recent, t); // stream time moves a minute at a time: a sweep each minute
        }

        assertThat(keys(ids())).containsExactly(recent.eventId().toString());
        assertThat(topology.unique.readValuesToList())
                .extracting(EventEnvelope::aggregateId)
                .as("o-new remembered at its first time, then forwarded again past the retention, and so on")
                .filteredOn("o-new"::equals)
                .hasSize(2);
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

    private KeyValueStore<String, Long> ids() {
        return topology.driver.getKeyValueStore(Deduplication.idsStore(BulwarkTopology.ORDER_DEDUP_STORE));
    }

    private static <V> List<String> keys(KeyValueStore<String, V> store) {
        List<String> keys = new ArrayList<>();
        try (KeyValueIterator<String, V> all = store.all()) {
            all.forEachRemaining((KeyValue<String, V> entry) -> keys.add(entry.key));
        }
        return keys;
    }
}
