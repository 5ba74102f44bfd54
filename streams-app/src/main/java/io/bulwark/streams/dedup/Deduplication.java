package io.bulwark.streams.dedup;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.state.RollingSweep;
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
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * The idempotent consumer: drops every event whose id was already seen within a retention.
 *
 * <p>Seen ids live in a RocksDB key-value store ({@code <store>-ids}: event id → the event time it was
 * forwarded at), so "seen?" is one point look-up, which RocksDB's bloom filters answer for the new ids
 * that are most of the traffic. Under {@code exactly_once_v2} the store's changelog write ("seen") and the
 * forwarded record commit in one transaction, so a crash never forwards an event without remembering it,
 * nor the reverse.
 *
 * <p><b>How the store stays bounded.</b> A {@link RollingSweep} reads a slice of the ids each minute of stream
 * time, the whole store once per retention, and deletes the ids more than a retention old: an id goes between one
 * and two retentions after its event time, so the store holds at most two retentions' worth of ids. The look-up
 * compares event times itself, so when an id goes decides nothing but the case below. Until 2026-12-05 an expiry index
 * ({@code <store>-expiry}) removed each id right at its retention, for one more put and changelog record per event
 * and two more when the id went (PROFILES.md, 2026-12-05): its store left the topology, and its changelog topic
 * can be deleted.
 *
 * <p><b>What it relies on.</b> Copies of one event carry the same record key (the aggregate id),
 * hence land in the same partition and the same task's store. The outbox guarantees that: every
 * re-delivery of a row has the row's aggregate id as key. Events re-keyed between copies would
 * escape deduplication.
 *
 * <p><b>Past the retention</b> (measured in event time: the copy's timestamp more than
 * {@code retention} away from the first's, or the id already swept, which happens between one and two
 * retentions after the first's timestamp in the store's stream time), a copy is no longer recognised and is
 * forwarded again. Choose a retention longer than any re-delivery you expect (relay restarts, Kafka Connect
 * rebalances, reprocessing); 24 h by default.
 *
 * <p><b>No window store.</b> Until 2026-12-02 the ids lived in a window store named {@code <store>}, and
 * until 2026-12-03 that store stayed in the topology for upgrades. It is gone: Kafka Streams 4.3 keeps a
 * store's committed changelog offset inside the store, a window store with no segments has none, and
 * under exactly-once a task with such a store is wiped and restored from its changelogs at every start —
 * this task's ids, the sagas and the order statuses with it ({@code CleanRestartTest}).
 *
 * <p>Metrics, as Kafka Streams custom metrics (group {@code stream-bulwark-dedup-metrics}, tag
 * {@code bulwark-dedup-id} = the store): {@code seen-total/rate}, {@code forwarded-total/rate},
 * {@code dropped-total/rate}.
 */
public final class Deduplication {

    public static final Duration DEFAULT_RETENTION = Duration.ofHours(24);
    static final String METRIC_SCOPE = "bulwark-dedup";
    private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);

    private Deduplication() {}

    /** The key-value store of seen ids: {@code dedup-order-events-ids}. */
    public static String idsStore(String storeName) {
        return storeName + "-ids";
    }

    /**
     * Adds a dedup step to {@code events}; its stores are named after {@code storeName} and keep ids for
     * {@code retention}. Returns the stream of first copies, in the order they arrived.
     */
    public static KStream<String, EventEnvelope> deduplicate(
            StreamsBuilder builder, KStream<String, EventEnvelope> events, String storeName, Duration retention) {
        Objects.requireNonNull(retention, "retention");
        if (retention.isNegative() || retention.isZero()) {
            throw new IllegalArgumentException("Dedup retention = " + retention + " must be positive");
        }
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(idsStore(storeName)), Serdes.String(), Serdes.Long()));
        return events.processValues(
                () -> new DedupProcessor(storeName, retention.toMillis()),
                Named.as(storeName + "-processor"),
                idsStore(storeName));
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

    /** {@code a + b} for non-negative longs, {@link Long#MAX_VALUE} where it would overflow. */
    static long saturatedAdd(long a, long b) {
        return a > Long.MAX_VALUE - b ? Long.MAX_VALUE : a + b;
    }

    /** Forwards a record unless its event id was forwarded within ±retention of its timestamp. */
    static final class DedupProcessor implements FixedKeyProcessor<String, EventEnvelope, EventEnvelope> {
        private final String storeName;
        private final long retentionMs;
        private FixedKeyProcessorContext<String, EventEnvelope> context;
        private KeyValueStore<String, Long> ids;
        private RollingSweep<Long> sweep;

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
            this.ids = context.getStateStore(idsStore(storeName));
            // Due once stream time is past the retention: a copy exactly one retention later is still dropped.
            this.sweep = new RollingSweep<>(
                    ids, Duration.ofMillis(retentionMs), SWEEP_EVERY, seenAt -> saturatedAdd(seenAt, retentionMs + 1));
            this.seen = sensor(context, "seen");
            this.forwarded = sensor(context, "forwarded");
            this.dropped = sensor(context, "dropped");
            sweep.scheduleOn(context);
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
            Long seenAt = ids.get(id);
            if (seenAt != null && Math.abs(timestamp - seenAt) <= retentionMs) {
                dropped.record();
                return;
            }
            if (seenAt == null || timestamp > seenAt) {
                // A copy past the retention, older than the one remembered, is forwarded and not remembered.
                ids.put(id, timestamp);
            }
            forwarded.record();
            context.forward(record);
        }

        private Sensor sensor(FixedKeyProcessorContext<?, ?> context, String operation) {
            return context.metrics().addRateTotalSensor(METRIC_SCOPE, storeName, operation, Sensor.RecordingLevel.INFO);
        }
    }
}
