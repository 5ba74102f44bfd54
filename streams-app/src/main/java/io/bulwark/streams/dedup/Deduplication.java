package io.bulwark.streams.dedup;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.TopicSpec;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The idempotent consumer: drops every event whose id was already seen within a retention.
 *
 * <p>Seen ids live in a RocksDB window store keyed by event id, one entry per id at the event's
 * timestamp. Its retention is the dedup retention, so the store holds about {@code retention} worth
 * of ids and no more: segments older than stream time minus the retention are dropped whole. Under
 * {@code exactly_once_v2} the store's changelog write ("seen") and the forwarded record commit in one
 * transaction, so a crash never forwards an event without remembering it, nor the reverse.
 *
 * <p><b>What it relies on.</b> Copies of one event carry the same record key (the aggregate id),
 * hence land in the same partition and the same task's store. The outbox guarantees that: every
 * re-delivery of a row has the row's aggregate id as key. Events re-keyed between copies would
 * escape deduplication.
 *
 * <p><b>Past the retention</b> (measured in event time: the copy's timestamp more than
 * {@code retention} away from the first's, and the store's stream time past it), a copy is no longer
 * recognised and is forwarded again. Choose a retention longer than any re-delivery you expect
 * (relay restarts, Kafka Connect rebalances, reprocessing); 24 h by default.
 *
 * <p>Metrics, as Kafka Streams custom metrics (group {@code stream-bulwark-dedup-metrics}, tag
 * {@code bulwark-dedup-id} = the store): {@code seen-total/rate}, {@code forwarded-total/rate},
 * {@code dropped-total/rate}.
 */
public final class Deduplication {

    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    static final String METRIC_SCOPE = "bulwark-dedup";

    private Deduplication() {}

    /**
     * Adds a dedup step to {@code events}; its store is named {@code storeName} and keeps ids for
     * {@code retention}. Returns the stream of first copies, in the order they arrived.
     */
    public static KStream<String, EventEnvelope> deduplicate(
            StreamsBuilder builder, KStream<String, EventEnvelope> events, String storeName, Duration retention) {
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("Dedup retention = " + retention + " must be positive");
        }
        builder.addStateStore(Stores.windowStoreBuilder(
                Stores.persistentWindowStore(storeName, retention, retention, false), Serdes.String(), Serdes.Long()));
        return events.processValues(
                () -> new DedupProcessor(storeName, retention.toMillis()),
                Named.as(storeName + "-processor"),
                storeName);
    }

    /**
     * The dedup feature: {@link #deduplicate} {@code events}, and write the first copies to {@code unique}
     * (the registry's serdes). Returns them for the features downstream in the same topology.
     */
    public static KStream<String, EventEnvelope> build(
            StreamsBuilder builder,
            KStream<String, EventEnvelope> events,
            TopicSpec<String, EventEnvelope> unique,
            String storeName,
            Duration retention) {
        KStream<String, EventEnvelope> firstCopies = deduplicate(builder, events, storeName, retention);
        firstCopies.to(
                unique.name(),
                Produced.with(unique.keySerde(), unique.valueSerde()).withName(sinkName(unique)));
        return firstCopies;
    }

    /** The sink's node name: {@code order-events-unique-sink} for {@code bulwark.order.events.unique}. */
    private static String sinkName(TopicSpec<?, ?> topic) {
        return topic.name().replaceFirst("^bulwark\\.", "").replace('.', '-') + "-sink";
    }

    /** Forwards a record unless its event id is in the store within ±retention of its timestamp. */
    static final class DedupProcessor implements FixedKeyProcessor<String, EventEnvelope, EventEnvelope> {
        private final String storeName;
        private final long retentionMs;
        private FixedKeyProcessorContext<String, EventEnvelope> context;
        private WindowStore<String, Long> seenIds;
        private Sensor seen;
        private Sensor forwarded;
        private Sensor dropped;

        DedupProcessor(String storeName, long retentionMs) {
            this.storeName = storeName;
            this.retentionMs = retentionMs;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, EventEnvelope> context) {
            this.context = context;
            this.seenIds = context.getStateStore(storeName);
            this.seen = sensor(context, "seen");
            this.forwarded = sensor(context, "forwarded");
            this.dropped = sensor(context, "dropped");
        }

        @Override
        public void process(FixedKeyRecord<String, EventEnvelope> record) {
            EventEnvelope event = record.value();
            if (event == null) {
                return; // a tombstone carries no event
            }
            seen.record();
            String id = event.eventId().toString();
            long timestamp = record.timestamp();
            if (alreadySeen(id, timestamp)) {
                dropped.record();
                return;
            }
            seenIds.put(id, timestamp, timestamp);
            forwarded.record();
            context.forward(record);
        }

        private boolean alreadySeen(String id, long timestamp) {
            long from = Math.max(0, timestamp - retentionMs);
            long to = timestamp > Long.MAX_VALUE - retentionMs ? Long.MAX_VALUE : timestamp + retentionMs;
            try (WindowStoreIterator<Long> hits = seenIds.fetch(id, from, to)) {
                return hits.hasNext();
            }
        }

        private Sensor sensor(FixedKeyProcessorContext<?, ?> context, String operation) {
            return context.metrics().addRateTotalSensor(METRIC_SCOPE, storeName, operation, Sensor.RecordingLevel.INFO);
        }
    }
}
