package io.bulwark.benchmarks;

import io.bulwark.infra.Directories;
import io.bulwark.streams.readmodel.ReadModels;
import io.bulwark.streams.readmodel.StockLevel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Properties;
import org.apache.kafka.common.serialization.LongSerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;

/**
 * What an "as of" read of the stock levels costs as the asked time gets older: one SKU's level is written
 * {@code VERSIONS_PER_S} times a second (the rate of its inventory events) for {@code HOURS} hours into the app's
 * versioned store ({@link ReadModels#stockLevelStore}: 7 days of history, 1-minute segments), then
 * {@code get(sku, asOf)} is timed for older and older {@code asOf}. Kafka Streams' versioned store finds an old
 * version by reading, newest first, the key's whole value in every segment between now and {@code asOf}, so the
 * cost grows with the versions written since then. Also times the write, the projector's own cost per event.
 *
 * <pre>benchmarks/run-java.sh 1g StockHistoryReads [versions per second, default 1] [hours, default 6]</pre>
 */
public final class StockHistoryReads {

    private static final Instant START = Instant.parse("2026-12-01T00:00:00Z");
    private static final String SKU = "sku-1";

    private StockHistoryReads() {}

    public static void main(String[] args) throws Exception {
        int perSecond = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int hours = args.length > 1 ? Integer.parseInt(args[1]) : 6;
        Path dir = Files.createTempDirectory("stock-history");
        StreamsBuilder builder = new StreamsBuilder();
        builder.addStateStore(ReadModels.stockLevelStore(Duration.ofDays(7)));
        builder.stream("levels", Consumed.with(Serdes.String(), Serdes.Long()))
                .process(Writer::new, ReadModels.STOCK_LEVELS);
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "stock-history");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props, START)) {
            TestInputTopic<String, Long> in =
                    driver.createInputTopic("levels", new StringSerializer(), new LongSerializer());
            long versions = (long) perSecond * hours * 3_600;
            long began = System.nanoTime();
            for (long i = 0; i < versions; i++) {
                in.pipeInput(SKU, i, START.plusMillis(i * 1_000L / perSecond));
            }
            double writeUs = (System.nanoTime() - began) / 1e3 / versions;
            Instant end = START.plusMillis((versions - 1) * 1_000L / perSecond);
            VersionedKeyValueStore<String, StockLevel> store =
                    driver.getVersionedKeyValueStore(ReadModels.STOCK_LEVELS);
            System.out.printf(
                    "%n%d versions of one SKU (%d/s for %d h), written at %.1f µs each (TopologyTestDriver)%n",
                    versions, perSecond, hours, writeUs);
            System.out.printf(
                    "%n| asOf, before the last write | versions since | get, median of 5 (ms) |%n|---|---|---|%n");
            for (Duration age : new Duration[] {
                Duration.ofSeconds(10),
                Duration.ofMinutes(10),
                Duration.ofHours(1),
                Duration.ofHours(hours / 2),
                Duration.ofHours(hours).minusMinutes(1)
            }) {
                Instant asOf = end.minus(age);
                long[] nanos = new long[5];
                VersionedRecord<StockLevel> found = null;
                for (int r = 0; r < nanos.length; r++) {
                    long t = System.nanoTime();
                    found = store.get(SKU, asOf.toEpochMilli());
                    nanos[r] = System.nanoTime() - t;
                }
                if (found == null) {
                    throw new IllegalStateException("No version as of " + asOf);
                }
                Arrays.sort(nanos);
                System.out.printf(
                        "| %s | %d | %.2f |%n", age, age.toMillis() * perSecond / 1_000, nanos[nanos.length / 2] / 1e6);
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    /** Writes the piped number as the SKU's available units, at the record's time. */
    private static final class Writer implements Processor<String, Long, Void, Void> {
        private VersionedKeyValueStore<String, StockLevel> levels;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            levels = context.getStateStore(ReadModels.STOCK_LEVELS);
        }

        @Override
        public void process(Record<String, Long> record) {
            levels.put(
                    record.key(),
                    new StockLevel(
                            record.key(),
                            1_000_000 - record.value(),
                            record.value() % 7,
                            record.value(),
                            record.timestamp()),
                    record.timestamp());
        }
    }
}
