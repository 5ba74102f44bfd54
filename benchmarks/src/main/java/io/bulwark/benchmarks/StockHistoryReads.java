package io.bulwark.benchmarks;

import io.bulwark.infra.Directories;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.streams.readmodel.ReadModels;
import io.bulwark.streams.readmodel.StockLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;

/**
 * The stock levels' versioned store on its own (RocksDB, as the app configures it but without its changelog): one
 * SKU's level written {@code VERSIONS_PER_S} times a second for {@code HOURS} hours, then {@code get(sku, asOf)}
 * timed for older and older {@code asOf}. Kafka Streams' versioned store keeps a key's versions within one segment
 * as one RocksDB value and rewrites it on every put, and finds an old version by reading, newest first, that value
 * in every segment between now and {@code asOf}: so the segment interval trades the write (shorter: smaller values
 * rewritten) against the reach of a read (shorter: more look-ups). The store is flushed only when RocksDB wants, as
 * in the app between checkpoints (a TopologyTestDriver would flush it after every record).
 *
 * <pre>benchmarks/run-java.sh 1g StockHistoryReads [versions per second, 1] [hours, 6] [segment seconds, the app's]</pre>
 */
public final class StockHistoryReads {

    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    private static final String SKU = "sku-1";

    private StockHistoryReads() {}

    public static void main(String[] args) throws Exception {
        int perSecond = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int hours = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Duration segment =
                args.length > 2 ? Duration.ofSeconds(Long.parseLong(args[2])) : ReadModels.STOCK_LEVEL_SEGMENT;
        Path dir = Files.createTempDirectory("stock-history");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stock-history");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        MockProcessorContext<Void, Void> context = new MockProcessorContext<>(props, new TaskId(0, 0), dir.toFile());
        VersionedKeyValueStore<String, StockLevel> store = Stores.versionedKeyValueStoreBuilder(
                        Stores.persistentVersionedKeyValueStore(ReadModels.STOCK_LEVELS, Duration.ofDays(7), segment),
                        Serdes.String(),
                        JsonSerde.of(StockLevel.class))
                .withLoggingDisabled()
                .build();
        store.init(context.getStateStoreContext(), store);
        try {
            long versions = (long) perSecond * hours * 3_600;
            long began = System.nanoTime();
            for (long i = 0; i < versions; i++) {
                long at = START.toEpochMilli() + i * 1_000L / perSecond;
                store.put(SKU, new StockLevel(SKU, 1_000_000 - i, i % 7, i, at), at);
            }
            double writeUs = (System.nanoTime() - began) / 1e3 / versions;
            Instant end = START.plusMillis((versions - 1) * 1_000L / perSecond);
            System.out.printf(
                    "%n%d versions of one SKU (%d/s for %d h, %s segments), written at %.1f µs each%n",
                    versions, perSecond, hours, segment, writeUs);
            System.out.printf(
                    "%n| asOf, before the last write | versions since | get, median of 5 (ms) |%n|---|---|---|%n");
            Duration written = Duration.ofHours(hours).minusMinutes(1);
            for (Duration age : new TreeSet<>(List.of(
                    Duration.ofSeconds(10),
                    Duration.ofMinutes(10),
                    Duration.ofHours(1),
                    written.dividedBy(2),
                    written))) {
                if (age.compareTo(written) > 0) {
                    continue; // older than the history written
                }
                long[] nanos = new long[5];
                VersionedRecord<StockLevel> found = null;
                for (int r = 0; r < nanos.length; r++) {
                    long t = System.nanoTime();
                    found = store.get(SKU, end.minus(age).toEpochMilli());
                    nanos[r] = System.nanoTime() - t;
                }
                if (found == null) {
                    throw new IllegalStateException("No version " + age + " before the last");
                }
                Arrays.sort(nanos);
                System.out.printf(
                        "| %s | %d | %.2f |%n", age, age.toMillis() * perSecond / 1_000, nanos[nanos.length / 2] / 1e6);
            }
        } finally {
            store.close();
            Directories.deleteRecursively(dir);
        }
    }
}
