package io.bulwark.devstack;

import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.relay.Database;
import io.bulwark.connectors.relay.OutboxPruner;
import io.bulwark.connectors.relay.OutboxRelay;
import io.bulwark.connectors.relay.PollingOutboxRelay;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedKafkaBroker;
import io.bulwark.infra.EmbeddedPostgresServer;
import io.bulwark.infra.EmbeddedRedisServer;
import io.bulwark.infra.Ports;
import io.bulwark.orders.OrderApiApp;
import io.bulwark.orders.OrderApiConfig;
import io.bulwark.orders.payment.GatewaySimulator;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.app.HealthStatus;
import io.bulwark.streams.app.StreamsApp;
import io.bulwark.streams.app.TopicInstaller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The embedded default: Kafka (KRaft), PostgreSQL (logical WAL) and Redis as real servers on this
 * machine, the topics of the registry, the database migrations, the streams app, the outbox relay,
 * order-api with its payment worker and the simulated payment gateway — one command, no Docker. Data stays in {@code --data-dir} across restarts; {@code --fresh} wipes it first.
 * Ctrl-C or SIGTERM stops everything in reverse order, leaving no process or port behind.
 */
@Command(
        name = "bulwark-dev-stack",
        mixinStandardHelpOptions = true,
        version = "Bulwark dev-stack 0.1.0",
        description =
                "Runs Kafka, PostgreSQL, Redis, the Bulwark streams app, the outbox relay, order-api, the payment "
                        + "worker and a simulated payment gateway on this machine.")
public final class DevStack implements Callable<Integer> {

    /** Printed once everything is up; tools and tests wait for this line. */
    public static final String READY_LINE = "Bulwark dev-stack ready in ";
    /** The Postgres schema Bulwark's tables live in. */
    public static final String DB_SCHEMA = "bulwark";

    private static final Logger log = LoggerFactory.getLogger(DevStack.class);
    private static final Duration STREAMS_READY_TIMEOUT = Duration.ofSeconds(90);

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Where the servers keep their data (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of(".bulwark", "dev-stack");

    @Option(names = "--fresh", description = "Delete the data directory first.")
    boolean fresh;

    @Option(names = "--kafka-port", description = "Kafka client port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int kafkaPort = 9092;

    @Option(names = "--postgres-port", description = "PostgreSQL port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int postgresPort = 5432;

    @Option(names = "--redis-port", description = "Redis port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int redisPort = 6379;

    @Option(
            names = "--http-port",
            description = "Streams app health/metrics/query port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int httpPort = 8080;

    @Option(names = "--orders-port", description = "order-api port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int ordersPort = 8081;

    @Option(
            names = "--gateway-port",
            description = "Payment gateway simulator port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int gatewayPort = 8090;

    @Option(
            names = "--edge-port",
            description = "Edge worker port (workerd, in front of the query API and order-api); "
                    + "0 picks a free one (default: ${DEFAULT-VALUE}).")
    int edgePort = 8787;

    @Option(
            names = "--edge",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Run the edge worker (needs Node.js 20+, built by Maven; default: on). --no-edge skips it.")
    boolean edge = true;

    @Option(
            names = "--edge-dir",
            paramLabel = "DIR",
            description = "The edge worker's directory (default: ${DEFAULT-VALUE}).")
    Path edgeDir = Path.of("edge");

    /** How the outbox reaches Kafka. */
    enum OutboxMode {
        cdc,
        polling
    }

    @Option(names = "--outbox-mode", description = "cdc (Debezium, default) or polling (SELECT ... SKIP LOCKED).")
    OutboxMode outboxMode = OutboxMode.cdc;

    @Option(
            names = "--outbox-retention",
            description = "How long published outbox rows are kept, ISO-8601 (default: ${DEFAULT-VALUE}).")
    Duration outboxRetention = Duration.ofDays(1);

    @Option(
            names = "--load",
            paramLabel = "ORDERS_PER_S",
            description = "After start-up, place this many orders per second over HTTP (with duplicates, declines "
                    + "and gateway faults), show progress, and check the outcome.")
    int load;

    @Option(
            names = "--load-duration",
            paramLabel = "SECONDS",
            description = "How long --load runs (default: ${DEFAULT-VALUE}).")
    int loadSeconds = 60;

    @Option(
            names = "--load-ramp",
            paramLabel = "SECONDS",
            description =
                    "Before --load-duration, ramp the rate from 0 to --load over this many seconds; latency is "
                            + "measured from full rate on (default: ${DEFAULT-VALUE}: full rate at once, the first 20 s not measured; "
                            + "on two cores a cold start at full rate can fall behind for the whole run, so ramp 30 s or more).")
    int loadRampSeconds = 0;

    @Option(
            names = "--load-gateway-faults",
            negatable = true,
            defaultValue = "true",
            fallbackValue = "true",
            description = "Inject gateway faults during --load: 2%% 503, 1%% 429 with Retry-After: 1 (default: on).")
    boolean loadGatewayFaults = true;

    @Option(
            names = "--load-cancels",
            paramLabel = "SHARE",
            description =
                    "Share of accepted --load orders cancelled 0 to 1.5 s after their 201 (default: ${DEFAULT-VALUE}).")
    double loadCancels = 0.05;

    @Option(
            names = "--load-slow-payments",
            paramLabel = "SHARE",
            description = "Share of gateway calls answered --load-slow-payment-ms late during --load (default: "
                    + "${DEFAULT-VALUE}). With --set saga.step.timeout.ms=1000 --set saga.max.attempts=1 their replies "
                    + "reach sagas that already gave up.")
    double loadSlowPayments = 0;

    @Option(
            names = "--load-slow-payment-ms",
            paramLabel = "MS",
            description = "How late a slow gateway answer is (default: ${DEFAULT-VALUE}; keep it below order-api's "
                    + "payment.gateway.timeout.ms, BULWARK_ORDERS_PAYMENT_GATEWAY_TIMEOUT_MS, or the call is retried).")
    long loadSlowPaymentMs = 2_500;

    @Option(
            names = "--load-trace",
            description = "Also read every topic an order crosses and print, per step, how long after the 201 its "
                    + "record became readable (p50, p99, max, the slowest 1%%): where the --load latency goes. "
                    + "Costs one more consumer.")
    boolean loadTrace;

    @Option(
            names = "--exit-after-load",
            description = "Stop the dev-stack when the --load run is checked; exit 0 if consistent.")
    boolean exitAfterLoad;

    @Option(
            names = {"-s", "--set"},
            paramLabel = "KEY=VALUE",
            description = "A streams-app configuration key (see the README's reference); repeatable.")
    Map<String, String> streamsFlags = new LinkedHashMap<>();

    private final Running running = new Running();
    private final CountDownLatch stopped = new CountDownLatch(1);

    public static void main(String[] args) {
        System.exit(new CommandLine(new DevStack()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long began = System.nanoTime();
        Path dir = dataDir.toAbsolutePath().normalize();
        try {
            checkOwnVariables(System.getenv());
            // The streams app's variables and --set flags, before anything starts (their values are
            // checked again, with the real addresses, when each component starts).
            Map<String, String> early = new LinkedHashMap<>(streamsFlags);
            early.put(AppConfig.BOOTSTRAP_SERVERS, "127.0.0.1:" + kafkaPort);
            ConfigLoader.load(null, System.getenv(), early);
            checkPortsFree();
            if (fresh) {
                Directories.deleteRecursively(dir);
            }
            Files.createDirectories(dir);
            System.out.println("Full log (every library at INFO): " + DevStackLogging.configure(dir));
        } catch (IllegalStateException e) {
            System.err.println(e.getMessage());
            return 2;
        } catch (ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            return 2;
        }
        Thread hook = new Thread(this::stop, "bulwark-dev-stack-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        StreamsApp app;
        LoadGenerator loadGenerator = null;
        Map<String, String> where = new LinkedHashMap<>();
        try {
            CompletableFuture<EmbeddedKafkaBroker> kafka = CompletableFuture.supplyAsync(() -> register(
                    EmbeddedKafkaBroker.builder(dir).port(kafkaPort).build().start()));
            CompletableFuture<EmbeddedPostgresServer> postgres =
                    CompletableFuture.supplyAsync(() -> register(EmbeddedPostgresServer.builder(dir)
                            .port(postgresPort)
                            .registerShutdownHook(false)
                            .build()
                            .start()));
            CompletableFuture<EmbeddedRedisServer> redis =
                    CompletableFuture.supplyAsync(() -> register(EmbeddedRedisServer.builder(dir)
                            .port(redisPort)
                            .persistent(true)
                            .build()
                            .start()));

            EmbeddedPostgresServer pg = postgres.join();
            DatabaseMigrations.migrate(pg.jdbcUrl(), pg.username(), pg.password(), DB_SCHEMA);
            EmbeddedKafkaBroker broker = kafka.join();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                List<String> created = TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
                if (!created.isEmpty()) {
                    log.info("Created topics {}", created);
                }
                TopicInstaller.checkPartitions(admin, Topics.all());
            }
            Map<String, String> flags = new LinkedHashMap<>();
            flags.put(AppConfig.BOOTSTRAP_SERVERS, broker.bootstrapServers());
            flags.put(AppConfig.STATE_DIR, dir.resolve("streams-state").toString());
            flags.put(AppConfig.HTTP_PORT, Integer.toString(httpPort));
            if (System.getenv(ConfigLoader.variable(AppConfig.NUM_STREAM_THREADS)) == null) {
                // Two threads on this 2-core layout: one thread's exactly-once flush overlaps the other's work
                // (4x the outcomes after 60 s at 100 orders/s, benchmarks/PROFILES.md). --set overrides it.
                flags.put(AppConfig.NUM_STREAM_THREADS, "2");
            }
            // The secret the edge worker signs caller identities with, for the query API and order-api to verify.
            String edgeSecret = Base64.getUrlEncoder()
                    .withoutPadding()
                    .encodeToString(DevSecrets.secret(dir.resolve("edge-origin-secret"), 32));
            flags.put(AppConfig.QUERY_EDGE_SECRET, edgeSecret);
            flags.putAll(streamsFlags);
            AppConfig config = ConfigLoader.load(null, System.getenv(), flags);
            app = register(StreamsApp.start(config, BulwarkTopology.create(config)));
            awaitRunning(app);
            startOutbox(app, broker, pg);
            EmbeddedRedisServer cache = redis.join();
            GatewaySimulator gateway = register(new GatewaySimulator("127.0.0.1", gatewayPort));
            String apiKey = apiKey(dir);
            String freeKey = freeApiKey(dir);
            OrderApiApp orders = register(startOrders(broker, pg, cache, gateway, apiKey, freeKey, app, edgeSecret));
            EdgeWorker worker = edge ? startEdge(dir, app, orders, edgeSecret) : null;

            where.put("Kafka", broker.bootstrapServers());
            where.put("PostgreSQL", pg.jdbcUrl() + "  (user " + pg.username() + ", schema " + DB_SCHEMA + ")");
            where.put("Redis", cache.uri());
            where.put("Outbox", DB_SCHEMA + "." + OutboxTable.TABLE + " -> Kafka (" + outboxMode + " relay)");
            where.put(
                    "Streams app",
                    "http://127.0.0.1:" + app.httpPort() + "/health, /metrics, /query/..., /openapi.json");
            where.put(
                    "Order API",
                    "http://127.0.0.1:" + orders.port() + "/orders  (X-API-Key: " + apiKey + "; free tier, 10/s: "
                            + freeKey + "; /health, /metrics)");
            where.put("Gateway", gateway.baseUrl() + "  (simulated payments; PUT /faults, GET /stats)");
            if (worker != null) {
                where.put(
                        "Edge",
                        worker.baseUrl() + "  (workerd: /query/*, /orders, /customers/{id}; Authorization: Bearer "
                                + "<JWT>, a day's development token in " + dir.resolve("edge-token") + ")");
            }
            where.put("Data", dir.toString());
            if (load > 0) {
                loadGenerator = new LoadGenerator(
                                LoadGenerator.Settings.of(load, Duration.ofSeconds(loadSeconds), loadGatewayFaults)
                                        .withCancels(loadCancels)
                                        .withSlowPayments(loadSlowPayments, loadSlowPaymentMs),
                                broker.bootstrapServers(),
                                pg.jdbcUrl(),
                                orders.port(),
                                List.of(app.httpPort()),
                                apiKey,
                                new GatewayClient(gateway.baseUrl()),
                                System.out)
                        .ramp(Duration.ofSeconds(loadRampSeconds))
                        .trace(loadTrace);
            }
        } catch (ConfigException e) {
            System.err.println("Invalid configuration: " + e.getMessage());
            stop();
            return 2;
        } catch (RuntimeException | IOException e) {
            log.error("dev-stack failed to start", e);
            stop();
            return 1;
        }
        StringBuilder banner = new StringBuilder("\n");
        where.forEach((name, address) -> banner.append(String.format("  %-12s %s%n", name, address)));
        banner.append(
                String.format("%s%.1f s. Ctrl-C stops everything.%n", READY_LINE, (System.nanoTime() - began) / 1e9));
        System.out.print(banner);
        System.out.flush();

        if (loadGenerator != null) {
            LoadGenerator.Summary summary;
            try {
                summary = loadGenerator.run();
            } catch (Exception e) {
                log.error("The load run failed", e);
                summary = null;
            }
            if (exitAfterLoad) {
                stop();
                return summary != null && summary.consistent() ? 0 : 1;
            }
        }

        app.awaitTermination();
        if (app.failed()) {
            log.error("The streams app failed; stopping the dev-stack");
            stop();
            return 1;
        }
        stopped.await(); // closed by the shutdown hook
        return 0;
    }

    /** The outbox relay and its pruner, reporting to the streams app's /health and /metrics. */
    private void startOutbox(StreamsApp app, EmbeddedKafkaBroker broker, EmbeddedPostgresServer pg) {
        Database database = new Database(pg.host(), pg.port(), pg.database(), pg.username(), pg.password());
        OutboxTable table = new OutboxTable(DB_SCHEMA);
        EventSchemas schemas = EventSchemas.load();
        if (outboxMode == OutboxMode.cdc) {
            OutboxRelay relay = register(OutboxRelay.start(
                    OutboxRelay.Settings.of(broker.bootstrapServers(), database, table), schemas, app.meterRegistry()));
            app.addHealthCheck(
                    "outbox-relay",
                    () -> new HealthStatus(
                            relay.running() && !relay.stalled(),
                            Map.of(
                                    "mode",
                                    "cdc",
                                    "slot",
                                    relay.slotName(),
                                    "slotLagBytes",
                                    relay.slotLagBytes(),
                                    "stalled",
                                    relay.stalled())));
            register(new OutboxPruner(
                            database,
                            table,
                            OutboxPruner.Mode.CDC,
                            outboxRetention,
                            relay.slotName(),
                            app.meterRegistry())
                    .schedule(Duration.ofMinutes(1)));
            long deadline = System.nanoTime() + STREAMS_READY_TIMEOUT.toNanos();
            while (!relay.running()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("The outbox relay did not start within " + STREAMS_READY_TIMEOUT);
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
            }
            relay.refreshSlotLag();
        } else {
            PollingOutboxRelay relay = register(PollingOutboxRelay.start(
                    PollingOutboxRelay.Settings.of(broker.bootstrapServers(), database, table),
                    schemas,
                    app.meterRegistry()));
            app.addHealthCheck("outbox-relay", () -> new HealthStatus(relay.running(), Map.of("mode", "polling")));
            register(new OutboxPruner(
                            database, table, OutboxPruner.Mode.POLLING, outboxRetention, null, app.meterRegistry())
                    .schedule(Duration.ofMinutes(1)));
        }
    }

    /**
     * order-api with the payment worker, on the dev-stack's PostgreSQL schema (so the relay publishes its
     * outbox), Redis and Kafka; its health joins the streams app's /health.
     */
    private OrderApiApp startOrders(
            EmbeddedKafkaBroker broker,
            EmbeddedPostgresServer pg,
            EmbeddedRedisServer redis,
            GatewaySimulator gateway,
            String apiKey,
            String freeKey,
            StreamsApp app,
            String edgeSecret) {
        Map<String, String> flags = new LinkedHashMap<>();
        flags.put(OrderApiConfig.DB_URL, pg.jdbcUrl());
        flags.put(OrderApiConfig.DB_USER, pg.username());
        flags.put(OrderApiConfig.DB_PASSWORD, pg.password());
        flags.put(OrderApiConfig.DB_SCHEMA, DB_SCHEMA);
        flags.put(OrderApiConfig.REDIS_URI, redis.uri());
        flags.put(OrderApiConfig.HTTP_PORT, Integer.toString(ordersPort));
        flags.put(OrderApiConfig.API_CLIENTS, "dev:" + apiKey + ":internal,dev-free:" + freeKey + ":free");
        flags.put(OrderApiConfig.PAYMENT_WORKER_ENABLED, "true");
        flags.put(OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS, broker.bootstrapServers());
        flags.put(OrderApiConfig.GATEWAY_URL, gateway.baseUrl());
        flags.put(OrderApiConfig.EDGE_SECRET, edgeSecret);
        OrderApiApp orders = OrderApiApp.start(OrderApiConfig.load(System.getenv(), flags), app.meterRegistry());
        app.addHealthCheck("order-api", () -> {
            Map<String, Boolean> components = orders.health();
            return new HealthStatus(
                    components.values().stream().allMatch(Boolean::booleanValue),
                    new LinkedHashMap<String, Object>(components));
        });
        return orders;
    }

    /**
     * The edge worker in front of the query API and order-api, with a development token (client
     * {@code dev}, every scope, a day) in {@code <data dir>/edge-token}; null, with the reason printed,
     * when it cannot run here (no Node.js 20, not built).
     */
    private EdgeWorker startEdge(Path dir, StreamsApp app, OrderApiApp orders, String edgeSecret) throws IOException {
        Path edgeHome = edgeDir.toAbsolutePath().normalize();
        Optional<String> unavailable = EdgeWorker.unavailable(edgeHome);
        if (unavailable.isPresent()) {
            System.out.println("Edge worker not started: " + unavailable.get() + ". --no-edge silences this.");
            return null;
        }
        byte[] signingKey = DevSecrets.secret(dir.resolve("edge-signing-key"), 32);
        EdgeWorker worker = register(EdgeWorker.start(
                edgeHome,
                dir,
                edgePort,
                EdgeWorker.oneRegion("http://127.0.0.1:" + app.httpPort(), "http://127.0.0.1:" + orders.port()),
                edgeSecret,
                signingKey));
        DevSecrets.writeOwnerOnly(dir.resolve("edge-token"), EdgeWorker.devToken(signingKey, Duration.ofDays(1)));
        return worker;
    }

    /** The dev-stack's own environment variables; the components it runs read theirs (BULWARK_STREAMS_, BULWARK_ORDERS_). */
    static final List<String> VARIABLES =
            List.of("BULWARK_DEV_API_KEY", "BULWARK_DEV_FREE_API_KEY", "BULWARK_DEV_JAVA_OPTS");

    /** Fails on a {@code BULWARK_DEV_*} variable the dev-stack does not know (a typo would silently do nothing). */
    static void checkOwnVariables(Map<String, String> environment) {
        List<String> unknown = environment.keySet().stream()
                .filter(name -> name.startsWith("BULWARK_DEV_"))
                .filter(name -> !VARIABLES.contains(name))
                .sorted()
                .toList();
        if (!unknown.isEmpty()) {
            throw new IllegalStateException("Unknown dev-stack variable(s) " + String.join(", ", unknown) + "; known: "
                    + String.join(", ", VARIABLES));
        }
    }

    /**
     * The dev client's API key: {@code BULWARK_DEV_API_KEY} if set, else one generated on first start and
     * kept in the data directory (owner-only), so it survives restarts and never lives in code.
     */
    private static String apiKey(Path dir) throws IOException {
        return apiKey(dir, "BULWARK_DEV_API_KEY", "dev-api-key", "dev-");
    }

    /**
     * The key of a second client on the {@code free} tier (10 requests/s, 1,000/h), so a user can see
     * the rate limiter refuse: {@code BULWARK_DEV_FREE_API_KEY}, or generated into
     * {@code <data dir>/dev-free-api-key}.
     */
    private static String freeApiKey(Path dir) throws IOException {
        return apiKey(dir, "BULWARK_DEV_FREE_API_KEY", "dev-free-api-key", "free-");
    }

    private static String apiKey(Path dir, String variable, String fileName, String prefix) throws IOException {
        String fromEnv = System.getenv(variable);
        if (fromEnv != null && !fromEnv.isBlank()) {
            return fromEnv.trim();
        }
        Path file = dir.resolve(fileName);
        if (Files.exists(file)) {
            return Files.readString(file).trim();
        }
        byte[] random = new byte[18];
        new SecureRandom().nextBytes(random);
        String key = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        DevSecrets.writeOwnerOnly(file, key);
        return key;
    }

    private <T extends AutoCloseable> T register(T service) {
        return running.register(service);
    }

    /** Stops everything started so far, newest first. Safe to call twice and from the shutdown hook. */
    private void stop() {
        running.stopAll();
        stopped.countDown();
    }

    private static void awaitRunning(StreamsApp app) {
        long deadline = System.nanoTime() + STREAMS_READY_TIMEOUT.toNanos();
        while (app.state() != KafkaStreams.State.RUNNING) {
            if (app.state() == KafkaStreams.State.ERROR || app.state() == KafkaStreams.State.NOT_RUNNING) {
                throw new IllegalStateException("The streams app stopped while starting: " + app.state());
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("The streams app was not RUNNING within " + STREAMS_READY_TIMEOUT);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
        }
    }

    private void checkPortsFree() {
        Map<String, Integer> ports = new LinkedHashMap<>();
        ports.put("--kafka-port", kafkaPort);
        ports.put("--postgres-port", postgresPort);
        ports.put("--redis-port", redisPort);
        ports.put("--http-port", httpPort);
        ports.put("--orders-port", ordersPort);
        ports.put("--gateway-port", gatewayPort);
        if (edge) {
            ports.put("--edge-port", edgePort);
        }
        ports.forEach((flag, port) -> {
            if (port != 0 && Ports.isListening(port)) {
                throw new IllegalStateException("Port " + port + " is already in use (another dev-stack, or a local "
                        + "server?). Stop it, or pass " + flag + " with another port (0 picks a free one).");
            }
        });
    }
}
