package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** {@code aggregates × versions} OrderPlaced events, interleaved across aggregates, and checks on what arrived. */
final class Workload {

    final String prefix;
    final int aggregates;
    final int versions;

    Workload(String prefix, int aggregates, int versions) {
        this.prefix = prefix;
        this.aggregates = aggregates;
        this.versions = versions;
    }

    int size() {
        return aggregates * versions;
    }

    /** Events in the order they are written: version 1 of every aggregate, then version 2, … */
    List<EventEnvelope> events() {
        List<EventEnvelope> events = new ArrayList<>(size());
        for (int v = 1; v <= versions; v++) {
            for (int a = 0; a < aggregates; a++) {
                events.add(OutboxFixture.orderPlaced(prefix + a, v));
            }
        }
        return events;
    }

    boolean ours(ConsumerRecord<byte[], byte[]> record) {
        return new String(record.key(), StandardCharsets.UTF_8).startsWith(prefix);
    }

    static int distinct(List<ConsumerRecord<byte[], byte[]>> records) {
        Set<String> ids = new HashSet<>();
        records.forEach(r -> ids.add(EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.EVENT_ID)));
        return ids.size();
    }

    /** Records that repeat an event id already seen. */
    static int duplicates(List<ConsumerRecord<byte[], byte[]>> records) {
        return records.size() - distinct(records);
    }

    /** Every aggregate's events arrived, first occurrences in version order 1..versions. */
    void assertCompleteAndOrdered(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, List<Long>> firstSeen = new LinkedHashMap<>();
        Map<String, Set<Long>> seen = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            String aggregate = EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.AGGREGATE_ID);
            long version = Long.parseLong(EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.AGGREGATE_VERSION));
            if (seen.computeIfAbsent(aggregate, k -> new HashSet<>()).add(version)) {
                firstSeen.computeIfAbsent(aggregate, k -> new ArrayList<>()).add(version);
            }
        }
        assertThat(firstSeen).hasSize(aggregates);
        List<Long> expected = new ArrayList<>();
        for (long v = 1; v <= versions; v++) {
            expected.add(v);
        }
        firstSeen.forEach((aggregate, order) ->
                assertThat(order).as("order of %s", aggregate).isEqualTo(expected));
    }
}
