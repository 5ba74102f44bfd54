package io.bulwark.streams.intake;

import io.bulwark.schemas.TopicSpec;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;

/**
 * Makes a keyed input topic correct whichever client produced to it. Kafka Streams assumes a record
 * sits on its key's partition as the Java clients choose it (murmur2); librdkafka-based clients
 * (kcat, Python, Go, .NET, Node) hash keys with CRC32 by default, so the same key lands on another
 * partition — another task, with another slice of every store: an item looked up in the wrong store,
 * a duplicate that passes deduplication.
 *
 * <p>{@link #routed} compares each record's partition with its key's murmur2 partition. Records on the
 * right partition go straight on (one hash per record is the whole cost for Java producers); the
 * others go through a repartition topic ({@code <application.id>-<name>-repartition}), which Kafka
 * Streams writes with murmur2, and join the stream on the right task. Order per key is kept for each
 * producer (all of one producer's records for a key take the same path); between a Java and a non-Java
 * producer writing the same key there was no order to keep.
 */
public final class KeyedInput {

    private KeyedInput() {}

    /** A value and whether it arrived on a partition other than its key's murmur2 partition. */
    record Placed<V>(V value, boolean misplaced) {}

    /**
     * The records of {@code source} (read from {@code topic}), each on the task of its key's murmur2
     * partition. Keys must be strings serialized as UTF-8 (the registry's keyed topics); records without a
     * key stay where they are.
     */
    public static <V> KStream<String, V> routed(
            KStream<String, V> source, TopicSpec<String, ?> topic, Serde<V> valueSerde, String name) {
        int partitions = topic.partitions();
        KStream<String, Placed<V>> placed =
                source.processValues(() -> new Locate<>(partitions), Named.as(name + "-locate"));
        KStream<String, V> right = placed.filter((k, p) -> !p.misplaced(), Named.as(name + "-placed"))
                .mapValues(Placed::value, Named.as(name + "-placed-value"));
        KStream<String, V> moved = placed.filter((k, p) -> p.misplaced(), Named.as(name + "-misplaced"))
                .mapValues(Placed::value, Named.as(name + "-misplaced-value"))
                .repartition(Repartitioned.<String, V>as(name)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(valueSerde));
        return right.merge(moved, Named.as(name + "-merge"));
    }

    /** The partition the Java clients' default partitioner (and Kafka Streams) choose for {@code key}. */
    public static int murmur2Partition(String key, int partitions) {
        return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
    }

    private static final class Locate<V> implements FixedKeyProcessor<String, V, Placed<V>> {
        private final int partitions;
        private FixedKeyProcessorContext<String, Placed<V>> context;

        Locate(int partitions) {
            this.partitions = partitions;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, Placed<V>> context) {
            this.context = context;
        }

        @Override
        public void process(FixedKeyRecord<String, V> record) {
            boolean misplaced = record.key() != null
                    && context.recordMetadata()
                            .map(m -> m.partition() != murmur2Partition(record.key(), partitions))
                            .orElse(false);
            context.forward(record.withValue(new Placed<>(record.value(), misplaced)));
        }
    }
}
