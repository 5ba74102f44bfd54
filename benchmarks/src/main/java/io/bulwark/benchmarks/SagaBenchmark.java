package io.bulwark.benchmarks;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.KafkaClients;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.app.StreamsApp;
import io.bulwark.streams.app.TopicInstaller;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code saga-completions-per-s}: the whole streams app (default settings, one stream thread,
 * exactly_once_v2) on the embedded broker, an instant simulated payment worker, plenty of stock;
 * after a warm-up batch, N orders are produced at once and the harness counts {@code OrderConfirmed}
 * outcomes per second, from the first order produced to the last confirmation. Optional arguments:
 * stream threads, processing guarantee, then streams-app {@code key=value} settings.
 */
public final class SagaBenchmark {

    private static final int WARM_UP_ORDERS = Integer.getInteger("bench.warm.up.orders", 3_000);

    private SagaBenchmark() {}

    public static void main(String[] args) throws Exception {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        String threads = args.length > 1 ? args[1] : "1";
        String guarantee = args.length > 2 ? args[2] : "exactly_once_v2";
        Path dir = Files.createTempDirectory("bulwark-saga-bench");
        try (EmbeddedKafkaBroker kafka =
                EmbeddedKafkaBroker.builder(dir).build().start()) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
                TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
            }
            Map<String, String> settings = KeyValueArgs.withOverrides(
                    Map.of(
                            AppConfig.BOOTSTRAP_SERVERS,
                            kafka.bootstrapServers(),
                            AppConfig.APPLICATION_ID,
                            "bench-saga",
                            AppConfig.STATE_DIR,
                            dir.resolve("state").toString(),
                            AppConfig.HTTP_PORT,
                            "0",
                            AppConfig.SAGA_STEP_TIMEOUT_MS,
                            "600000",
                            AppConfig.NUM_STREAM_THREADS,
                            threads,
                            AppConfig.PROCESSING_GUARANTEE,
                            guarantee),
                    args,
                    3); // then key=value overrides, e.g. kafka.max.task.idle.ms=-1
            AppConfig config = ConfigLoader.load(null, Map.of(), settings);
            AtomicBoolean stop = new AtomicBoolean();
            try (StreamsApp app = StreamsApp.start(config, BulwarkTopology.create(config));
                    KafkaProducer<byte[], byte[]> producer = producer(kafka);
                    KafkaConsumer<byte[], byte[]> outcomes = consumer(kafka, Topics.ORDER_OUTCOMES.name())) {
                while (app.state() != KafkaStreams.State.RUNNING) {
                    Thread.sleep(20);
                }
                Thread payments = new Thread(() -> payments(kafka, stop), "bench-payments");
                payments.start();
                for (int s = 0; s < 100; s++) {
                    producer.send(new ProducerRecord<>(
                            Topics.INVENTORY_COMMANDS.name(),
                            key("bench-sku-" + s),
                            Json.mapper()
                                    .writerFor(InventoryCommand.class)
                                    .writeValueAsBytes(new InventoryCommand.Restock(
                                            UUID.randomUUID(), "bench-sku-" + s, null, 1_000_000))));
                }
                producer.flush();
                // Warm-up batch, not counted: on a cold JVM the JIT compiler threads took ~45% of the CPU
                // of a 23 s run (async-profiler), which measured start-up rather than the saga.
                confirm(producer, outcomes, "bench-warm-", WARM_UP_ORDERS);
                ThreadTime before = ThreadTime.of(app.streams());
                Map<TopicPartition, Long> endsBefore = endOffsets(kafka);
                Profiling.start();
                Batch batch = confirm(producer, outcomes, "bench-o-", orders);
                Profiling.stop();
                ThreadTime spent = ThreadTime.of(app.streams()).minus(before);
                Map<TopicPartition, Long> endsAfter = endOffsets(kafka);
                stop.set(true);
                payments.join(10_000);
                System.out.printf("%n| metric id | value |%n|---|---|%n");
                System.out.printf(
                        "| saga-completions-per-s | %.0f (%d of %d orders confirmed in %.1f s after %d warm-up "
                                + "orders; %s stream thread(s), %s; half of them in %.1f s) |%n",
                        batch.confirmed() / batch.seconds(),
                        batch.confirmed(),
                        orders,
                        batch.seconds(),
                        WARM_UP_ORDERS,
                        threads,
                        guarantee,
                        batch.halfSeconds());
                System.out.printf(
                        "| saga-cpu-us-per-order | %.0f in the stream threads, %.0f in the whole process (broker, clients"
                                + " and JIT included) — steadier than the rate on a shared VM |%n",
                        spent.threadCpuNs() / 1e3 / orders, spent.processCpuNs() / 1e3 / orders);
                System.out.printf("| stream threads' time in the batch | %s |%n", spent.describe());
                System.out.printf(
                        "| log entries per order, by topic (records and transaction markers) | %s |%n",
                        perOrder(endsBefore, endsAfter, orders));
            }
        } finally {
            Directories.deleteRecursively(dir);
        }
    }

    /**
     * Cumulative stream-thread and producer counters (all threads summed), to say where the measured batch's
     * wall-clock time went: blocked on Kafka (KIP-761: poll, flush, commit), and of that the commits' parts.
     */
    private record ThreadTime(
            double wallNs,
            double processCpuNs,
            double threadCpuNs,
            double blockedNs,
            double commits,
            double flushNs,
            double sendOffsetsNs,
            double commitTxnNs,
            double retries) {

        static ThreadTime of(KafkaStreams streams) {
            Map<String, Double> sums = new HashMap<>();
            streams.metrics().forEach((name, metric) -> {
                if (metric.metricValue() instanceof Double value) {
                    sums.merge(name.group() + ":" + name.name(), value, Double::sum);
                }
            });
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            long threadCpu = 0;
            for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
                if (info != null && info.getThreadName().contains("-StreamThread-")) {
                    threadCpu += Math.max(0, threads.getThreadCpuTime(info.getThreadId()));
                }
            }
            return new ThreadTime(
                    System.nanoTime(),
                    ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                            .getProcessCpuTime(),
                    threadCpu,
                    sums.getOrDefault("stream-thread-metrics:blocked-time-ns-total", 0.0),
                    sums.getOrDefault("stream-thread-metrics:commit-total", 0.0),
                    sums.getOrDefault("producer-metrics:flush-time-ns-total", 0.0),
                    sums.getOrDefault("producer-metrics:txn-send-offsets-time-ns-total", 0.0),
                    sums.getOrDefault("producer-metrics:txn-commit-time-ns-total", 0.0),
                    sums.getOrDefault("producer-metrics:record-retry-total", 0.0));
        }

        ThreadTime minus(ThreadTime earlier) {
            return new ThreadTime(
                    wallNs - earlier.wallNs,
                    processCpuNs - earlier.processCpuNs,
                    threadCpuNs - earlier.threadCpuNs,
                    blockedNs - earlier.blockedNs,
                    commits - earlier.commits,
                    flushNs - earlier.flushNs,
                    sendOffsetsNs - earlier.sendOffsetsNs,
                    commitTxnNs - earlier.commitTxnNs,
                    retries - earlier.retries);
        }

        String describe() {
            double nsPerMs = 1e6;
            return String.format(
                    "wall %.1f s; process CPU %.2f cores; stream threads on CPU %.0f%% of wall; blocked on Kafka %.0f%% (KIP-761 blocked-time-ns-total); %.0f commits, per commit"
                            + " flush %.1f ms + send offsets %.1f ms + commitTransaction %.1f ms; %.0f record retries",
                    wallNs / 1e9,
                    processCpuNs / wallNs,
                    100 * threadCpuNs / wallNs,
                    100 * blockedNs / wallNs,
                    commits,
                    flushNs / nsPerMs / Math.max(1, commits),
                    sendOffsetsNs / nsPerMs / Math.max(1, commits),
                    commitTxnNs / nsPerMs / Math.max(1, commits),
                    retries);
        }
    }

    /** {@code halfSeconds}: when half the orders were confirmed — a tail (one slow commit) moves only {@code seconds}. */
    private record Batch(int confirmed, double seconds, double halfSeconds) {}

    /** Sends {@code orders} orders at once and waits (at most 10 minutes) until each is confirmed. */
    private static Batch confirm(
            KafkaProducer<byte[], byte[]> producer, KafkaConsumer<byte[], byte[]> outcomes, String prefix, int orders)
            throws Exception {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        long start = System.nanoTime();
        for (int i = 0; i < orders; i++) {
            EventEnvelope order = order(prefix + i, "bench-sku-" + (i % 100));
            RecordHeaders headers = new RecordHeaders();
            byte[] value = serde.serializer().serialize(Topics.ORDER_EVENTS.name(), headers, order);
            producer.send(
                    new ProducerRecord<>(Topics.ORDER_EVENTS.name(), null, key(order.aggregateId()), value, headers));
        }
        producer.flush();
        Set<String> confirmed = new HashSet<>();
        long last = start;
        long half = start;
        long deadline = start + Duration.ofMinutes(10).toNanos();
        while (confirmed.size() < orders && System.nanoTime() < deadline) {
            for (ConsumerRecord<byte[], byte[]> r : outcomes.poll(Duration.ofMillis(200))) {
                EventEnvelope outcome = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                if (outcome.type().equals("OrderConfirmed")
                        && outcome.aggregateId().startsWith(prefix)
                        && confirmed.add(outcome.aggregateId())) {
                    last = System.nanoTime();
                    if (confirmed.size() == orders / 2) {
                        half = last;
                    }
                }
            }
        }
        return new Batch(confirmed.size(), (last - start) / 1e9, (half - start) / 1e9);
    }

    private static void payments(EmbeddedKafkaBroker kafka, AtomicBoolean stop) {
        EventEnvelopeSerde serde = EventEnvelopeSerde.inHeaders();
        try (KafkaConsumer<byte[], byte[]> commands = consumer(kafka, Topics.PAYMENT_COMMANDS.name());
                KafkaProducer<byte[], byte[]> replies = producer(kafka)) {
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : commands.poll(Duration.ofMillis(50))) {
                    EventEnvelope command = serde.deserializer().deserialize(r.topic(), r.headers(), r.value());
                    if (!command.type().equals("AuthorizePayment")) {
                        continue;
                    }
                    ObjectNode payload = Json.mapper().createObjectNode().put("orderId", command.aggregateId());
                    EventEnvelope reply = new EventEnvelope(
                            UUID.randomUUID(),
                            "PaymentAuthorized",
                            "payment",
                            command.aggregateId(),
                            null,
                            Instant.now(),
                            command.aggregateId(),
                            command.eventId().toString(),
                            null,
                            payload);
                    RecordHeaders headers = new RecordHeaders();
                    byte[] value = serde.serializer().serialize(Topics.PAYMENT_EVENTS.name(), headers, reply);
                    replies.send(new ProducerRecord<>(
                            Topics.PAYMENT_EVENTS.name(), null, key(command.aggregateId()), value, headers));
                }
            }
        }
    }

    private static EventEnvelope order(String orderId, String sku) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", "bench-c-" + orderId.hashCode() % 500)
                .put("totalCents", 1000)
                .put("currency", "EUR");
        payload.putArray("lines").addObject().put("sku", sku).put("quantity", 1).put("unitPriceCents", 1000);
        return new EventEnvelope(
                UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.now(), null, null, null, payload);
    }

    /** The end offset of every partition of every topic on the broker, internal ones included. */
    private static Map<TopicPartition, Long> endOffsets(EmbeddedKafkaBroker kafka) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(false))
                    .names()
                    .get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            admin.describeTopics(names)
                    .allTopicNames()
                    .get()
                    .forEach((name, description) -> description
                            .partitions()
                            .forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
            return ends;
        }
    }

    /**
     * Log entries each order added per topic, most first: what the broker wrote for the batch. An offset counts a
     * record or a transaction marker (one per partition a transaction wrote to).
     */
    private static String perOrder(Map<TopicPartition, Long> before, Map<TopicPartition, Long> after, int orders) {
        Map<String, Long> byTopic = new TreeMap<>();
        after.forEach((tp, end) -> byTopic.merge(tp.topic(), end - before.getOrDefault(tp, 0L), Long::sum));
        long total = byTopic.values().stream().mapToLong(Long::longValue).sum();
        return String.format("%.1f in all: ", (double) total / orders)
                + byTopic.entrySet().stream()
                        .filter(e -> e.getValue() > 0)
                        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                        .map(e -> String.format("%s %.2f", e.getKey(), (double) e.getValue() / orders))
                        .collect(Collectors.joining(", "));
    }

    private static byte[] key(String key) {
        return key.getBytes(StandardCharsets.UTF_8);
    }

    private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafkaBroker kafka) {
        return KafkaClients.bytesProducer(kafka.bootstrapServers());
    }

    private static KafkaConsumer<byte[], byte[]> consumer(EmbeddedKafkaBroker kafka, String topic) {
        return KafkaClients.bytesConsumer(kafka.bootstrapServers(), topic, "earliest");
    }
}
