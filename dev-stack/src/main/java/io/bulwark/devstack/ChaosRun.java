package io.bulwark.devstack;

import io.bulwark.connectors.DatabaseMigrations;
import io.bulwark.connectors.relay.RelayMain;
import io.bulwark.infra.BrokerMain;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedPostgresServer;
import io.bulwark.infra.EmbeddedRedisServer;
import io.bulwark.infra.Ports;
import io.bulwark.orders.OrderApiConfig;
import io.bulwark.orders.OrderApiMain;
import io.bulwark.orders.payment.GatewaySimulatorMain;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.StreamsMain;
import io.bulwark.streams.app.TopicInstaller;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.admin.Admin;
import org.netcrusher.core.reactor.NioReactor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Faults under load: every component in its own process, a steady open-loop order load, one fault
 * every {@code --interval} seconds in a seeded random order, then the dev-stack load check (nothing
 * lost, nothing doubled, stock, credit and payments balanced, every order terminal) and how long the
 * system took to carry new orders again after each fault.
 *
 * <p>Processes: the KRaft broker ({@link BrokerMain}), two streams-app instances with a standby
 * each, the outbox relay, order-api with its payment worker, the gateway simulator — each a JVM of
 * its own — and PostgreSQL and Redis (their own server processes, run from this one). Components
 * reach Kafka, PostgreSQL, Redis and the gateway through {@link FaultProxy} TCP proxies; the
 * checks read them directly.
 */
@Command(
        name = "bulwark-chaos",
        mixinStandardHelpOptions = true,
        version = "Bulwark chaos run 0.1.0",
        description = "Kills, restarts and cuts the components of Bulwark while orders flow, then checks that "
                + "nothing was lost or doubled.")
public final class ChaosRun implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ChaosRun.class);
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);

    @Option(names = "--minutes", description = "How long faults are injected (default: ${DEFAULT-VALUE}).")
    double minutes = 10;

    @Option(
            names = "--interval",
            paramLabel = "SECONDS",
            description = "Seconds between faults (default: ${DEFAULT-VALUE}).")
    int interval = 20;

    @Option(
            names = "--rate",
            paramLabel = "ORDERS_PER_S",
            description = "Orders per second (default: ${DEFAULT-VALUE}).")
    int rate = 20;

    @Option(names = "--seed", description = "Seed of the fault order (default: random, printed).")
    Long seed;

    @Option(
            names = "--faults",
            split = ",",
            paramLabel = "KIND",
            description = "Only these kinds (default: all): ${COMPLETION-CANDIDATES}.")
    List<Fault> kinds = new ArrayList<>(Arrays.asList(Fault.values()));

    @Option(
            names = "--data-dir",
            paramLabel = "DIR",
            description = "Wiped and used for every process's data and log (default: ${DEFAULT-VALUE}).")
    Path dataDir = Path.of(".bulwark", "chaos");

    @Option(
            names = "--settle",
            paramLabel = "SECONDS",
            description = "Time after the last fault before the checks (default: ${DEFAULT-VALUE}).")
    int settle = 60;

    /** What a run injects. */
    enum Fault {
        STREAMS_KILL,
        RELAY_KILL,
        ORDERS_KILL,
        BROKER_RESTART,
        BROKER_KILL,
        POSTGRES_RESTART,
        REDIS_RESTART,
        REDIS_FLUSHALL,
        KAFKA_LATENCY,
        KAFKA_BLACKHOLE,
        KAFKA_RESET,
        POSTGRES_LATENCY,
        POSTGRES_BLACKHOLE,
        POSTGRES_RESET,
        REDIS_LATENCY,
        REDIS_BLACKHOLE,
        REDIS_RESET,
        GATEWAY_LATENCY,
        GATEWAY_BLACKHOLE,
        GATEWAY_RESET;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Fault parse(String value) {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    /** One injected fault and when. */
    record Injected(Fault fault, String target, long at, double atSeconds) {}

    private static final Duration LATENCY = Duration.ofMillis(100);
    private static final Duration LATENCY_FOR = Duration.ofSeconds(10);
    private static final Duration BLACK_HOLE_FOR = Duration.ofSeconds(5);

    private final Running running = new Running();
    private final PrintStream out = System.out;
    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private EmbeddedPostgresServer postgres;
    private EmbeddedRedisServer redis;
    private ChildProcess broker;
    private final List<ChildProcess> streams = new ArrayList<>();
    private ChildProcess relay;
    private ChildProcess orders;
    private final Map<String, FaultProxy> proxies = new LinkedHashMap<>();

    public static void main(String[] args) {
        CommandLine command = new CommandLine(new ChaosRun());
        command.registerConverter(Fault.class, Fault::parse);
        System.exit(command.execute(args));
    }

    @Override
    public Integer call() throws Exception {
        long seedValue = seed != null ? seed : new Random().nextLong();
        int faults = (int) Math.round(minutes * 60 / interval);
        Path dir = dataDir.toAbsolutePath().normalize();
        Directories.deleteRecursively(dir);
        Files.createDirectories(dir.resolve("logs"));
        out.println("Full log (every library at INFO): " + DevStackLogging.configure(dir));
        // This JVM's Kafka clients only observe; their complaints while the broker is down are the fault itself.
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.kafka.clients"))
                .setLevel(ch.qos.logback.classic.Level.ERROR);
        out.printf(
                "Chaos run: %d faults, one every %d s, seed %d, %d orders/s; processes log to %s%n",
                faults, interval, seedValue, rate, dir.resolve("logs"));
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "chaos-shutdown"));
        LoadGenerator load;
        long began = System.nanoTime();
        try {
            load = startAll(dir);
        } catch (RuntimeException | IOException e) {
            log.error("The chaos run could not start", e);
            out.println("Could not start: " + e.getMessage());
            stopAll();
            return 1;
        }
        out.printf("All components up in %.1f s%n", (System.nanoTime() - began) / 1e9);

        List<Fault> schedule = schedule(faults, new Random(seedValue));
        List<Injected> injected = Collections.synchronizedList(new ArrayList<>());
        Random targets = new Random(seedValue ^ 0x5DEECE66DL);
        Thread injector = new Thread(() -> inject(load, schedule, injected, targets), "chaos-injector");
        injector.setDaemon(true);
        ScheduledExecutorService supervisor =
                Executors.newSingleThreadScheduledExecutor(LoadGenerator.daemons("chaos-supervisor"));
        supervisor.scheduleWithFixedDelay(this::superviseOnce, 1, 1, TimeUnit.SECONDS);
        // Faults start once the load warmed up and stop settle seconds before the load does.
        LoadGenerator.Summary summary;
        try {
            injector.start();
            summary = load.run();
        } finally {
            injector.interrupt();
            injector.join(60_000);
            proxies.values().forEach(FaultProxy::heal);
        }
        supervisor.shutdownNow();
        int code = report(summary, injected, load);
        stopAll();
        return code;
    }

    @Option(
            names = "--warm-up",
            paramLabel = "SECONDS",
            description =
                    "Load before the first fault: the JVMs compile, the groups settle, the start's backlog drains; "
                            + "left out of the latency figures (default: ${DEFAULT-VALUE}).")
    int warmUp = 60;

    private List<Fault> schedule(int count, Random random) {
        List<Fault> schedule = new ArrayList<>();
        while (schedule.size() < count) {
            List<Fault> round = new ArrayList<>(kinds);
            Collections.shuffle(round, random);
            schedule.addAll(round);
        }
        return schedule.subList(0, count);
    }

    private void inject(LoadGenerator load, List<Fault> schedule, List<Injected> injected, Random targets) {
        try {
            // The warm-up counts from the first order, not from the load generator's set-up (restock, customers,
            // consumers: 10-20 s of a cold stack); fault times read on the load's progress clock.
            load.awaitSending();
            long runStart = System.nanoTime();
            long start = runStart + TimeUnit.SECONDS.toNanos(warmUp);
            for (int i = 0; i < schedule.size(); i++) {
                long due = start + TimeUnit.SECONDS.toNanos((long) i * interval);
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                Fault fault = schedule.get(i);
                long at = System.nanoTime();
                String target = target(fault, targets);
                out.printf(
                        "  >>> fault %d/%d at t=%.0fs: %s%s%n",
                        i + 1,
                        schedule.size(),
                        (at - runStart) / 1e9,
                        fault,
                        target.isEmpty() ? "" : " (" + target + ")");
                injected.add(new Injected(fault, target, at, (at - runStart) / 1e9));
                try {
                    apply(fault, target);
                } catch (RuntimeException e) {
                    log.error("Injecting {} failed", fault, e);
                    out.printf("  !!! %s: %s%n", fault, e.getMessage());
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * What Kubernetes or systemd would do: start again a component that exited without being asked to
     * (the streams app exits with status 1 when a stream thread dies, by its uncaught.exception.policy).
     * Each such exit is a finding of the run, printed and counted.
     */
    private void superviseOnce() {
        List<ChildProcess> all = new ArrayList<>(streams);
        all.add(broker);
        all.add(relay);
        all.add(orders);
        for (ChildProcess child : all) {
            OptionalInt status = child.exitedOnItsOwn();
            if (status.isPresent()) {
                unplannedExits.add(child.name() + " exited with " + status.getAsInt());
                out.printf(
                        "  !!! %s exited on its own (status %d; see %s); started again, as a supervisor would%n",
                        child.name(), status.getAsInt(), child.log());
                try {
                    child.start(START_TIMEOUT);
                } catch (RuntimeException e) {
                    out.printf("  !!! %s did not start again: %s%n", child.name(), e.getMessage());
                }
            }
        }
    }

    private final List<String> unplannedExits = Collections.synchronizedList(new ArrayList<>());

    private String target(Fault fault, Random random) {
        return fault == Fault.STREAMS_KILL
                ? streams.get(random.nextInt(streams.size())).name()
                : "";
    }

    private void apply(Fault fault, String target) throws InterruptedException {
        switch (fault) {
            case STREAMS_KILL ->
                restartKilled(streams.stream()
                        .filter(s -> s.name().equals(target))
                        .findFirst()
                        .orElseThrow());
            case RELAY_KILL -> restartKilled(relay);
            case ORDERS_KILL -> restartKilled(orders);
            case BROKER_RESTART -> {
                broker.stop(Duration.ofSeconds(60));
                broker.start(START_TIMEOUT);
            }
            case BROKER_KILL -> restartKilled(broker);
            case POSTGRES_RESTART -> {
                postgres.close(); // pg_ctl stop -m fast; it may give up after 5 s while a walsender drains
                startPostgresAgain();
            }
            case REDIS_RESTART -> {
                redis.close();
                redis.start();
            }
            case REDIS_FLUSHALL -> {
                RedisClient client = RedisClient.create(redis.uri());
                try (StatefulRedisConnection<String, String> connection = client.connect()) {
                    connection.sync().flushall();
                } finally {
                    client.shutdown();
                }
            }
            case KAFKA_LATENCY, POSTGRES_LATENCY, REDIS_LATENCY, GATEWAY_LATENCY ->
                during(proxy(fault), LATENCY_FOR, p -> p.latency(LATENCY));
            case KAFKA_BLACKHOLE, POSTGRES_BLACKHOLE, REDIS_BLACKHOLE, GATEWAY_BLACKHOLE ->
                during(proxy(fault), BLACK_HOLE_FOR, FaultProxy::blackHole);
            case KAFKA_RESET, POSTGRES_RESET, REDIS_RESET, GATEWAY_RESET ->
                proxy(fault).reset();
        }
    }

    /**
     * Starts PostgreSQL again on its data directory. A fast shutdown can outlast zonky's 5 s wait (seen
     * with Debezium's walsender connected), and a start while the old postmaster still holds the port
     * fails: try again for up to two minutes.
     */
    private void startPostgresAgain() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try {
                postgres.start();
                return;
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                log.info("PostgreSQL not started yet ({}); trying again", e.getMessage());
                Thread.sleep(1_000);
            }
        }
    }

    private static void restartKilled(ChildProcess process) {
        process.kill();
        process.start(START_TIMEOUT);
    }

    private FaultProxy proxy(Fault fault) {
        return proxies.get(fault.name().substring(0, fault.name().indexOf('_')).toLowerCase(Locale.ROOT));
    }

    private static void during(FaultProxy proxy, Duration duration, Consumer<FaultProxy> fault)
            throws InterruptedException {
        fault.accept(proxy);
        try {
            Thread.sleep(duration.toMillis());
        } finally {
            proxy.heal();
        }
    }

    /** Starts every component, and returns the load ready to run. */
    private LoadGenerator startAll(Path dir) throws IOException, InterruptedException {
        Path logs = dir.resolve("logs");
        postgres = register(EmbeddedPostgresServer.builder(dir)
                .registerShutdownHook(false)
                .build()
                .start());
        DatabaseMigrations.migrate(postgres.jdbcUrl(), postgres.username(), postgres.password(), DevStack.DB_SCHEMA);
        redis = register(
                EmbeddedRedisServer.builder(dir).persistent(true).build().start());

        NioReactor reactor = new NioReactor();
        running.register(reactor);
        int kafkaInternal = Ports.freePort();
        int kafkaExternal = Ports.freePort();
        FaultProxy kafkaProxy = proxy(reactor, "kafka", kafkaExternal);
        proxy(reactor, "postgres", postgres.port());
        proxy(reactor, "redis", redis.port());
        int gatewayPort = Ports.freePort();
        FaultProxy gatewayProxy = proxy(reactor, "gateway", gatewayPort);
        String kafka = "127.0.0.1:" + kafkaProxy.port();

        List<String> small = List.of("-Xmx384m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");
        List<String> medium = List.of("-Xmx768m", "-XX:+UseParallelGC");
        broker = register(new ChildProcess(
                "broker",
                logs,
                medium,
                BrokerMain.class.getName(),
                List.of(
                        "--data-dir",
                        dir.toString(),
                        "--port",
                        Integer.toString(kafkaInternal),
                        "--controller-port",
                        Integer.toString(Ports.freePort()),
                        "--external-port",
                        Integer.toString(kafkaExternal),
                        "--advertise",
                        kafka),
                Map.of(),
                ChildProcess.Readiness.when(() -> Ports.isListening(kafkaInternal))));
        broker.start(START_TIMEOUT);
        String observerKafka = "127.0.0.1:" + kafkaInternal;
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", observerKafka))) {
            TopicInstaller.createMissing(admin, Topics.all(), (short) 1);
        }

        ChildProcess gateway = register(new ChildProcess(
                "gateway",
                logs,
                small,
                GatewaySimulatorMain.class.getName(),
                List.of(Integer.toString(gatewayPort)),
                Map.of(),
                ChildProcess.Readiness.when(() -> Ports.isListening(gatewayPort))));
        gateway.start(START_TIMEOUT);

        String hopSecret =
                "chaos-hop-" + Long.toHexString(new Random().nextLong()) + Long.toHexString(new Random().nextLong());
        List<Integer> queryPorts = new ArrayList<>();
        for (int n = 1; n <= 2; n++) {
            int httpPort = Ports.freePort();
            queryPorts.add(httpPort);
            streams.add(register(new ChildProcess(
                    "streams-" + n,
                    logs,
                    medium,
                    StreamsMain.class.getName(),
                    List.of(
                            "--set", AppConfig.BOOTSTRAP_SERVERS + "=" + kafka,
                            "--set", AppConfig.STATE_DIR + "=" + dir.resolve("streams-" + n),
                            "--set", AppConfig.HTTP_PORT + "=" + httpPort,
                            "--set", AppConfig.NUM_STANDBY_REPLICAS + "=1",
                            "--set", AppConfig.NUM_STREAM_THREADS + "=1",
                            "--set", AppConfig.QUERY_HOP_SECRET + "=" + hopSecret),
                    Map.of(),
                    ChildProcess.Readiness.when(() -> answers("http://127.0.0.1:" + httpPort + "/health/live")))));
        }
        streams.forEach(s -> s.start(START_TIMEOUT));

        relay = register(new ChildProcess(
                "relay",
                logs,
                medium,
                RelayMain.class.getName(),
                List.of(
                        "--bootstrap-servers",
                        kafka,
                        "--db-host",
                        "127.0.0.1",
                        "--db-port",
                        Integer.toString(proxies.get("postgres").port()),
                        "--db-user",
                        postgres.username(),
                        "--schema",
                        DevStack.DB_SCHEMA),
                Map.of("BULWARK_RELAY_CAPTURE_PASSWORD", postgres.password()),
                ChildProcess.Readiness.printed(RelayMain.STARTED_LINE)));
        relay.start(START_TIMEOUT);

        int ordersPort = Ports.freePort();
        String apiKey = "chaos-" + Long.toHexString(new Random().nextLong());
        orders = register(new ChildProcess(
                "order-api",
                logs,
                medium,
                OrderApiMain.class.getName(),
                List.of(
                        "--set",
                                OrderApiConfig.DB_URL + "=jdbc:postgresql://127.0.0.1:"
                                        + proxies.get("postgres").port() + "/" + postgres.database(),
                        "--set", OrderApiConfig.DB_USER + "=" + postgres.username(),
                        "--set", OrderApiConfig.DB_PASSWORD + "=" + postgres.password(),
                        "--set", OrderApiConfig.DB_SCHEMA + "=" + DevStack.DB_SCHEMA,
                        "--set",
                                OrderApiConfig.REDIS_URI + "=redis://127.0.0.1:"
                                        + proxies.get("redis").port(),
                        "--set", OrderApiConfig.HTTP_PORT + "=" + ordersPort,
                        "--set", OrderApiConfig.API_CLIENTS + "=chaos:" + apiKey + ":internal",
                        "--set", OrderApiConfig.PAYMENT_WORKER_ENABLED + "=true",
                        "--set", OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS + "=" + kafka,
                        "--set", OrderApiConfig.GATEWAY_URL + "=http://127.0.0.1:" + gatewayProxy.port()),
                Map.of(),
                ChildProcess.Readiness.when(() -> Ports.isListening(ordersPort))));
        orders.start(START_TIMEOUT);

        long faultSeconds = Math.round(minutes * 60);
        Duration loadFor = Duration.ofSeconds(warmUp + faultSeconds + settle);
        LoadGenerator.Settings settings = LoadGenerator.Settings.of(rate, loadFor, false)
                .withCancels(0.05)
                .withRetries(Duration.ofSeconds(10), Duration.ofSeconds(120))
                .withDrain(Duration.ofSeconds(120));
        return new LoadGenerator(
                        settings,
                        observerKafka,
                        postgres.jdbcUrl(),
                        ordersPort,
                        queryPorts,
                        apiKey,
                        new GatewayClient("http://127.0.0.1:" + gatewayPort),
                        out)
                .warmUp(Duration.ofSeconds(warmUp));
    }

    private FaultProxy proxy(NioReactor reactor, String name, int target) {
        FaultProxy proxy = register(new FaultProxy(reactor, name, Ports.freePort(), target));
        proxies.put(name, proxy);
        return proxy;
    }

    private boolean answers(String url) {
        try {
            return http.send(
                                    HttpRequest.newBuilder(URI.create(url))
                                            .timeout(Duration.ofSeconds(2))
                                            .build(),
                                    HttpResponse.BodyHandlers.discarding())
                            .statusCode()
                    == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private int report(LoadGenerator.Summary summary, List<Injected> injected, LoadGenerator load) {
        out.printf("%nRecovery (fault -> first confirmation of an order accepted after it):%n");
        Map<Fault, List<Double>> byKind = new LinkedHashMap<>();
        List<Double> all = new ArrayList<>();
        long noProgress = 0;
        for (Injected fault : injected) {
            OptionalDouble seconds = load.progressAfter(fault.at());
            out.printf(
                    "  t=%4.0fs  %-20s %-10s %s%n",
                    fault.atSeconds(),
                    fault.fault(),
                    fault.target(),
                    seconds.isPresent() ? String.format("%.1f s", seconds.getAsDouble()) : "NO PROGRESS");
            if (seconds.isPresent()) {
                all.add(seconds.getAsDouble());
                byKind.computeIfAbsent(fault.fault(), k -> new ArrayList<>()).add(seconds.getAsDouble());
            } else {
                noProgress++;
            }
        }
        Collections.sort(all);
        double p99 = all.isEmpty() ? Double.NaN : all.get(Math.max(0, (int) Math.ceil(0.99 * all.size()) - 1));
        long lost = summary.lost();
        long stuck = summary.lost(); // accepted, not terminal in the query API after the settle time
        out.printf("%nchaos-faults-injected: %d%n", injected.size());
        out.printf("chaos-orders-lost: %d%n", lost + summary.unanswered());
        out.printf("chaos-duplicate-effects: %d%n", summary.duplicateEffects());
        out.printf("chaos-stuck-orders: %d%n", stuck);
        out.printf("chaos-recovery-p99-s: %.1f%n", p99);
        byKind.forEach((kind, seconds) -> out.printf(
                "chaos-recovery-max-s{%s}: %.1f%n",
                kind, seconds.stream().mapToDouble(Double::doubleValue).max().orElse(Double.NaN)));
        out.printf("chaos-server-errors: %d%n", summary.serverErrors());
        out.printf("chaos-unplanned-exits: %d %s%n", unplannedExits.size(), unplannedExits);
        out.printf("chaos-faults-without-progress: %d%n", noProgress);
        boolean passed = summary.consistent() && summary.serverErrors() == 0 && noProgress == 0;
        out.println(passed ? "CHAOS PASSED" : "CHAOS FAILED");
        return passed ? 0 : 1;
    }

    private <T extends AutoCloseable> T register(T service) {
        return running.register(service);
    }

    private void stopAll() {
        running.stopAll();
    }
}
