package io.bulwark.connectors.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EnvelopeHeaders;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/** Compares the records two publishers made of the same outbox rows: topic, key, headers and value, byte for byte. */
final class RecordParity {

    private RecordParity() {}

    /** Groups records by event id; each id must have been published exactly {@code copies} times. */
    static Map<String, List<ConsumerRecord<byte[], byte[]>>> byEventId(List<ConsumerRecord<byte[], byte[]>> records) {
        Map<String, List<ConsumerRecord<byte[], byte[]>>> byId = new LinkedHashMap<>();
        records.forEach(r -> byId.computeIfAbsent(
                        EnvelopeHeaders.text(r.headers(), EnvelopeHeaders.EVENT_ID), k -> new ArrayList<>())
                .add(r));
        return byId;
    }

    static void assertIdentical(ConsumerRecord<byte[], byte[]> a, ConsumerRecord<byte[], byte[]> b) {
        assertThat(b.topic()).isEqualTo(a.topic());
        assertThat(b.key()).isEqualTo(a.key());
        assertThat(new String(b.value(), StandardCharsets.UTF_8))
                .isEqualTo(new String(a.value(), StandardCharsets.UTF_8));
        assertThat(headers(b)).isEqualTo(headers(a));
    }

    /** Headers as "name=value" lines in their order; a null value shows as "name=<null>". */
    static List<String> headers(ConsumerRecord<byte[], byte[]> record) {
        List<String> lines = new ArrayList<>();
        for (Header h : record.headers()) {
            lines.add(h.key() + "=" + (h.value() == null ? "<null>" : new String(h.value(), StandardCharsets.UTF_8)));
        }
        return lines;
    }

    static String describe(ConsumerRecord<byte[], byte[]> r) {
        return r.topic() + " " + new String(r.key(), StandardCharsets.UTF_8) + " " + headers(r) + " "
                + new String(r.value(), StandardCharsets.UTF_8) + " " + Arrays.toString(new int[0]);
    }
}
