package io.bulwark.devstack;

import com.fasterxml.jackson.databind.JsonNode;
import io.bulwark.infra.KafkaClients;
import io.bulwark.orders.payment.GatewaySimulator;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryCommand;
import java.io.IOException;
import java.io.PrintStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongPredicate;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;

/**
 * The dev-stack's load generator ({@code --load <orders/s>}): provisions its customers, then places
 * orders over HTTP at a fixed rate (open loop) with a share of duplicate requests (same
 * Idempotency-Key), payment declines (amounts the simulated gateway declines), cancels at random
 * moments, and gateway faults (503s, 429s with Retry-After, latency, a share of late answers); shows
 * live progress; then waits for every order to reach a terminal state and checks the run against
 * PostgreSQL, the outcome topic, the query API and the gateway: nothing lost, nothing doubled, each
 * order's status the same everywhere, credit and stock balanced to the unit, and money authorized only
 * for confirmed orders.
 *
 * <p>End-to-end latency (of orders accepted after a warm-up of 20 s, or a third of the run: the first
 * seconds after start-up are slow while every client joins its group and opens its transactions) is
 * from the {@code 201} of {@code POST /orders} to the order being
 * {@code CONFIRMED} or {@code REJECTED} in the query API. An order is looked up there as soon as its
 * outcome appears on {@code bulwark.order.outcomes}, then again after waits of 25, 50, 100, 200 and 400 ms
 * until it shows, so the figure is at most 25 ms high for an order the query API shows within 25 ms of its
 * outcome, and at most 400 ms high otherwise. Cancelled orders are left out of it (they end at their
 * client's cancel moment) and reported on their own, as is the time to the outcome on the topic.
 */
final class LoadGenerator {

    /**
     * What the run does. {@code retryFor} above zero makes the client a careful one: a request answered
     * 503, 429, 409 (its twin still running) or not at all within {@code requestTimeout} is sent again
     * with the same Idempotency-Key, after its Retry-After, for up to that long — so that every order
     * ends with a definite answer even while components fail.
     */
    record Settings(
            int ordersPerSecond,
            Duration duration,
            double duplicateShare,
            double declineShare,
            double cancelShare,
            GatewaySimulator.Faults faults,
            Duration requestTimeout,
            Duration retryFor,
            Duration drain) {
        static Settings of(int rate, Duration duration, boolean gatewayFaults) {
            return new Settings(
                    rate,
                    duration,
                    0.05,
                    0.05,
                    0.05,
                    gatewayFaults
                            ? GatewaySimulator.Faults.none()
                                    .withLatency(5)
                                    .withErrorRate(0.02)
                                    .withThrottle(0.01, 1)
                            : GatewaySimulator.Faults.none().withLatency(5),
                    Duration.ofSeconds(30),
                    Duration.ZERO,
                    Duration.ofSeconds(90));
        }

        Settings withCancels(double share) {
            return new Settings(
                    ordersPerSecond,
                    duration,
                    duplicateShare,
                    declineShare,
                    share,
                    faults,
                    requestTimeout,
                    retryFor,
                    drain);
        }

        /** A share of gateway calls answered {@code lateMs} late (keep it below the payment client's timeout). */
        Settings withSlowPayments(double share, long lateMs) {
            return new Settings(
                    ordersPerSecond,
                    duration,
                    duplicateShare,
                    declineShare,
                    cancelShare,
                    faults.withSlow(share, lateMs),
                    requestTimeout,
                    retryFor,
                    drain);
        }

        /** Resends unanswered or refused-for-now requests with the same key, each waiting at most {@code timeout}. */
        Settings withRetries(Duration timeout, Duration retryFor) {
            return new Settings(
                    ordersPerSecond,
                    duration,
                    duplicateShare,
                    declineShare,
                    cancelShare,
                    faults,
                    timeout,
                    retryFor,
                    drain);
        }

        /** How long to wait, after the last order, for every accepted order to show a terminal state. */
        Settings withDrain(Duration drain) {
            return new Settings(
                    ordersPerSecond,
                    duration,
                    duplicateShare,
                    declineShare,
                    cancelShare,
                    faults,
                    requestTimeout,
                    retryFor,
                    drain);
        }
    }

    /** What the run found. */
    record Summary(
            long sent,
            long accepted,
            long confirmed,
            long compensated,
            long cancelled,
            long lost,
            long doubled,
            long deadLettered,
            double p50Ms,
            double p99Ms,
            double maxMs,
            boolean consistent,
            long unanswered,
            long serverErrors,
            long duplicateEffects,
            Map<String, Long> answers) {}

    private static final int SKUS = 100;

    private final Settings settings;
    private final String kafka;
    private final String jdbcUrl;
    private final int ordersPort;
    private final List<Integer> queryPorts;
    /** The query API instance asked first; moves to the next when one does not answer. */
    private volatile int preferredQuery;

    private final String apiKey;
    private final GatewayClient gateway;
    private final PrintStream out;
    /**
     * Order and cancel requests, each on a thread of its own while it waits for its answer ({@link HarnessHttp}), so
     * that the offered load never waits for earlier answers (open loop). Threads are made as the requests in flight
     * need them and end after 60 s idle: ~30 of them at work in 30 s of an even 300 orders/s (80 made over a 4-minute
     * run); under a stall, as many as the requests waiting, as many as the asynchronous client's connections were.
     */
    private final ExecutorService senders = Executors.newCachedThreadPool(daemons("load-sender-"));

    private final String run = UUID.randomUUID().toString().substring(0, 6);

    private final Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    private final Map<String, Boolean> expectDecline = new ConcurrentHashMap<>();
    private final Map<String, String> outcomeType = new ConcurrentHashMap<>();
    private final Map<String, Integer> outcomeCount = new ConcurrentHashMap<>();
    private final Set<String> outcomeRecords = ConcurrentHashMap.newKeySet();
    private final Map<String, Long> visibleAt = new ConcurrentHashMap<>();
    /** The progress line's copy of the e2e figure's orders and times, kept as each becomes visible. */
    private final DecidedTimes decided = new DecidedTimes();
    /** When each order's first outcome was seen on the outcome topic (nanoTime). */
    private final Map<String, Long> outcomeAt = new ConcurrentHashMap<>();
    /** Orders whose outcome is on the topic, due to be looked up in the query API. */
    private final DelayQueue<VisibilityCheck> visibilityChecks = new DelayQueue<>();
    /** Answers to order and cancel requests, by status ("503", "timeout", "503 without Retry-After", ...). */
    private final Map<String, AtomicLong> answers = new ConcurrentHashMap<>();
    /** Idempotency keys that never got a definite answer (201 or a 4xx other than 409/429) within the retry budget. */
    private final Set<String> unanswered = ConcurrentHashMap.newKeySet();

    private final AtomicLong inFlight = new AtomicLong();
    private final Map<String, String> visibleStatus = new ConcurrentHashMap<>();
    private final Map<String, Integer> deadLetters = new ConcurrentHashMap<>();
    /** Rejected orders by the saga's reason, numbers and ids blanked out ({@link #reasonKind}). */
    private final Map<String, Integer> rejectionReasons = new ConcurrentHashMap<>();

    private final AtomicLong sent = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong cancelRequests = new AtomicLong();
    private final AtomicLong cancelsTooLate = new AtomicLong();
    private final ScheduledExecutorService cancels =
            Executors.newSingleThreadScheduledExecutor(daemons("load-cancels"));
    private final ScheduledExecutorService retries =
            Executors.newSingleThreadScheduledExecutor(daemons("load-retries"));
    private static final int CUSTOMERS = 2_000;
    private final AtomicBoolean stop = new AtomicBoolean();
    /** Orders accepted before this instant warm the JVMs and caches: checked, but not in the latency figures. */
    private volatile long measureFrom = Long.MAX_VALUE;

    private static final Duration WARM_UP = Duration.ofSeconds(20);
    private Duration warmUp = WARM_UP;
    private Duration ramp = Duration.ZERO;
    /** Open once the first order is due: set-up (restock, customers, consumers) is done. */
    private final CountDownLatch sending = new CountDownLatch(1);

    private boolean traced;
    private OrderTrace trace;

    LoadGenerator(
            Settings settings,
            String kafka,
            String jdbcUrl,
            int ordersPort,
            List<Integer> queryPorts,
            String apiKey,
            GatewayClient gateway,
            PrintStream out) {
        this.settings = settings;
        this.kafka = kafka;
        this.jdbcUrl = jdbcUrl;
        this.ordersPort = ordersPort;
        this.queryPorts = List.copyOf(queryPorts);
        this.apiKey = apiKey;
        this.gateway = gateway;
        this.out = out;
    }

    /** Orders accepted in the first {@code warmUp} (at most a third of the run) are left out of the latency figures. */
    LoadGenerator warmUp(Duration warmUp) {
        this.warmUp = warmUp;
        return this;
    }

    /**
     * Before the run's {@code duration} at full rate, a ramp: the rate grows linearly from 0 to the full rate
     * over {@code ramp} (as load tools ramp users), so cold JVMs warm up without building a backlog. Orders
     * of the ramp are checked but left out of the latency figures, which then start at full rate.
     */
    LoadGenerator ramp(Duration ramp) {
        this.ramp = ramp;
        return this;
    }

    /**
     * Waits until {@link #run()} is done setting up and places its first orders: the moment a schedule that
     * should follow the load, such as the chaos run's faults, counts from.
     */
    void awaitSending() throws InterruptedException {
        sending.await();
    }

    /** Whether to trace each order's steps across the topics and print where the time went ({@link OrderTrace}). */
    LoadGenerator trace(boolean traced) {
        this.traced = traced;
        return this;
    }

    /** The start of the run left out of the latency figures: the ramp, or else the warm-up (at most a third). */
    private Duration unmeasured() {
        if (!ramp.isZero()) {
            return ramp;
        }
        return warmUp.compareTo(settings.duration().dividedBy(3)) < 0
                ? warmUp
                : settings.duration().dividedBy(3);
    }

    /** Orders due {@code elapsedNanos} into the run: the ramp's (rate × t² / 2r), then the full rate's. */
    static long due(long elapsedNanos, long perSecond, long rampNanos) {
        double t = elapsedNanos / 1e9;
        double r = rampNanos / 1e9;
        double orders = t < r ? perSecond * t * t / (2 * r) : perSecond * (r / 2 + (t - r));
        return (long) orders;
    }

    Summary run() throws Exception {
        restock();
        provisionCustomers();
        gateway.faults(settings.faults());
        KafkaConsumer<byte[], byte[]> outcomes = positioned(Topics.ORDER_OUTCOMES.name());
        KafkaConsumer<byte[], byte[]> dlq = positioned(Topics.DEAD_LETTERS.name());
        Thread watcher = new Thread(() -> watch(outcomes, dlq), "load-watcher");
        watcher.start();
        if (traced) {
            trace = OrderTrace.start(kafka);
        }
        List<Thread> pollers = new ArrayList<>();
        for (int i = 0; i < VISIBILITY_POLLERS; i++) {
            Thread poller = new Thread(this::pollQueryApi, "load-query-poller-" + i);
            poller.start();
            pollers.add(poller);
        }
        if (!ramp.isZero()) {
            out.printf(
                    "Ramp: 0 to %d orders/s over %d s, not measured%n", settings.ordersPerSecond(), ramp.toSeconds());
        }
        out.printf(
                "Load: %d orders/s for %d s (%.0f%% duplicate requests, %.0f%% declines, %.0f%% cancels, "
                        + "gateway faults %s)%n",
                settings.ordersPerSecond(),
                settings.duration().toSeconds(),
                settings.duplicateShare() * 100,
                settings.declineShare() * 100,
                settings.cancelShare() * 100,
                settings.faults());

        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(daemons("load-ticker"));
        long rampNanos = ramp.toNanos();
        long total = due(rampNanos + settings.duration().toNanos(), settings.ordersPerSecond(), rampNanos);
        long began = System.nanoTime();
        measureFrom = began + unmeasured().toNanos();
        sending.countDown();
        long tickNanos = TimeUnit.MILLISECONDS.toNanos(10);
        ticker.scheduleAtFixedRate(
                () -> {
                    long due = Math.min(total, due(System.nanoTime() - began, settings.ordersPerSecond(), rampNanos));
                    while (sent.get() < due) {
                        place(sent.getAndIncrement());
                    }
                },
                0,
                tickNanos,
                TimeUnit.NANOSECONDS);
        ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(daemons("load-progress"));
        progress.scheduleAtFixedRate(() -> progress(began), 1, 1, TimeUnit.SECONDS);

        while (sent.get() < total) {
            Thread.sleep(50);
        }
        ticker.shutdown();
        long drainUntil = System.nanoTime()
                + settings.drain().toNanos()
                + settings.retryFor().toNanos();
        while (System.nanoTime() < drainUntil && (inFlight.get() > 0 || visibleAt.size() < acceptedAt.size())) {
            Thread.sleep(200);
        }
        Thread.sleep(1_000); // late doubles would show up on the outcome topic now
        progress.shutdownNow();
        progress(began);
        stop.set(true);
        watcher.join(5_000);
        for (Thread poller : pollers) {
            poller.join(5_000);
        }
        if (trace != null) {
            trace.close();
        }
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
        String body = "{\"customerId\":\"" + customer(n % CUSTOMERS) + "\",\"currency\":\"EUR\",\"lines\":[{\"sku\":\""
                + sku((int) (n % SKUS)) + "\",\"quantity\":" + quantity + ",\"unitPriceCents\":" + price + "}]}";
        send(key, body, decline, quantity);
        if (random.nextDouble() < settings.duplicateShare()) {
            duplicates.incrementAndGet();
            send(key, body, decline, quantity); // the client's retry: same key, same body
        }
    }

    private void send(String key, String body, boolean decline, int quantity) {
        HarnessHttp.Request request = new HarnessHttp.Request(
                "POST",
                URI.create("http://127.0.0.1:" + ordersPort + "/orders"),
                Map.of("X-API-Key", apiKey, "Content-Type", "application/json", "Idempotency-Key", key),
                body.getBytes(StandardCharsets.UTF_8),
                settings.requestTimeout());
        // 409 = the first of a duplicate pair is still running: that is the point of the key. A careful
        // client asks again until it has the first one's answer.
        call(
                key,
                request,
                ORDER_RETRYABLE,
                System.nanoTime() + settings.retryFor().toNanos(),
                response -> {
                    if (response.statusCode() != 201) {
                        if (response.statusCode() != 409) {
                            refused.incrementAndGet();
                        }
                        return;
                    }
                    try {
                        String orderId = Json.mapper()
                                .readTree(response.body())
                                .path("orderId")
                                .asText();
                        if (acceptedAt.putIfAbsent(orderId, System.nanoTime()) == null) {
                            expectDecline.put(orderId, decline);
                            if (ThreadLocalRandom.current().nextDouble() < settings.cancelShare()) {
                                cancels.schedule(
                                        () -> cancel(orderId),
                                        ThreadLocalRandom.current().nextLong(1_500),
                                        TimeUnit.MILLISECONDS);
                            }
                        }
                    } catch (IOException e) {
                        refused.incrementAndGet();
                    }
                });
    }

    /** Asks to cancel: 202 (the saga decides), 200 (already cancelled) or 409 (it already ended). */
    private void cancel(String orderId) {
        cancelRequests.incrementAndGet();
        HarnessHttp.Request request = new HarnessHttp.Request(
                "POST",
                URI.create("http://127.0.0.1:" + ordersPort + "/orders/" + orderId + "/cancel"),
                Map.of("X-API-Key", apiKey, "Idempotency-Key", "cancel-" + orderId),
                new byte[0],
                settings.requestTimeout());
        call(
                "cancel-" + orderId,
                request,
                CANCEL_RETRYABLE,
                System.nanoTime() + settings.retryFor().toNanos(),
                response -> {
                    if (response.statusCode() == 409) {
                        cancelsTooLate.incrementAndGet();
                    } else if (response.statusCode() >= 400) {
                        refused.incrementAndGet();
                    }
                });
    }

    private static final String NO_RETRY_AFTER = "503 without Retry-After";
    private static final Set<Integer> ORDER_RETRYABLE = Set.of(409, 429, 500, 502, 503, 504);
    private static final Set<Integer> CANCEL_RETRYABLE = Set.of(429, 500, 502, 503, 504);

    /**
     * Sends a request and counts its answer; while {@code giveUpAt} is ahead, a retryable answer (or
     * none) sends it again — same Idempotency-Key — after the answer's Retry-After (1 s without one).
     * {@code definite} gets the last answer; a request that never got one is remembered by key.
     */
    private void call(
            String key,
            HarnessHttp.Request request,
            Set<Integer> retryable,
            long giveUpAt,
            Consumer<HarnessHttp.Answer> definite) {
        inFlight.incrementAndGet();
        senders.execute(() -> {
            HarnessHttp.Answer response = null;
            IOException error = null;
            try {
                response = HarnessHttp.exchange(request);
            } catch (IOException e) {
                error = e;
            }
            inFlight.decrementAndGet();
            answered(key, request, retryable, giveUpAt, definite, response, error);
        });
    }

    private void answered(
            String key,
            HarnessHttp.Request request,
            Set<Integer> retryable,
            long giveUpAt,
            Consumer<HarnessHttp.Answer> definite,
            HarnessHttp.Answer response,
            IOException error) {
        String answer = error == null
                ? Integer.toString(response.statusCode())
                : error instanceof SocketTimeoutException ? "timeout" : "no answer";
        if (response != null
                && response.statusCode() == 503
                && response.retryAfter().isEmpty()) {
            answer = NO_RETRY_AFTER;
        } else if (response != null && response.statusCode() >= 500) {
            answer += " " + problemCode(response.body());
        }
        answers.computeIfAbsent(answer, a -> new AtomicLong()).incrementAndGet();
        boolean again = error != null || retryable.contains(response.statusCode());
        if (again && System.nanoTime() < giveUpAt) {
            long waitMs = response == null
                    ? 1_000
                    : 1_000 * response.retryAfter().map(LoadGenerator::seconds).orElse(1L);
            inFlight.incrementAndGet();
            retries.schedule(
                    () -> {
                        inFlight.decrementAndGet();
                        call(key, request, retryable, giveUpAt, definite);
                    },
                    waitMs + ThreadLocalRandom.current().nextLong(250),
                    TimeUnit.MILLISECONDS);
            return;
        }
        if (error != null) {
            if (!settings.retryFor().isZero()) {
                unanswered.add(key);
            }
            refused.incrementAndGet();
            return;
        }
        if (again && !settings.retryFor().isZero()) {
            unanswered.add(key);
        }
        definite.accept(response);
    }

    /**
     * The reason of an {@code OrderRejected} outcome with its numbers and ids blanked out, so that reasons of one
     * kind count together: "authorize-payment: no reply after # attempt(s)".
     */
    static String reasonKind(byte[] value) {
        String reason;
        try {
            JsonNode outcome = Json.mapper().readTree(value);
            reason = outcome.path("reason")
                    .asText(outcome.path("payload").path("reason").asText("?"));
        } catch (IOException | RuntimeException e) {
            reason = "? (unreadable outcome)";
        }
        return reason.replaceAll("[0-9a-fA-F]{8}-[0-9a-fA-F-]{27}", "<id>").replaceAll("[0-9]+", "#");
    }

    /** The stable code of a problem+json answer ("overloaded", "database-unavailable", ...), or "?". */
    private static String problemCode(String body) {
        try {
            return Json.mapper().readTree(body).path("code").asText("?");
        } catch (IOException e) {
            return "?";
        }
    }

    private static long seconds(String retryAfter) {
        try {
            return Math.max(0, Math.min(30, Long.parseLong(retryAfter.trim())));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private void watch(KafkaConsumer<byte[], byte[]> outcomes, KafkaConsumer<byte[], byte[]> dlq) {
        try (outcomes;
                dlq) {
            while (!stop.get()) {
                for (ConsumerRecord<byte[], byte[]> r : outcomes.poll(Duration.ofMillis(50))) {
                    String orderId = new String(r.key(), StandardCharsets.UTF_8);
                    Header type = r.headers().lastHeader("eventType");
                    outcomeType.put(orderId, type == null ? "?" : new String(type.value(), StandardCharsets.UTF_8));
                    // Count records, not deliveries: after a broker restart this reader may be sent some again.
                    if (outcomeRecords.add(r.partition() + "@" + r.offset())) {
                        outcomeCount.merge(orderId, 1, Integer::sum);
                        if (EventTypes.ORDER_REJECTED.name().equals(outcomeType.get(orderId))) {
                            rejectionReasons.merge(reasonKind(r.value()), 1, Integer::sum);
                        }
                    }
                    long seenAt = System.nanoTime();
                    if (outcomeAt.putIfAbsent(orderId, seenAt) == null) {
                        visibilityChecks.add(new VisibilityCheck(orderId, seenAt));
                    }
                }
                for (ConsumerRecord<byte[], byte[]> r : dlq.poll(Duration.ofMillis(10))) {
                    Header exception = r.headers().lastHeader("__streams.errors.exception");
                    String cause =
                            exception == null ? "unknown" : new String(exception.value(), StandardCharsets.UTF_8);
                    deadLetters.merge(r.topic() + " <- " + cause, 1, Integer::sum);
                }
            }
        }
    }

    /**
     * The first wait before an order whose outcome is on the topic is looked up again; each further wait doubles, up
     * to {@link #VISIBILITY_RECHECK_MAX}, so that a lagging read model is not asked ever more often.
     */
    static final Duration VISIBILITY_RECHECK = Duration.ofMillis(25);

    static final Duration VISIBILITY_RECHECK_MAX = Duration.ofMillis(400);

    /** Threads looking orders up: bounded, so that a lagging read model cannot make the harness load it more. */
    private static final int VISIBILITY_POLLERS = 2;

    /** An order to look up in the query API once {@code dueNanos} (nanoTime) has passed, after waiting {@code waitNanos}. */
    record VisibilityCheck(String orderId, long dueNanos, long waitNanos) implements Delayed {
        VisibilityCheck(String orderId, long dueNanos) {
            this(orderId, dueNanos, 0);
        }

        @Override
        public long getDelay(TimeUnit unit) {
            return unit.convert(dueNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
        }

        @Override
        public int compareTo(Delayed other) {
            return other instanceof VisibilityCheck check
                    ? Long.compare(dueNanos, check.dueNanos)
                    : Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
        }

        /** The next look-up: 25 ms after the first, then twice the previous wait, at most 400 ms. */
        VisibilityCheck again() {
            long wait = waitNanos == 0
                    ? VISIBILITY_RECHECK.toNanos()
                    : Math.min(2 * waitNanos, VISIBILITY_RECHECK_MAX.toNanos());
            return new VisibilityCheck(orderId, System.nanoTime() + wait, wait);
        }
    }

    /**
     * Looks each order up as soon as its outcome is on the topic, then after growing waits ({@link
     * VisibilityCheck#again()}) until the query API shows it ended; an outcome seen before this run's 201 for it was
     * recorded waits the same way.
     */
    private void pollQueryApi() {
        while (!stop.get()) {
            VisibilityCheck check;
            try {
                check = visibilityChecks.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (check == null || visibleAt.containsKey(check.orderId())) {
                continue;
            }
            if (!acceptedAt.containsKey(check.orderId()) || !showsEnded(check.orderId())) {
                visibilityChecks.add(check.again());
            }
        }
    }

    /** Whether the query API shows the order in a terminal state (recorded then); false on any failure. */
    private boolean showsEnded(String orderId) {
        try {
            HarnessHttp.Answer response = query("/query/orders/" + orderId);
            if (response.statusCode() != 200) {
                return false;
            }
            String status =
                    Json.mapper().readTree(response.body()).path("status").asText();
            if (!TERMINAL.contains(status)) {
                return false;
            }
            long now = System.nanoTime();
            visibleStatus.put(orderId, status);
            if (visibleAt.putIfAbsent(orderId, now) == null) {
                Long accepted = acceptedAt.get(orderId);
                if (accepted != null && accepted >= measureFrom && DECIDED.contains(status)) {
                    decided.add(now, now - accepted);
                }
            }
            return true;
        } catch (Exception e) {
            return false; // looked up again
        }
    }

    private static final Set<String> TERMINAL = Set.of("CONFIRMED", "REJECTED", "CANCELLED");

    /**
     * One line a second. The outcomes are counted from {@code bulwark.order.outcomes} (the saga's own
     * answer, which the read model follows); "visible" is how many of them the query API shows already.
     */
    private void progress(long began) {
        long elapsed = Math.max(1, (System.nanoTime() - began) / 1_000_000_000L);
        Map<String, Long> byType = new TreeMap<>();
        outcomeType.forEach((orderId, type) -> {
            if (acceptedAt.containsKey(orderId)) {
                byType.merge(type, 1L, Long::sum);
            }
        });
        long ended = byType.values().stream().mapToLong(Long::longValue).sum();
        out.printf(
                "  t=%3ds  sent %6d (%4d/s)  accepted %6d  outcomes on the topic: confirmed %6d  rejected %5d  "
                        + "cancelled %5d  pending %5d  visible in the query API %6d  e2e p99 %6.0f ms (last 10 s %6.0f)  "
                        + "dead-lettered %d%n",
                elapsed,
                sent.get(),
                sent.get() / elapsed,
                acceptedAt.size(),
                byType.getOrDefault(EventTypes.ORDER_CONFIRMED.name(), 0L),
                byType.getOrDefault(EventTypes.ORDER_REJECTED.name(), 0L),
                byType.getOrDefault(EventTypes.ORDER_CANCELLED.name(), 0L),
                acceptedAt.size() - ended,
                visibleAt.size(),
                percentile(decided.sorted(ANY_TIME), 99),
                percentile(decided.sorted(endedSince(System.nanoTime() - RECENT)), 99),
                deadLetters.values().stream().mapToInt(Integer::intValue).sum());
    }

    /** The progress line's second p99 covers the orders that ended this recently: is the pipeline keeping up now? */
    static final long RECENT = TimeUnit.SECONDS.toNanos(10);

    /** Every end counts. */
    static final LongPredicate ANY_TIME = ended -> true;

    /** Ends at or after {@code from} ({@link System#nanoTime()}) count. */
    static LongPredicate endedSince(long from) {
        return ended -> ended - from >= 0;
    }

    /** End states the service decides; a cancelled order ends when its client cancels it. */
    static final Set<String> DECIDED = Set.of("CONFIRMED", "REJECTED");

    /**
     * The e2e figure's latencies as its orders become visible: 201 to {@code CONFIRMED} or {@code REJECTED} in the
     * query API, orders accepted at or after {@code measureFrom} (the same orders {@link #latencies(Map, Set)} takes
     * from the maps). The progress line reads these each second: sorting a copy of one array costs little, where
     * joining three maps of every order of the run took ~5% of a core after four minutes at 300 orders/s and grew
     * with the run (benchmarks/PROFILES.md, twenty-third round). Bounded by the run, like the maps.
     */
    static final class DecidedTimes {
        private long[] endedAt = new long[1024];
        private long[] nanos = new long[1024];
        private int size;

        synchronized void add(long endedNanos, long latencyNanos) {
            if (size == nanos.length) {
                endedAt = Arrays.copyOf(endedAt, 2 * size);
                nanos = Arrays.copyOf(nanos, 2 * size);
            }
            endedAt[size] = endedNanos;
            nanos[size++] = latencyNanos;
        }

        /** The latencies of the orders whose end {@code ended} accepts, sorted. */
        synchronized long[] sorted(LongPredicate ended) {
            long[] picked = new long[size];
            int n = 0;
            for (int i = 0; i < size; i++) {
                if (ended.test(endedAt[i])) {
                    picked[n++] = nanos[i];
                }
            }
            long[] sorted = Arrays.copyOf(picked, n);
            Arrays.sort(sorted);
            return sorted;
        }
    }

    /** The e2e figure: 201 to {@code CONFIRMED} or {@code REJECTED} in the query API, measured orders only. */
    private double percentile(double p) {
        return percentile(latencies(visibleAt, DECIDED), p);
    }

    private long[] latencies(Map<String, Long> endedAt, Set<String> states) {
        return latencies(acceptedAt, endedAt, visibleStatus, states, measureFrom, ANY_TIME);
    }

    /**
     * Nanoseconds from the 201 ({@code acceptedAt}) to {@code endedAt}, sorted, of the orders accepted at or after
     * {@code measureFrom} whose status in the query API is one of {@code states} and whose end {@code ended} accepts
     * ({@link #ANY_TIME}, or {@link #endedSince}).
     */
    static long[] latencies(
            Map<String, Long> acceptedAt,
            Map<String, Long> endedAt,
            Map<String, String> status,
            Set<String> states,
            long measureFrom,
            LongPredicate ended) {
        return endedAt.entrySet().stream()
                .filter(e -> ended.test(e.getValue()))
                .filter(e -> acceptedAt.containsKey(e.getKey()) && acceptedAt.get(e.getKey()) >= measureFrom)
                .filter(e -> states.contains(status.get(e.getKey())))
                .mapToLong(e -> e.getValue() - acceptedAt.get(e.getKey()))
                .sorted()
                .toArray();
    }

    /** The nearest-rank percentile of sorted nanoseconds, in milliseconds; NaN when there are none. */
    static double percentile(long[] sortedNanos, double p) {
        if (sortedNanos.length == 0) {
            return Double.NaN;
        }
        return sortedNanos[Math.max(0, (int) Math.ceil(p / 100 * sortedNanos.length) - 1)] / 1e6;
    }

    private Summary summarize() throws Exception {
        long confirmed =
                visibleStatus.values().stream().filter("CONFIRMED"::equals).count();
        long compensated =
                visibleStatus.values().stream().filter("REJECTED"::equals).count();
        long cancelled =
                visibleStatus.values().stream().filter("CANCELLED"::equals).count();
        long lost = acceptedAt.keySet().stream()
                .filter(id -> !visibleAt.containsKey(id))
                .count();
        long doubled = outcomeCount.entrySet().stream()
                .filter(e -> acceptedAt.containsKey(e.getKey()))
                .filter(e -> e.getValue() > 1)
                .count();
        long wrong = visibleStatus.entrySet().stream()
                .filter(e -> expectDecline.getOrDefault(e.getKey(), false)
                        && e.getValue().equals("CONFIRMED"))
                .count();
        Ledger ledger = ledger();
        long statusMismatch = acceptedAt.keySet().stream()
                .filter(id -> !Objects.equals(ledger.status().get(id), visibleStatus.get(id)))
                .count();
        Set<String> confirmedIds = new HashSet<>();
        visibleStatus.forEach((id, status) -> {
            if (status.equals("CONFIRMED")) {
                confirmedIds.add(id);
            }
        });
        // Compensations and commits travel after the outcome (a void waits for the slow authorization it
        // undoes): give them up to 30 s to land before calling a difference a defect.
        long settleBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<String> moneyOff;
        Set<String> chargedTwice;
        long stockOff;
        GatewayClient.Ledger gatewayLedger;
        while (true) {
            gatewayLedger = gateway.ledger();
            chargedTwice = new TreeSet<>(gatewayLedger.chargedMoreThanOnce());
            chargedTwice.retainAll(acceptedAt.keySet());
            Set<String> open = new HashSet<>(gatewayLedger.open());
            open.retainAll(acceptedAt.keySet());
            moneyOff = new TreeSet<>();
            for (String id : open) {
                if (!confirmedIds.contains(id)) {
                    moneyOff.add(id + " authorized, " + visibleStatus.get(id));
                }
            }
            for (String id : confirmedIds) {
                if (!open.contains(id)) {
                    moneyOff.add(id + " CONFIRMED, not authorized");
                }
            }
            boolean last = System.nanoTime() > settleBy;
            stockOff = stockOff(ledger.confirmedUnits(), last);
            if ((moneyOff.isEmpty() && stockOff == 0 && chargedTwice.isEmpty()) || last) {
                break;
            }
            Thread.sleep(500);
        }
        moneyOff.forEach(line -> out.printf("  gateway: %s%n", line));
        chargedTwice.forEach(id -> out.printf("  gateway: %s charged under more than one key%n", id));
        long outboxOff = outboxOff(ledger.status().keySet());
        long serverErrors = answers.entrySet().stream()
                .filter(e -> e.getKey().startsWith("5"))
                .filter(e -> !e.getKey().startsWith("503 ") || e.getKey().equals(NO_RETRY_AFTER))
                .mapToLong(e -> e.getValue().get())
                .sum();
        long dead = deadLetters.values().stream().mapToInt(Integer::intValue).sum();
        boolean consistent = lost == 0
                && doubled == 0
                && wrong == 0
                && ledger.rows() == acceptedAt.size()
                && ledger.unsettled() == 0
                && statusMismatch == 0
                && ledger.creditOff() == 0
                && stockOff == 0
                && moneyOff.isEmpty()
                && chargedTwice.isEmpty()
                && outboxOff == 0
                && unanswered.isEmpty();
        out.printf(
                "%nLoad summary: sent %d requests for %d orders (%d duplicate requests), accepted %d orders, "
                        + "%d refused; %d cancel requests (%d after the order had ended: 409)%n",
                sent.get() + duplicates.get(),
                sent.get(),
                duplicates.get(),
                acceptedAt.size(),
                refused.get(),
                cancelRequests.get(),
                cancelsTooLate.get());
        out.printf(
                "  PostgreSQL: order rows %d (accepted %d), not settled %d, status unlike the query API's %d, "
                        + "customers whose credit in use is not their confirmed total %d%n",
                ledger.rows(), acceptedAt.size(), ledger.unsettled(), statusMismatch, ledger.creditOff());
        out.printf(
                "  terminal in the query API: confirmed %d, compensated %d, cancelled %d, not terminal (lost) %d%n",
                confirmed, compensated, cancelled, lost);
        out.printf(
                "  outcomes on %s: doubled %d; declined orders confirmed by mistake %d%n",
                Topics.ORDER_OUTCOMES.name(), doubled, wrong);
        out.printf(
                "  stock: SKUs whose reservations or units do not match the confirmed orders %d; gateway: orders "
                        + "whose authorization stands but should not, or the reverse %d%n",
                stockOff, moneyOff.size());
        out.printf(
                "  outbox: orders without exactly one %s row %d; gateway: orders charged more than once %d%n",
                EventTypes.ORDER_PLACED.name(), outboxOff, chargedTwice.size());
        Map<String, Long> answerCounts = new TreeMap<>();
        answers.forEach((answer, count) -> answerCounts.put(answer, count.get()));
        out.printf(
                "  answers to order and cancel requests (every attempt): %s; requests without a definite answer "
                        + "after retrying %d%n",
                answerCounts, unanswered.size());
        out.printf("  dead-lettered during the run: %d %s%n", dead, new TreeMap<>(deadLetters));
        out.printf(
                "  rejected orders by the saga's reason (from bulwark.order.outcomes): %s%n",
                rejectionReasons.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                        .map(e -> e.getValue() + " × " + e.getKey())
                        .toList());
        out.printf(
                "  e2e (201 -> CONFIRMED or REJECTED in the query API, after a %d s %s): p50 %.0f ms, p99 %.0f ms, "
                        + "max %.0f ms%n",
                unmeasured().toSeconds(),
                ramp.isZero() ? "warm-up" : "ramp",
                percentile(50),
                percentile(99),
                percentile(100));
        long[] toOutcome = latencies(outcomeAt, DECIDED);
        long[] cancelledOrders = latencies(visibleAt, Set.of("CANCELLED"));
        printThrottled(gatewayLedger.throttledCharges());
        out.printf(
                "  the same orders, 201 -> outcome on the topic: p50 %.0f ms, p99 %.0f ms; cancelled orders (left out: "
                        + "they end when their client cancels) %d, 201 -> CANCELLED p50 %.0f ms, p99 %.0f ms%n",
                percentile(toOutcome, 50),
                percentile(toOutcome, 99),
                cancelledOrders.length,
                percentile(cancelledOrders, 50),
                percentile(cancelledOrders, 99));
        if (trace != null) {
            for (String status : List.of("CONFIRMED", "REJECTED")) {
                List<String> measured = visibleStatus.entrySet().stream()
                        .filter(e -> e.getValue().equals(status))
                        .map(Map.Entry::getKey)
                        .filter(id -> acceptedAt.containsKey(id) && acceptedAt.get(id) >= measureFrom)
                        .toList();
                if (status.equals("REJECTED") && measured.isEmpty()) {
                    continue;
                }
                OrderSteps.print(
                        out,
                        "where the measured " + status.toLowerCase(Locale.ROOT) + " orders' time went: ms after "
                                + "the 201 at which each step's first record became readable (read_committed), the "
                                + "mean of the slowest 1%, orders with more than one such record; end = " + status
                                + " in the query API"
                                + (status.equals("REJECTED")
                                        ? " (a reply after the end came too late for its saga)"
                                        : ""),
                        trace.steps().steps(acceptedAt, visibleAt, measured));
            }
        }
        out.printf(
                "  %s%n",
                consistent
                        ? "CONSISTENT: every accepted order reached one terminal state, none doubled, "
                                + "credit, stock and payments balance"
                        : "INCONSISTENT: see the counts above");
        return new Summary(
                sent.get(),
                acceptedAt.size(),
                confirmed,
                compensated,
                cancelled,
                lost,
                doubled,
                dead,
                percentile(50),
                percentile(99),
                percentile(100),
                consistent,
                unanswered.size(),
                serverErrors,
                doubled + chargedTwice.size() + outboxOff,
                answerCounts);
    }

    /**
     * How many of the measured orders met a gateway 429 on their charge — each waited out its Retry-After (1 s by
     * default) before the saga could decide — and the latency of the others: with {@code --load-gateway-faults} 1% of
     * gateway requests are answered so, so the e2e p99 lands on those orders, and this line says how far the rest of
     * the path is from it. A void's 429 does not count: it comes after the order's end.
     */
    private void printThrottled(Set<String> throttledCharges) {
        Map<String, Long> others = new HashMap<>(visibleAt);
        others.keySet().removeAll(throttledCharges);
        long[] all = latencies(visibleAt, DECIDED);
        long[] rest = latencies(others, DECIDED);
        int met = all.length - rest.length;
        out.printf(
                "  of those, %d (%.2f%%) met a gateway 429 on their charge and waited out its Retry-After; the other %d: p50 %.0f ms, "
                        + "p99 %.0f ms, max %.0f ms%n",
                met,
                all.length == 0 ? 0.0 : 100.0 * met / all.length,
                rest.length,
                percentile(rest, 50),
                percentile(rest, 99),
                percentile(rest, 100));
    }

    /** Of these orders, how many have not exactly one {@code OrderPlaced} row in the outbox. */
    private long outboxOff(Set<String> orderIds) throws Exception {
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "postgres", "");
                PreparedStatement select = connection.prepareStatement(
                        "SELECT aggregate_id, count(*) FROM "
                                + "bulwark.bulwark_outbox WHERE event_type = ? AND aggregate_id = ANY (?) GROUP BY aggregate_id")) {
            select.setString(1, EventTypes.ORDER_PLACED.name());
            select.setArray(2, connection.createArrayOf("text", orderIds.toArray()));
            long once = 0;
            try (ResultSet row = select.executeQuery()) {
                while (row.next()) {
                    if (row.getLong(2) == 1) {
                        once++;
                    }
                }
            }
            return orderIds.size() - once;
        }
    }

    /**
     * Seconds from {@code faultAt} (nanoTime) until an order accepted after it was confirmed on the outcome
     * topic: how long the whole path — order-api, relay, saga, inventory, payment worker, gateway — took to
     * carry new work again (a rejection or a cancel can end an order without most of it). Empty if none did.
     */
    OptionalDouble progressAfter(long faultAt) {
        return acceptedAt.entrySet().stream()
                .filter(e -> e.getValue() >= faultAt)
                .filter(e -> EventTypes.ORDER_CONFIRMED.name().equals(outcomeType.get(e.getKey())))
                .map(e -> outcomeAt.get(e.getKey()))
                .filter(Objects::nonNull)
                .mapToLong(at -> at - faultAt)
                .min()
                .stream()
                .mapToDouble(nanos -> nanos / 1e9)
                .findFirst();
    }

    /** What PostgreSQL says of this run's orders, once order-api settled them (waits up to 30 s for that). */
    private record Ledger(
            long rows, long unsettled, long creditOff, Map<String, String> status, Map<String, Long> confirmedUnits) {}

    private Ledger ledger() throws Exception {
        String customers = "load-" + run + "-%";
        try (Connection connection = DriverManager.getConnection(jdbcUrl, "postgres", "")) {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            long unsettled;
            do {
                unsettled = count(
                        connection,
                        "SELECT count(*) FROM bulwark.orders WHERE customer_id LIKE ?"
                                + " AND status IN ('PLACED', 'CANCEL_REQUESTED')",
                        customers);
                if (unsettled > 0) {
                    Thread.sleep(200);
                }
            } while (unsettled > 0 && System.nanoTime() < deadline);
            long rows = count(connection, "SELECT count(*) FROM bulwark.orders WHERE customer_id LIKE ?", customers);
            long creditOff = count(
                    connection,
                    "SELECT count(*) FROM bulwark.customer_credit c WHERE c.customer_id LIKE ?"
                            + " AND c.used_cents <> COALESCE((SELECT sum(o.total_cents) FROM bulwark.orders o"
                            + " WHERE o.client_id = c.client_id AND o.customer_id = c.customer_id"
                            + " AND o.status IN ('CONFIRMED', 'PLACED', 'CANCEL_REQUESTED', 'NEEDS_ATTENTION')), 0)",
                    customers);
            Map<String, String> status = new HashMap<>();
            Map<String, Long> units = new HashMap<>();
            try (PreparedStatement select = connection.prepareStatement(
                    "SELECT order_id, status, lines::text" + " FROM bulwark.orders WHERE customer_id LIKE ?")) {
                select.setString(1, customers);
                try (ResultSet row = select.executeQuery()) {
                    while (row.next()) {
                        status.put(row.getString(1), row.getString(2));
                        if (row.getString(2).equals("CONFIRMED")) {
                            for (var line : Json.mapper().readTree(row.getString(3))) {
                                units.merge(
                                        line.path("sku").asText(),
                                        line.path("quantity").asLong(),
                                        Long::sum);
                            }
                        }
                    }
                }
            }
            return new Ledger(rows, unsettled, creditOff, status, units);
        }
    }

    private static long count(Connection connection, String sql, String parameter) throws Exception {
        try (PreparedStatement count = connection.prepareStatement(sql)) {
            count.setString(1, parameter);
            try (ResultSet row = count.executeQuery()) {
                row.next();
                return row.getLong(1);
            }
        }
    }

    /** SKUs whose item still holds reservations or whose units differ from the restock minus the confirmed units. */
    private long stockOff(Map<String, Long> confirmedUnits, boolean print) throws Exception {
        long off = 0;
        for (int s = 0; s < SKUS; s++) {
            HarnessHttp.Answer response = query("/query/inventory/items/" + sku(s));
            var item = Json.mapper().readTree(response.body());
            long expected = RESTOCK - confirmedUnits.getOrDefault(sku(s), 0L);
            if (response.statusCode() != 200
                    || item.path("available").asLong() != expected
                    || !item.path("reservations").isEmpty()) {
                off++;
                if (print) {
                    out.printf(
                            "  stock of %s: %s (expected %d available, no reservations)%n",
                            sku(s), response.body(), expected);
                }
            }
        }
        return off;
    }

    /**
     * Daemon threads named for what they do, so that a thread dump or a per-thread profile of the dev-stack tells the
     * harness's threads (the load generator's, {@link ChaosRun}'s) from the product's. A name ending in {@code -} is
     * numbered: {@code load-sender-1}, ....
     */
    static ThreadFactory daemons(String name) {
        AtomicLong count = new AtomicLong();
        return r -> {
            Thread thread = new Thread(r, name.endsWith("-") ? name + count.incrementAndGet() : name);
            thread.setDaemon(true);
            return thread;
        };
    }

    /**
     * Gives each of the run's customers a credit line (order-api refuses customers nobody provisioned),
     * eight at a time — within the standard tier's bulkhead — retrying a 503 after its Retry-After.
     */
    private void provisionCustomers() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8, daemons("load-provision-"));
        try {
            List<Future<?>> puts = new ArrayList<>();
            for (int c = 0; c < CUSTOMERS; c++) {
                String customer = customer(c);
                puts.add(pool.submit(() -> {
                    HarnessHttp.Request request = new HarnessHttp.Request(
                            "PUT",
                            URI.create("http://127.0.0.1:" + ordersPort + "/customers/" + customer),
                            Map.of("X-API-Key", apiKey, "Content-Type", "application/json"),
                            "{\"creditLimitCents\":100000000}".getBytes(StandardCharsets.UTF_8),
                            Duration.ofSeconds(30));
                    for (int attempt = 1; ; attempt++) {
                        HarnessHttp.Answer response = HarnessHttp.exchange(request);
                        if (response.statusCode() / 100 == 2) {
                            return null;
                        }
                        if (response.statusCode() != 503 || attempt == 10) {
                            throw new IllegalStateException("Provisioning " + customer + " failed: "
                                    + response.statusCode() + " " + response.body());
                        }
                        Thread.sleep(1_000L * seconds(response.retryAfter().orElse("1")));
                    }
                }));
            }
            for (Future<?> put : puts) {
                put.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private String customer(long c) {
        return "load-" + run + "-c" + c;
    }

    private static final long RESTOCK = 10_000_000;

    private void restock() throws Exception {
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.bytesProducer(kafka)) {
            for (int s = 0; s < SKUS; s++) {
                producer.send(new ProducerRecord<>(
                        Topics.INVENTORY_COMMANDS.name(),
                        sku(s).getBytes(StandardCharsets.UTF_8),
                        Json.mapper()
                                .writerFor(InventoryCommand.class)
                                .writeValueAsBytes(
                                        new InventoryCommand.Restock(UUID.randomUUID(), sku(s), null, (int) RESTOCK))));
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        for (int s = 0; s < SKUS; s++) {
            while (query("/query/inventory/items/" + sku(s)).statusCode() != 200) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Restocking " + sku(s) + " did not show in the query API");
                }
                Thread.sleep(100);
            }
        }
    }

    /**
     * GET from the query API: the preferred instance, else the others in turn (one of them may be down). Blocking, on
     * the calling thread: the pollers look orders up one at a time each ({@link HarnessHttp}).
     */
    private HarnessHttp.Answer query(String path) throws IOException {
        IOException failure = null;
        for (int i = 0; i < queryPorts.size(); i++) {
            int index = (preferredQuery + i) % queryPorts.size();
            try {
                HarnessHttp.Answer answer = HarnessHttp.exchange(HarnessHttp.Request.get(
                        URI.create("http://127.0.0.1:" + queryPorts.get(index) + path), Duration.ofSeconds(10)));
                preferredQuery = index;
                return answer;
            } catch (IOException e) {
                failure = e;
            }
        }
        throw failure;
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
