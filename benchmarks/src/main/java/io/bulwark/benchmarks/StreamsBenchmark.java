package io.bulwark.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.KafkaClients;
import io.bulwark.schemas.CleanupPolicy;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.TopicLeaders;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.streams.intake.KeyedInput;
import io.bulwark.streams.rates.RateAccounting;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BiConsumer;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Produced;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Throughput of the streams topologies against a pass-through baseline, in one process and run:
 * the same pre-loaded input (OrderPlaced events, 30% copies), the same serdes (validating envelope
 * serde in, envelope serde out) and the app's own configuration (exactly_once_v2, bounded RocksDB
 * memory). Each run gets a fresh application id and state directory and is timed from RUNNING
 * until its committed offsets reach the end of the input. First every topology runs once over its
 * input unmeasured, so the JIT has compiled its code ({@code -Dbench.warm.up.each=false} skips that,
 * as runs before 2026-11-28 did); then {@code -Dbench.rounds} (3) paired rounds, in which each
 * topology's run follows a pass-through run of its own and the ratio is taken per pair (since
 * 2026-12-03; before, one median pass-through stood for every ratio). Peak RSS is the whole
 * process's (broker included): an upper bound for the streams part.
 */
public final class StreamsBenchmark {

    private static final Logger log = LoggerFactory.getLogger(StreamsBenchmark.class);
    private static final String INPUT = "bench.streams.input";
    private static final TopicSpec<String, EventEnvelope> INPUT_SPEC = new TopicSpec<>(
            INPUT,
            Serdes.String(),
            EventEnvelopeSerde.inHeaders(),
            Topics.DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.empty());
    private static final TopicSpec<String, byte[]> BENCH_COMMANDS = new TopicSpec<>(
            "bench.inventory.commands",
            Serdes.String(),
            Serdes.ByteArray(),
            Topics.DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.empty());
    private static final TopicSpec<String, EventEnvelope> BENCH_EVENTS = new TopicSpec<>(
            "bench.inventory.events",
            Serdes.String(),
            EventEnvelopeSerde.inHeaders(),
            Topics.DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.empty());

    /** Streams-app settings for every run, from the system property {@code bench.set=k=v,k=v}. */
    private static final Map<String, String> EXTRA_SETTINGS = KeyValueArgs.withOverrides(
            Map.of(),
            System.getProperty("bench.set", "").isEmpty()
                    ? new String[0]
                    : System.getProperty("bench.set").split(","),
            0);

    /** Whether each measured topology first runs once unmeasured ({@code -Dbench.warm.up.each=false}: no). */
    private static final boolean WARM_UP_EACH = Boolean.parseBoolean(System.getProperty("bench.warm.up.each", "true"));

    /** The run profiled when {@code bench.profile} is set (its first round): {@code -Dbench.profile.run=rates}, say. */
    private static final String PROFILED_RUN = System.getProperty("bench.profile.run", "inventory");

    /** Paired rounds ({@code -Dbench.rounds}): each a pass-through run right before each topology's run. */
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    private static boolean profileTaken;

    /** The event time of the first input record (the rates' windows fall the same way in every run). */
    private static final Instant T0 = Instant.parse("2026-11-26T00:00:00Z");

    /** How long a run may go without committing progress before the benchmark gives up on it. */
    private static final Duration STALL = Duration.ofSeconds(60);

    private StreamsBenchmark() {}

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        Path dir = Files.createTempDirectory("bulwark-streams-bench");
        try (EmbeddedKafkaBroker kafka =
                EmbeddedKafkaBroker.builder(dir).build().start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                List<NewTopic> topics = new ArrayList<>(
                        Topics.all().stream().map(t -> t.newTopic((short) 1)).toList());
                // Kept for good: the input's event times start at a fixed instant (T0), and once that is older than the
                // broker's default retention (7 days), its retention check deletes the whole input in the middle of a
                // run — the next app resets to the log start, now the end, and waits for records forever (seen on
                // 2026-12-03, seven days after T0).
                Map<String, String> keep = Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1");
                for (String name : List.of(
                        INPUT,
                        "bench.out.passthrough",
                        "bench.out.dedup",
                        "bench.out.rates",
                        BENCH_COMMANDS.name(),
                        BENCH_EVENTS.name())) {
                    topics.add(new NewTopic(name, Topics.DOMAIN_PARTITIONS, (short) 1).configs(keep));
                }
                admin.createTopics(topics).all().get();
                TopicLeaders.await(admin, topics.stream().map(NewTopic::name).toList(), Duration.ofSeconds(60));
            }
            preload(kafka, records);
            EventSchemas schemas = EventSchemas.load();
            BiConsumer<StreamsBuilder, AppConfig> passthrough =
                    (builder, config) -> input(builder, schemas).to("bench.out.passthrough", produced());
            measure(kafka, dir, "warm-up", records, passthrough, INPUT); // JIT and page cache, not measured
            preloadInventory(kafka, records);
            List<Measured> measured = List.of(
                    // Every input record is on its key's murmur2 partition (Java producer): the cost of the check
                    // alone.
                    new Measured(
                            "routing",
                            "keyed-routing-vs-passthrough",
                            "records",
                            INPUT,
                            (builder, config) -> KeyedInput.routed(
                                            input(builder, schemas),
                                            INPUT_SPEC,
                                            EventEnvelopeSerde.asJson(),
                                            "bench-routed")
                                    .to("bench.out.passthrough", produced())),
                    new Measured(
                            "dedup",
                            "dedup-vs-passthrough",
                            "records",
                            INPUT,
                            (builder, config) -> Deduplication.deduplicate(
                                            builder, input(builder, schemas), "bench-dedup", config.dedupRetention())
                                    .to("bench.out.dedup", produced())),
                    new Measured(
                            "rates",
                            "rates-vs-passthrough",
                            "records",
                            INPUT,
                            (builder, config) -> RateAccounting.build(
                                    input(builder, schemas), config.rateSettings(), Topics.RATE_ALERTS)),
                    new Measured(
                            "inventory",
                            "aggregate-vs-passthrough",
                            "commands",
                            BENCH_COMMANDS.name(),
                            (builder, config) -> InventoryAggregate.build(
                                    builder, BENCH_COMMANDS, BENCH_EVENTS, config.inventoryCommandRetention())));
            if (WARM_UP_EACH) {
                // Each topology over its input once, not measured: its code is compiled before the runs that count
                // (a single pass leaves C2 using as much CPU as the stream thread).
                for (Measured m : measured) {
                    measure(kafka, dir, m.name() + "-warm-up", records, m.topology(), m.input());
                }
            }
            // Paired rounds: each topology's run right after a pass-through run of its own, and the ratio taken per
            // pair. On this kind of VM throughput drifts by ±30% from one minute to the next; a ratio of two runs
            // seconds apart carries far less of that drift than a ratio against a baseline measured once.
            Map<String, List<Double>> ratios = new LinkedHashMap<>();
            Map<String, List<Double>> rps = new LinkedHashMap<>();
            for (int round = 1; round <= ROUNDS; round++) {
                for (Measured m : measured) {
                    double base = measure(kafka, dir, "passthrough", records, passthrough, INPUT);
                    double topology = measure(kafka, dir, m.name(), records, m.topology(), m.input());
                    rps.computeIfAbsent("passthrough", k -> new ArrayList<>()).add(base);
                    rps.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(topology);
                    ratios.computeIfAbsent(m.name(), k -> new ArrayList<>()).add(topology / base);
                    log.info(
                            "round {}: {} / passthrough = {}", round, m.name(), String.format("%.2f", topology / base));
                }
            }
            long rssMb = peakRssKb() / 1024;
            System.out.printf(
                    "%n%d paired rounds; min / median / max of the per-pair ratios (median records/s)%n", ROUNDS);
            System.out.printf("%n| metric id | value |%n|---|---|%n");
            System.out.printf("| passthrough-rps | %s |%n", spread(rps.get("passthrough"), "%.0f"));
            for (Measured m : measured) {
                System.out.printf(
                        "| %s | %s (%.0f %s/s) |%n",
                        m.metric(), spread(ratios.get(m.name()), "%.2f"), median(rps.get(m.name())), m.unit());
            }
            System.out.printf("| streams-rss-mb | %d (peak, whole process incl. broker) |%n", rssMb);
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    private static KStream<String, EventEnvelope> input(StreamsBuilder builder, EventSchemas schemas) {
        return builder.stream(INPUT, Consumed.with(Serdes.String(), EventEnvelopeSerde.inHeaders(schemas)));
    }

    private static Produced<String, EventEnvelope> produced() {
        return Produced.with(Serdes.String(), EventEnvelopeSerde.inHeaders());
    }

    /** A measured topology: its name, the metric id its ratio is reported as, what it counts, its input, its build. */
    private record Measured(
            String name, String metric, String unit, String input, BiConsumer<StreamsBuilder, AppConfig> topology) {}

    private static double median(List<Double> values) {
        List<Double> sorted = values.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String spread(List<Double> values, String format) {
        List<Double> sorted = values.stream().sorted().toList();
        return String.format(format, sorted.get(0)) + " / " + String.format(format, median(values)) + " / "
                + String.format(format, sorted.get(sorted.size() - 1));
    }

    private static double measure(
            EmbeddedKafkaBroker kafka,
            Path dir,
            String name,
            int records,
            BiConsumer<StreamsBuilder, AppConfig> topology,
            String input)
            throws Exception {
        String appId = "bench-" + name + "-" + UUID.randomUUID();
        Map<String, String> flags = new HashMap<>(EXTRA_SETTINGS);
        flags.put(AppConfig.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        flags.put(AppConfig.APPLICATION_ID, appId);
        flags.put(AppConfig.STATE_DIR, dir.resolve("state-" + name).toString());
        flags.put("kafka.auto.offset.reset", "earliest");
        AppConfig config = ConfigLoader.load(null, Map.of(), flags);
        Properties props = config.streamsProperties();
        StreamsBuilder builder = new StreamsBuilder(new TopologyConfig(new StreamsConfig(props)));
        topology.accept(builder, config);
        try (KafkaStreams streams = new KafkaStreams(builder.build(props), props);
                Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            streams.start();
            while (streams.state() != KafkaStreams.State.RUNNING) {
                Thread.onSpinWait();
            }
            boolean profiled = name.equals(PROFILED_RUN) && !profileTaken;
            profileTaken |= profiled;
            if (profiled) {
                Profiling.start();
            }
            long start = System.nanoTime();
            Map<TopicPartition, Long> end = endOffsets(admin, input);
            long progressed = System.nanoTime();
            long lastSum = -1;
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(appId)
                        .partitionsToOffsetAndMetadata()
                        .get();
                boolean done = end.entrySet().stream()
                        .allMatch(e -> committed.get(e.getKey()) != null
                                && committed.get(e.getKey()).offset() >= e.getValue());
                if (done) {
                    break;
                }
                long sum = committed.values().stream()
                        .mapToLong(OffsetAndMetadata::offset)
                        .sum();
                if (sum != lastSum) {
                    lastSum = sum;
                    progressed = System.nanoTime();
                } else if (System.nanoTime() - progressed > STALL.toNanos()) {
                    // A benchmark that waits forever measures nothing: say what the app looked like and stop. (How the
                    // input's retention, below T0, was found.)
                    String metrics = streams.metrics().entrySet().stream()
                            .filter(m -> m.getValue().metricValue() instanceof Number n && n.doubleValue() != 0)
                            .map(m -> m.getKey().group() + " " + m.getKey().name() + " "
                                    + m.getKey().tags() + " = " + m.getValue().metricValue())
                            .sorted()
                            .collect(Collectors.joining("\n  "));
                    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                    end.keySet().forEach(tp -> latest.put(tp, OffsetSpec.latest()));
                    var stable = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED))
                            .all()
                            .get();
                    throw new IllegalStateException(name + ": no committed progress for " + STALL.toSeconds()
                            + " s; state " + streams.state() + ", tasks " + streams.metadataForLocalThreads()
                            + ", committed " + committed + ", end " + end + ", last stable offsets " + stable
                            + "; its non-zero metrics:\n  " + metrics);
                }
                LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            if (profiled) {
                Profiling.stop();
            }
            double rps = records / seconds;
            double late = streams.metrics().values().stream()
                    .filter(m -> m.metricName().name().equals("dropped-records-total"))
                    .mapToDouble(m -> ((Number) m.metricValue()).doubleValue())
                    .sum();
            if (late > 0) {
                log.info("{}: {} records dropped (late for their windows, or unreadable)", name, Math.round(late));
            }
            log.info(
                    "{}: {} records in {} s = {} records/s",
                    name,
                    records,
                    String.format("%.1f", seconds),
                    Math.round(rps));
            streams.close(Duration.ofSeconds(30));
            return rps;
        }
    }

    private static Map<TopicPartition, Long> endOffsets(Admin admin, String input) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        for (int p = 0; p < Topics.DOMAIN_PARTITIONS; p++) {
            request.put(new TopicPartition(input, p), OffsetSpec.latest());
        }
        return admin.listOffsets(request).all().get().entrySet().stream()
                .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
    }

    /** {@code records} OrderPlaced events: 70% distinct, 30% copies of recent ones; 1,000 orders, 500 customers. */
    private static void preload(EmbeddedKafkaBroker kafka, int records) throws Exception {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        Random random = new Random(7);
        List<EventEnvelope> recent = new ArrayList<>();
        long t0 = T0.toEpochMilli();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            for (int i = 0; i < records; i++) {
                EventEnvelope event;
                if (!recent.isEmpty() && random.nextInt(100) < 30) {
                    event = recent.get(random.nextInt(recent.size()));
                } else {
                    event = order("bo-" + random.nextInt(1_000), random);
                    recent.add(event);
                    if (recent.size() > 1_000) {
                        recent.remove(0);
                    }
                }
                RecordHeaders headers = new RecordHeaders();
                byte[] value = serde.serializer().serialize(INPUT, headers, event);
                // event time advances 1 ms per record (1,000 orders/s): far less skew between the input partitions
                // than the rate windows' 30 s grace, so the rates run aggregates rather than drops (at 10 ms per
                // record, before 2026-11-28, most of its records were late)
                producer.send(new ProducerRecord<>(
                        INPUT, null, t0 + i, event.aggregateId().getBytes(StandardCharsets.UTF_8), value, headers));
            }
        }
        log.info("preloaded {} records", records);
    }

    /** {@code records} inventory commands over 1,000 SKUs: a restock for each, then reserves and releases. */
    private static void preloadInventory(EmbeddedKafkaBroker kafka, int records) throws Exception {
        Random random = new Random(11);
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka.bootstrapServers())) {
            for (int i = 0; i < records; i++) {
                String sku = "bs-" + (i % 1_000);
                InventoryCommand command = i < 1_000
                        ? new InventoryCommand.Restock(UUID.randomUUID(), sku, null, 1_000_000)
                        : random.nextInt(4) == 0
                                ? new InventoryCommand.Release(
                                        UUID.randomUUID(), sku, null, "bo-" + random.nextInt(5_000))
                                : new InventoryCommand.Reserve(
                                        UUID.randomUUID(),
                                        sku,
                                        null,
                                        "bo-" + random.nextInt(5_000),
                                        1 + random.nextInt(3));
                producer.send(new ProducerRecord<>(
                        BENCH_COMMANDS.name(),
                        sku.getBytes(StandardCharsets.UTF_8),
                        Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(command)));
            }
        }
        log.info("preloaded {} inventory commands", records);
    }

    private static EventEnvelope order(String orderId, Random random) {
        long cents = 100 + random.nextInt(10_000);
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", "bc-" + random.nextInt(500))
                .put("totalCents", cents)
                .put("currency", "EUR")
                .put("merchantId", "bm-" + random.nextInt(50));
        payload.putArray("lines").addObject().put("sku", "s").put("quantity", 1).put("unitPriceCents", cents);
        return new EventEnvelope(
                UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.now(), null, null, null, payload);
    }

    /** Peak resident set size of this process, from /proc (Linux); 0 elsewhere. */
    private static long peakRssKb() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(line -> line.startsWith("VmHWM:"))
                    .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
                    .findFirst()
                    .orElse(0L);
        } catch (Exception e) {
            return 0;
        }
    }
}
