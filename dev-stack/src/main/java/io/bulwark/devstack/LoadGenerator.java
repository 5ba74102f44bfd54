package io.bulwark.devstack;

import io.bulwark.infra.KafkaClients;
import io.bulwark.orders.payment.GatewaySimulator;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The dev-stack's load generator ({@code --load <orders/s>}): places orders over HTTP at a fixed rate
 * (open loop) with a share of duplicate requests (same Idempotency-Key), payment declines (amounts
 * the simulated gateway declines) and gateway faults (503s, 429s with Retry-After, latency); shows
 * live progress; then waits for every order to reach a terminal state and checks the run against
 * PostgreSQL, the outcome topic and the query API: nothing lost, nothing doubled.
 *
 * <p>End-to-end latency (of orders accepted after a warm-up of 20 s, or a third of the run: the first
 * seconds after start-up are slow while every client joins its group and opens its transactions) is
 * from the {@code 201} of {@code POST /orders} to the order being
 * {@code CONFIRMED} or {@code REJECTED} in the query API, found by polling every 100 ms the orders
 * whose outcome has appeared on {@code bulwark.order.outcomes} (so the figure is at most 100 ms high).
 */
final class LoadGenerator {

    record Settings(int ordersPerSecond, Duration duration, double duplicateShare, double declineShare,
            GatewaySimulator.Faults faults) {
        static Settings of(int rate, Duration duration, boolean gatewayFaults) {
            return new Settings(rate, duration, 0.05, 0.05, gatewayFaults
                    ? GatewaySimulator.Faults.none().withLatency(5).withErrorRate(0.02).withThrottle(0.01, 1)
                    : GatewaySimulator.Faults.none().withLatency(5));
        }
    }

    /** What the run found. */
    record Summary(long sent, long accepted, long confirmed, long compensated, long lost, long doubled,
            long deadLettered, double p50Ms, double p99Ms, double maxMs, boolean consistent) {}

    private static final int SKUS = 100;

    private final Settings settings;
    private final String kafka;
    private final String jdbcUrl;
    private final int ordersPort;
    private final int queryPort;
    private final String apiKey;
    private final GatewaySimulator gateway;
    private final PrintStream out;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final String run = UUID.randomUUID().toString().substring(0, 6);

    private final Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    private final Map<String, Boolean> expectDecline = new ConcurrentHashMap<>();
    private final Map<String, String> outcomeType = new ConcurrentHashMap<>();
    private final Map<String, Integer> outcomeCount = new ConcurrentHashMap<>();
    private final Map<String, Long> visibleAt = new ConcurrentHashMap<>();
    private final Map<String, String> visibleStatus = new ConcurrentHashMap<>();
    private final Map<String, Integer> deadLetters = new ConcurrentHashMap<>();
    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Orders accepted before this instant warm the JVMs and caches: checked, but not in the latency figures. */
    private volatile long measureFrom = Long.MAX_VALUE;
    private static final Duration WARM_UP = Duration.ofSeconds(20);

    LoadGenerator(Settings settings, String kafka, String jdbcUrl, int ordersPort, int queryPort, String apiKey,
            GatewaySimulator gateway, PrintStream out) {
        this.settings = settings;
        this.kafka = kafka;
        this.jdbcUrl = jdbcUrl;
        this.ordersPort = ordersPort;
        this.queryPort = queryPort;
        this.apiKey = apiKey;
        this.gateway = gateway;
        this.out = out;
    }

    Summary run() throws Exception {
        restock();
        gateway.faults(settings.faults());
        KafkaConsumer<byte[], byte[]> outcomes = positioned(Topics.ORDER_OUTCOMES.name());
        KafkaConsumer<byte[], byte[]> dlq = positioned(Topics.DEAD_LETTERS.name());
        Thread watcher = new Thread(() -> watch(outcomes, dlq), "load-watcher");
        watcher.start();
        Thread poller = new Thread(this::pollQueryApi, "load-query-poller");
        poller.start();
        out.printf("Load: %d orders/s for %d s (%.0f%% duplicate requests, %.0f%% declines, gateway faults %s)%n",
                settings.ordersPerSecond(), settings.duration().toSeconds(), settings.duplicateShare() * 100,
                settings.declineShare() * 100, settings.faults());

        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
        long total = settings.ordersPerSecond() * settings.duration().toSeconds();
        long began = System.nanoTime();
        measureFrom = began + Math.min(WARM_UP.toNanos(), settings.duration().toNanos() / 3);
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(10);
        ticker.scheduleAtFixedRate(() -> {
            long due = Math.min(total, (System.nanoTime() - began) * settings.ordersPerSecond() / 1_000_000_000L);
            while (sent.get() < due) {
                place(sent.getAndIncrement());
            }
        }, 0, tickNanos, TimeUnit.NANOSECONDS);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor();
        progress.scheduleAtFixedRate(() -> progress(began), 1, 1, TimeUnit.SECONDS);

        while (sent.get() < total) {
            Thread.sleep(50);
        }
        ticker.shutdown();
        long drainUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
        while (System.nanoTime() < drainUntil && (visibleAt.size() < acceptedAt.size())) {
            Thread.sleep(200);
        }
        Thread.sleep(1_000); // late doubles would show up on the outcome topic now
        progress.shutdownNow();
        progress(began);
        stop.set(true);
        watcher.join(5_000);
        poller.join(5_000);
        gateway.faults(GatewaySimulator.Faults.none());
        return summarize();
    }

    private void place(long n) {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        boolean decline = random.nextDouble() < settings.declineShare();
        // The simulated gateway declines amounts ending in 13 cents: one unit at 10.13.
        int quantity = decline ? 1 : 1 + (int) (n % 3);
        long price = decline ? 1_013 : 1_000;
        String key = "load-" + run + "-" + n;
        String body = "{\"customerId\":\"load-" + run + "-c" + (n % 2_000) + "\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\""
                + sku((int) (n % SKUS)) + "\",\"quantity\":" + quantity + ",\"unitPriceCents\":" + price + "}]}";
        send(key, body, decline, quantity);
        if (random.nextDouble() < settings.duplicateShare()) {
            duplicates.incrementAndGet();
            send(key, body, decline, quantity); // the client's retry: same key, same body
        }
    }

    private void send(String key, String body, boolean decline, int quantity) {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ordersPort + "/orders"))
                .timeout(Duration.ofSeconds(30)).header("X-API-Key", apiKey).header("Content-Type", "application/json")
                .header("Idempotency-Key", key).POST(HttpRequest.BodyPublishers.ofString(body)).build();
        http.sendAsync(request, HttpResponse.BodyHandlers.ofString()).whenComplete((response, error) -> {
            if (error != null || response.statusCode() != 201) {
                // 409 = the first of a duplicate pair is still running: that is the point of the key
                if (error != null || response.statusCode() != 409) {
                    refused.incrementAndGet();
                }
                return;
            }
            try {
                String orderId = Json.mapper().readTree(response.body()).path("orderId").asText();
                if (acceptedAt.putIfAbsent(orderId, System.nanoTime()) == null) {
                    expectDecline.put(orderId, decline);
                }
            } catch (java.io.IOException e) {
                refused.incrementAndGet();
            }
        });
    }

    private void watch(KafkaConsumer<byte[], byte[]> outcomes, KafkaConsumer<byte[], byte[]> dlq) {
        try (outcomes; dlq) {
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : outcomes.poll(Duration.ofMillis(50))) {
                    String orderId = new String(r.key(), StandardCharsets.UTF_8);
                    Header type = r.headers().lastHeader("eventType");
                    outcomeType.put(orderId, type == null ? "?" : new String(type.value(), StandardCharsets.UTF_8));
                    outcomeCount.merge(orderId, 1, Integer::sum);
                }
                for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(10))) {
                    Header exception = r.headers().lastHeader("__streams.errors.exception");
                    String cause = exception == null ? "unknown" : new String(exception.value(), StandardCharsets.UTF_8);
                    deadLetters.merge(r.topic() + " <- " + cause, 1, Integer::sum);
                }
            }
        }
    }

    private void pollQueryApi() {
        while (!stop.get()) {
            List<String> due = new ArrayList<>();
            outcomeType.keySet().forEach(orderId -> {
                if (acceptedAt.containsKey(orderId) && !visibleAt.containsKey(orderId)) {
                    due.add(orderId);
                }
            });
            for (String orderId : due) {
                try {
                    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                                    URI.create("http://127.0.0.1:" + queryPort + "/query/orders/" + orderId))
                                    .timeout(Duration.ofSeconds(10)).build(),
                            HttpResponse.BodyHandlers.ofString());
                    if (response.statusCode() == 200) {
                        String status = Json.mapper().readTree(response.body()).path("status").asText();
                        if (status.equals("CONFIRMED") || status.equals("REJECTED")) {
                            visibleAt.put(orderId, System.nanoTime());
                            visibleStatus.put(orderId, status);
                        }
                    }
                } catch (Exception e) {
                    // next round
                }
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void progress(long began) {
        long elapsed = Math.max(1, (System.nanoTime() - began) / 1_000_000_000L);
        long confirmed = visibleStatus.values().stream().filter("CONFIRMED"::equals).count();
        long compensated = visibleStatus.values().stream().filter("REJECTED"::equals).count();
        out.printf("  t=%3ds  sent %6d (%4d/s)  accepted %6d  confirmed %6d  compensated %5d  pending %5d  "
                        + "e2e p99 %6.0f ms  dead-lettered %d%n", elapsed, sent.get(), sent.get() / elapsed,
                acceptedAt.size(), confirmed, compensated, acceptedAt.size() - visibleAt.size(), percentile(99),
                deadLetters.values().stream().mapToInt(Integer::intValue).sum());
    }

    private double percentile(double p) {
        long[] latencies = visibleAt.entrySet().stream()
                .filter(e -> acceptedAt.getOrDefault(e.getKey(), 0L) >= measureFrom)
                .mapToLong(e -> e.getValue() - acceptedAt.get(e.getKey())).sorted().toArray();
        if (latencies.length == 0) {
            return Double.NaN;
        }
        return latencies[Math.max(0, (int) Math.ceil(p / 100 * latencies.length) - 1)] / 1e6;
    }

    private Summary summarize() throws Exception {
        long confirmed = visibleStatus.values().stream().filter("CONFIRMED"::equals).count();
        long compensated = visibleStatus.values().stream().filter("REJECTED"::equals).count();
        long lost = acceptedAt.keySet().stream().filter(id -> !visibleAt.containsKey(id)).count();
        long doubled = outcomeCount.entrySet().stream().filter(e -> acceptedAt.containsKey(e.getKey()))
                .filter(e -> e.getValue() > 1).count();
        long wrong = visibleStatus.entrySet().stream()
                .filter(e -> expectDecline.getOrDefault(e.getKey(), false) && e.getValue().equals("CONFIRMED")).count();
        long rows;
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "postgres", "");
                PreparedStatement count = connection.prepareStatement(
                        "SELECT count(*) FROM bulwark.orders WHERE customer_id LIKE ?")) {
            count.setString(1, "load-" + run + "-%");
            try (ResultSet row = count.executeQuery()) {
                row.next();
                rows = row.getLong(1);
            }
        }
        long dead = deadLetters.values().stream().mapToInt(Integer::intValue).sum();
        boolean consistent = lost == 0 && doubled == 0 && wrong == 0 && rows == acceptedAt.size();
        out.printf("%nLoad summary: sent %d requests for %d orders (%d duplicate requests), accepted %d orders, "
                        + "%d refused%n", sent.get() + duplicates.get(), sent.get(), duplicates.get(), acceptedAt.size(),
                refused.get());
        out.printf("  PostgreSQL order rows %d (accepted %d)%n", rows, acceptedAt.size());
        out.printf("  terminal in the query API: confirmed %d, compensated %d, not terminal (lost) %d%n", confirmed,
                compensated, lost);
        out.printf("  outcomes on %s: doubled %d; declined orders confirmed by mistake %d%n",
                Topics.ORDER_OUTCOMES.name(), doubled, wrong);
        out.printf("  dead-lettered during the run: %d %s%n", dead, new TreeMap<>(deadLetters));
        out.printf("  e2e (201 -> terminal in the query API, after a %d s warm-up): p50 %.0f ms, p99 %.0f ms, "
                + "max %.0f ms%n", Math.min(WARM_UP.toSeconds(), settings.duration().toSeconds() / 3), percentile(50),
                percentile(99), percentile(100));
        out.printf("  %s%n", consistent ? "CONSISTENT: every accepted order reached one terminal state, none doubled"
                : "INCONSISTENT: see the counts above");
        return new Summary(sent.get(), acceptedAt.size(), confirmed, compensated, lost, doubled, dead,
                percentile(50), percentile(99), percentile(100), consistent);
    }

    private void restock() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka)) {
            for (int s = 0; s < SKUS; s++) {
                producer.send(new ProducerRecord<>(Topics.INVENTORY_COMMANDS.name(), sku(s).getBytes(StandardCharsets.UTF_8),
                        Json.mapper().writerFor(InventoryCommand.class).writeValueAsBytes(
                                new InventoryCommand.Restock(UUID.randomUUID(), sku(s), null, 10_000_000))));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int s = 0; s < SKUS; s++) {
            while (http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + queryPort
                    + "/query/inventory/items/" + sku(s))).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.discarding())
                    .statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Restocking " + sku(s) + " did not show in the query API");
                }
                Thread.sleep(100);
            }
        }
    }

    private String sku(int s) {
        return "load-" + run + "-sku-" + s;
    }

    private KafkaConsumer<byte[], byte[]> positioned(String topic) {
        KafkaConsumer<byte[], byte[]> consumer = KafkaClients.bytesConsumer(kafka, topic, "latest");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (consumer.assignment().isEmpty() && System.nanoTime() < deadline) {
            consumer.poll(Duration.ofMillis(100));
        }
        consumer.assignment().forEach(consumer::position);
        return consumer;
    }
}
