package io.bulwark.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.outbox.OutboxWriter;
import io.bulwark.connectors.relay.Database;
import io.bulwark.connectors.relay.OutboxRelay;
import io.bulwark.connectors.relay.PollingOutboxRelay;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.EmbeddedPostgresServer;
import io.bulwark.schemas.EnvelopeHeaders;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures the outbox on the embedded Kafka and PostgreSQL of this machine:
 *
 * <ul>
 *   <li>{@code outbox-cdc-p99-ms}: commit → record readable on Kafka, at a steady rate of
 *       single-event transactions (default 1,000/s for 30 s, after a 5 s warm-up);</li>
 *   <li>{@code outbox-cdc-max-eps} and the polling relay's throughput: a writer commits batches of
 *       500 as fast as it can; the rate at which records arrive on Kafka is the capture rate;</li>
 *   <li>{@code outbox-cdc-vs-polling}: their ratio.</li>
 * </ul>
 *
 * Everything (broker, database, relay, writer, reader) shares this machine's cores, so the
 * figures are a floor for the relay alone. PostgreSQL runs durably (fsync, synchronous commit):
 * logical decoding only sends WAL that is flushed, so without it latency would mostly measure
 * wal_writer_delay.
 */
public final class OutboxBenchmark {

    private static final Logger log = LoggerFactory.getLogger(OutboxBenchmark.class);

    private OutboxBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rate = intArg(args, 0, 1_000);
        int seconds = intArg(args, 1, 30);
        int throughputEvents = intArg(args, 2, 100_000);
        Path dir = Files.createTempDirectory("bulwark-outbox-bench");
        try (EmbeddedKafkaBroker kafka =
                        EmbeddedKafkaBroker.builder(dir).build().start();
                EmbeddedPostgresServer pg =
                        EmbeddedPostgresServer.builder(dir).build().start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                admin.createTopics(Topics.all().stream()
                                .map(t -> t.newTopic((short) 1))
                                .toList())
                        .all()
                        .get();
                TopicLeaders.await(
                        admin, Topics.all().stream().map(t -> t.name()).toList(), Duration.ofSeconds(60));
            }
            Database db = new Database(pg.host(), pg.port(), pg.database(), pg.username(), pg.password());
            EventSchemas schemas = EventSchemas.load();

            OutboxTable latencyTable = migrate(pg, "bench_latency");
            double p50;
            double p99;
            try (OutboxRelay relay =
                    OutboxRelay.start(settings(kafka, db, latencyTable, "lat"), schemas, new SimpleMeterRegistry())) {
                awaitRunning(relay);
                double[] latencies = steadyLatency(kafka, pg, new OutboxWriter(schemas, latencyTable), rate, seconds);
                p50 = percentile(latencies, 50);
                p99 = percentile(latencies, 99);
            }
            log.info("outbox-cdc latency at {}/s: p50 {} ms, p99 {} ms", rate, p50, p99);

            OutboxTable cdcTable = migrate(pg, "bench_cdc");
            double cdcEps;
            try (OutboxRelay relay =
                    OutboxRelay.start(settings(kafka, db, cdcTable, "tput"), schemas, new SimpleMeterRegistry())) {
                awaitRunning(relay);
                cdcEps = throughput(kafka, pg, new OutboxWriter(schemas, cdcTable), throughputEvents, "cdc");
            }
            OutboxTable pollTable = migrate(pg, "bench_poll");
            double pollEps;
            try (PollingOutboxRelay relay = PollingOutboxRelay.start(
                    PollingOutboxRelay.Settings.of(kafka.bootstrapServers(), db, pollTable),
                    schemas,
                    new SimpleMeterRegistry())) {
                pollEps = throughput(kafka, pg, new OutboxWriter(schemas, pollTable), throughputEvents, "poll");
            }
            System.out.printf("%n| metric id | value |%n|---|---|%n");
            System.out.printf(
                    "| outbox-cdc-p99-ms | %.1f (p50 %.1f) at %d events/s for %d s |%n", p99, p50, rate, seconds);
            System.out.printf("| outbox-cdc-max-eps | %.0f |%n", cdcEps);
            System.out.printf("| outbox-polling-max-eps | %.0f |%n", pollEps);
            System.out.printf("| outbox-cdc-vs-polling | %.2f |%n", cdcEps / pollEps);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static OutboxRelay.Settings settings(EmbeddedKafkaBroker kafka, Database db, OutboxTable table, String id) {
        return OutboxRelay.Settings.of(kafka.bootstrapServers(), db, table)
                .withOffsetsTopic("bench-offsets-" + id)
                .withOverrides(Map.of(
                        "slot.name", "bench_" + id, "publication.name", "bench_" + id, "topic.prefix", "bench-" + id));
    }

    private static OutboxTable migrate(EmbeddedPostgresServer pg, String schema) {
        DatabaseMigrations.migrate(pg.jdbcUrl(), pg.username(), pg.password(), schema);
        return new OutboxTable(schema);
    }

    private static void awaitRunning(OutboxRelay relay) {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!relay.running() && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }

    /** Single-event transactions at {@code rate}/s; returns commit → received latencies in ms (after warm-up). */
    private static double[] steadyLatency(
            EmbeddedKafkaBroker kafka, EmbeddedPostgresServer pg, OutboxWriter writer, int rate, int seconds)
            throws Exception {
        String prefix = "lat-" + UUID.randomUUID() + "-";
        Map<String, Long> committedAt = new ConcurrentHashMap<>();
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        int warmup = 5 * rate;
        int total = warmup + seconds * rate;
        AtomicInteger received = new AtomicInteger();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong warmupIndexEnd = new AtomicLong(warmup);
        Map<String, Integer> index = new ConcurrentHashMap<>();
        Thread reader = new Thread(
                () -> read(kafka, prefix, done, record -> {
                    String id = EnvelopeHeaders.text(record.headers(), EnvelopeHeaders.EVENT_ID);
                    Long at = committedAt.get(id);
                    Integer i = index.get(id);
                    if (at != null && i != null && i >= warmupIndexEnd.get()) {
                        latencies.add((System.nanoTime() - at) / 1e6);
                    }
                    received.incrementAndGet();
                }),
                "bench-reader");
        reader.start();
        int writers = 2;
        CountDownLatch written = new CountDownLatch(writers);
        long start = System.nanoTime();
        for (int w = 0; w < writers; w++) {
            int first = w;
            new Thread(
                            () -> {
                                try (Connection c = pg.connect()) {
                                    c.setAutoCommit(false);
                                    for (int i = first; i < total; i += writers) {
                                        long due = start + (long) (i * (1e9 / rate));
                                        long wait = due - System.nanoTime();
                                        if (wait > 0) {
                                            LockSupport.parkNanos(wait);
                                        }
                                        EventEnvelope event = event(prefix + (i % 100), i);
                                        index.put(event.eventId().toString(), i);
                                        writer.append(c, event);
                                        c.commit();
                                        committedAt.put(event.eventId().toString(), System.nanoTime());
                                    }
                                } catch (Exception e) {
                                    throw new IllegalStateException(e);
                                } finally {
                                    written.countDown();
                                }
                            },
                            "bench-writer-" + w)
                    .start();
        }
        written.await();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (received.get() < total && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        done.set(true);
        reader.join();
        log.info("latency run: {} written, {} received", total, received.get());
        return latencies.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** Writes {@code events} in transactions of 500 as fast as possible; returns records/s arriving on Kafka. */
    private static double throughput(
            EmbeddedKafkaBroker kafka, EmbeddedPostgresServer pg, OutboxWriter writer, int events, String name)
            throws Exception {
        String prefix = name + "-" + UUID.randomUUID() + "-";
        AtomicInteger received = new AtomicInteger();
        AtomicLong firstAt = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        AtomicBoolean done = new AtomicBoolean();
        Thread reader = new Thread(
                () -> read(kafka, prefix, done, record -> {
                    long now = System.nanoTime();
                    firstAt.compareAndSet(0, now);
                    lastAt.set(now);
                    received.incrementAndGet();
                }),
                "bench-reader");
        reader.start();
        try (Connection c = pg.connect()) {
            c.setAutoCommit(false);
            for (int from = 0; from < events; from += 500) {
                List<EventEnvelope> batch = new ArrayList<>(500);
                for (int i = from; i < Math.min(events, from + 500); i++) {
                    batch.add(event(prefix + (i % 100), i));
                }
                writer.appendAll(c, batch);
                c.commit();
            }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(300).toNanos();
        while (received.get() < events && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        done.set(true);
        reader.join();
        double eps = (received.get() - 1) / ((lastAt.get() - firstAt.get()) / 1e9);
        log.info("{} throughput: {} of {} events, {} events/s", name, received.get(), events, Math.round(eps));
        return eps;
    }

    private static void read(
            EmbeddedKafkaBroker kafka,
            String prefix,
            AtomicBoolean done,
            Consumer<ConsumerRecord<byte[], byte[]>> onRecord) {
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG,
                "bench-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG,
                "latest",
                ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG,
                5,
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG,
                5000,
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG,
                ByteArrayDeserializer.class))) {
            consumer.subscribe(List.of(Topics.ORDER_EVENTS.name()));
            while (consumer.assignment().isEmpty()) {
                consumer.poll(Duration.ofMillis(50));
            }
            consumer.seekToEnd(consumer.assignment());
            consumer.assignment().forEach(consumer::position);
            while (!done.get()) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                    if (new String(record.key()).startsWith(prefix)) {
                        onRecord.accept(record);
                    }
                }
            }
        }
    }

    private static EventEnvelope event(String orderId, int i) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", "c-" + (i % 997))
                .put("totalCents", 1000 + i % 5000)
                .put("currency", "EUR");
        payload.putArray("lines")
                .addObject()
                .put("sku", "sku-" + (i % 50))
                .put("quantity", 1)
                .put("unitPriceCents", 1000 + i % 5000);
        return EventEnvelope.newEvent("OrderPlaced", "order", orderId, payload, Clock.systemUTC());
    }

    private static double percentile(double[] values, double p) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank))];
    }

    private static int intArg(String[] args, int i, int fallback) {
        return args.length > i ? Integer.parseInt(args[i]) : fallback;
    }
}
