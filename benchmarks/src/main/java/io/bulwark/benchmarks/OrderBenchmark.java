package io.bulwark.benchmarks;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.bulwark.http.HttpIo;
import io.bulwark.infra.EmbeddedPostgresServer;
import io.bulwark.infra.EmbeddedRedisServer;
import io.bulwark.orders.OrderApiApp;
import io.bulwark.orders.OrderApiConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

/**
 * {@code place-order-p99-ms}, {@code place-order-rps} and {@code place-order-vs-bare-insert}: 16
 * closed-loop clients (each sends its next request when the last is answered) against
 * {@code POST /orders} — API key, token-bucket rate limit (the {@code internal} tier), idempotency
 * key (Redis + PostgreSQL), the credit charge with the order row and its outbox event in one statement
 * (add {@code lock.customers=true} for the per-customer Redis lock with a durable fencing token), all in
 * one transaction — and, in the same run, against a bare endpoint on the
 * same JDK HTTP server kind that inserts one row with auto-commit. PostgreSQL is durable (fsync,
 * synchronous commit), everything shares the machine's cores.
 *
 * <pre>benchmarks/orders.sh [seconds] [clients] [order-api key=value ...]</pre>
 *
 * <p>Place-order gets {@code -Dbench.warm.up.seconds} (default 60) of the same load first, the bare
 * endpoint 15; then {@code -Dbench.rounds} (default 3) rounds alternate a place-order run and a bare run
 * of {@code seconds} each, and the figures are the median rounds' (this machine's throughput drifts by
 * ±20% from one minute to the next, on both sides). With
 * {@code -Dbench.profile} the first place-order round is profiled.
 */
public final class OrderBenchmark {

    /**
     * Seconds of place-order load before its measured run: the JIT is still compiling the order path after 15
     * (async-profiler: the C2 threads took 6–27% of the JVM's CPU in the measured run, varying run to run). The
     * bare endpoint, run after it in a warm JVM, gets 15.
     */
    private static final int WARM_UP_SECONDS = Integer.getInteger("bench.warm.up.seconds", 60);

    /** Measured rounds, each one place-order run and one bare run of {@code seconds}. */
    private static final int ROUNDS = Integer.getInteger("bench.rounds", 3);

    private OrderBenchmark() {}

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 20;
        int clients = args.length > 1 ? Integer.parseInt(args[1]) : 16;
        Path dir = Files.createTempDirectory("bulwark-order-bench");
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.builder(dir.resolve("pg"))
                        .build()
                        .start();
                EmbeddedRedisServer redis = EmbeddedRedisServer.builder(dir.resolve("redis"))
                        .build()
                        .start()) {
            // The request path alone (no Kafka here), then key=value overrides, e.g. lock.customers=true.
            Map<String, String> settings = KeyValueArgs.withOverrides(
                    Map.of(
                            OrderApiConfig.DB_URL,
                            pg.jdbcUrl(),
                            OrderApiConfig.DB_USER,
                            pg.username(),
                            OrderApiConfig.DB_PASSWORD,
                            pg.password(),
                            OrderApiConfig.DB_SCHEMA,
                            "bench",
                            OrderApiConfig.REDIS_URI,
                            redis.uri(),
                            OrderApiConfig.HTTP_PORT,
                            "0",
                            OrderApiConfig.API_CLIENTS,
                            "bench:bench-secret-1:internal",
                            OrderApiConfig.OUTCOMES_ENABLED,
                            "false"),
                    args,
                    2);
            OrderApiConfig config = OrderApiConfig.load(Map.of(), settings);
            try (OrderApiApp app = OrderApiApp.start(config, new SimpleMeterRegistry());
                    HikariDataSource bare = pool(pg)) {
                try (Connection c = bare.getConnection();
                        Statement s = c.createStatement()) {
                    s.execute("CREATE TABLE IF NOT EXISTS bench.bare (id text PRIMARY KEY, body jsonb NOT NULL)");
                    // The customers the run orders for, provisioned as a client would (order-api refuses others).
                    s.execute("INSERT INTO bench.customer_credit (client_id, customer_id, limit_cents) SELECT 'bench',"
                            + " 'bench-c-' || g, 1000000000000 FROM generate_series(0, 4999) g ON CONFLICT DO NOTHING");
                }
                HttpServer bareServer = bareEndpoint(bare);
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
                URI orders = URI.create("http://127.0.0.1:" + app.port() + "/orders");
                URI bareUri =
                        URI.create("http://127.0.0.1:" + bareServer.getAddress().getPort() + "/bare");
                AtomicInteger customer = new AtomicInteger();
                Run warm = run(client, clients, WARM_UP_SECONDS, i -> placeRequest(orders, customer.incrementAndGet()));
                run(client, clients, 15, i -> bareRequest(bareUri));
                // Rounds alternate the two sides, so a slow minute of the machine weighs on both.
                List<Run> places = new ArrayList<>();
                List<Run> bares = new ArrayList<>();
                for (int round = 0; round < ROUNDS; round++) {
                    if (round == 0) {
                        Profiling.start();
                    }
                    places.add(run(client, clients, seconds, i -> placeRequest(orders, customer.incrementAndGet())));
                    if (round == 0) {
                        Profiling.stop();
                    }
                    bares.add(run(client, clients, seconds, i -> bareRequest(bareUri)));
                }
                bareServer.stop(0);
                Run place = Run.median(places);
                Run bareRun = Run.median(bares);
                System.out.printf("warm-up: %.0f req/s%n", warm.rps());
                System.out.printf(
                        "rounds (place / bare req/s): %s%n",
                        IntStream.range(0, ROUNDS)
                                .mapToObj(r -> String.format(
                                        "%.0f / %.0f",
                                        places.get(r).rps(), bares.get(r).rps()))
                                .collect(Collectors.joining(", ")));
                System.out.printf(
                        "| place-order-rps | %.0f (median of %d rounds; %d clients, %d s each, %d errors) |%n",
                        place.rps(),
                        ROUNDS,
                        clients,
                        seconds,
                        places.stream().mapToLong(Run::errors).sum());
                System.out.printf(
                        "| place-order-p99-ms | %.2f (p50 %.2f, the median round) |%n",
                        place.percentileMs(99), place.percentileMs(50));
                System.out.printf(
                        "| bare-insert-rps | %.0f (median round: p99 %.2f ms; %d errors) |%n",
                        bareRun.rps(),
                        bareRun.percentileMs(99),
                        bares.stream().mapToLong(Run::errors).sum());
                System.out.printf("| place-order-vs-bare-insert | %.2f |%n", place.rps() / bareRun.rps());
            }
        }
        System.exit(0); // the HTTP client's and servers' pools are not daemons
    }

    private static HttpRequest placeRequest(URI uri, int customer) {
        String body = "{\"customerId\":\"bench-c-" + (customer % 5_000) + "\",\"currency\":\"EUR\","
                + "\"lines\":[{\"sku\":\"sku-" + (customer % 100) + "\",\"quantity\":1,\"unitPriceCents\":1000}]}";
        return HttpRequest.newBuilder(uri)
                .header("Authorization", "Bearer bench-secret-1")
                .header("Content-Type", "application/json")
                .header("Idempotency-Key", UUID.randomUUID().toString())
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
    }

    private static HttpRequest bareRequest(URI uri) {
        return HttpRequest.newBuilder(uri)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"customerId\":\"c\",\"totalCents\":1000}"))
                .build();
    }

    record Run(long[] micros, long count, long errors, double seconds) {
        double rps() {
            return count / seconds;
        }

        /** The run with the median throughput (the upper one of an even count). */
        static Run median(List<Run> runs) {
            List<Run> sorted = new ArrayList<>(runs);
            sorted.sort(Comparator.comparingDouble(Run::rps));
            return sorted.get(sorted.size() / 2);
        }

        double percentileMs(double p) {
            int n = (int) Math.min(count, micros.length);
            long[] sorted = Arrays.copyOf(micros, n);
            Arrays.sort(sorted);
            return n == 0 ? Double.NaN : sorted[Math.max(0, (int) Math.ceil(p / 100 * n) - 1)] / 1000.0;
        }
    }

    private static Run run(HttpClient client, int clients, int seconds, IntFunction<HttpRequest> request)
            throws InterruptedException {
        long[] micros = new long[4_000_000];
        AtomicLong count = new AtomicLong();
        AtomicLong errors = new AtomicLong();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        long began = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        for (int c = 0; c < clients; c++) {
            pool.execute(() -> {
                while (System.nanoTime() < end) {
                    long start = System.nanoTime();
                    try {
                        HttpResponse<Void> response =
                                client.send(request.apply(0), HttpResponse.BodyHandlers.discarding());
                        if (response.statusCode() >= 300) {
                            errors.incrementAndGet();
                        }
                    } catch (Exception e) {
                        errors.incrementAndGet();
                    }
                    long i = count.getAndIncrement();
                    if (i < micros.length) {
                        micros[(int) i] = (System.nanoTime() - start) / 1000;
                    }
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(seconds + 60L, TimeUnit.SECONDS);
        return new Run(micros, count.get(), errors.get(), (System.nanoTime() - began) / 1e9);
    }

    private static HikariDataSource pool(EmbeddedPostgresServer pg) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(pg.jdbcUrl());
        config.setUsername(pg.username());
        config.setPassword(pg.password());
        config.setMaximumPoolSize(16);
        return new HikariDataSource(config);
    }

    /** The baseline: one JSON body in, one auto-committed row out, same server kind and pool size. */
    private static HttpServer bareEndpoint(HikariDataSource dataSource) throws Exception {
        HttpServer server = HttpIo.createServer("127.0.0.1", 0, 256, Executors.newFixedThreadPool(32));
        server.createContext("/bare", exchange -> {
            try (exchange;
                    InputStream in = exchange.getRequestBody();
                    Connection c = dataSource.getConnection();
                    PreparedStatement insert =
                            c.prepareStatement("INSERT INTO bench.bare (id, body) VALUES (?, ?::jsonb)")) {
                insert.setString(1, UUID.randomUUID().toString());
                insert.setString(2, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                insert.executeUpdate();
                byte[] ok = "{\"ok\":true}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(201, ok.length);
                exchange.getResponseBody().write(ok);
            } catch (Exception e) {
                exchange.sendResponseHeaders(500, -1);
            }
        });
        server.start();
        return server;
    }
}
