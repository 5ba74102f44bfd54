package io.bulwark.benchmarks;

import io.bulwark.guard.lock.Lease;
import io.bulwark.guard.lock.RedisLockConfig;
import io.bulwark.guard.lock.RedisLocks;
import io.bulwark.guard.ratelimit.Limit;
import io.bulwark.guard.ratelimit.TokenBucketLimiter;
import io.bulwark.infra.Directories;
import io.bulwark.infra.EmbeddedRedisServer;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * request-guard against Redisson and Bucket4j on the same Redis server, same concurrency, same run:
 * lock acquire+release ops/s, token-bucket decisions/s on one hot key and on 10,000 keys, and the
 * token-bucket script against {@code redis-benchmark}'s EVALSHA ceiling when that tool is installed.
 */
public final class GuardBenchmark {

    private static final int THREADS = 8;
    private static final Duration RUN = Duration.ofSeconds(5);

    private GuardBenchmark() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("bulwark-guard-bench");
        EmbeddedRedisServer server = EmbeddedRedisServer.builder(dir).build().start();
        RedisClient client = RedisClient.create("redis://127.0.0.1:" + server.port());
        Config redissonConfig = new Config();
        redissonConfig.useSingleServer().setAddress("redis://127.0.0.1:" + server.port());
        RedissonClient redisson = Redisson.create(redissonConfig);
        try (StatefulRedisConnection<String, String> connection = client.connect();
                StatefulRedisConnection<String, byte[]> bytes =
                        client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE));
                RedisLocks locks = new RedisLocks(
                        connection,
                        RedisLockConfig.withTtl(Duration.ofSeconds(10)).watchdog(false))) {
            double ours = measure("bulwark lock", t -> {
                try (Lease lease = locks.tryAcquire("lock-" + t).orElseThrow()) {
                    lease.fencingToken();
                }
            });
            double theirs = measure("redisson lock", t -> {
                RLock lock = redisson.getLock("rlock-" + t);
                lock.lock(10, TimeUnit.SECONDS);
                lock.unlock();
            });

            TokenBucketLimiter limiter = new TokenBucketLimiter(connection, "bench:", Duration.ofSeconds(2));
            List<Limit> limits = List.of(Limit.of("bench", 1_000_000, Duration.ofHours(1)));
            ProxyManager<String> buckets =
                    Bucket4jLettuce.casBasedBuilder(bytes).build();
            BucketConfiguration configuration = BucketConfiguration.builder()
                    .addLimit(Bandwidth.simple(1_000_000, Duration.ofHours(1)))
                    .build();
            double oursHot = measure("bulwark token bucket, hot key", t -> limiter.decide("hot", limits, 1));
            double b4jHot = measure(
                    "bucket4j, hot key",
                    t -> buckets.getProxy("b4j-hot", () -> configuration).tryConsume(1));
            double oursMany = measure(
                    "bulwark token bucket, 10k keys",
                    t -> limiter.decide("k" + ThreadLocalRandom.current().nextInt(10_000), limits, 1));
            double b4jMany = measure(
                    "bucket4j, 10k keys",
                    t -> buckets.getProxy("b4j-" + ThreadLocalRandom.current().nextInt(10_000), () -> configuration)
                            .tryConsume(1));
            double ceiling = redisBenchmarkEvalsha(server.port(), connection);

            System.out.printf("%n| metric id | value |%n|---|---|%n");
            System.out.printf("| lock-vs-redisson | %.2f (%.0f vs %.0f ops/s) |%n", ours / theirs, ours, theirs);
            System.out.printf(
                    "| tokenbucket-vs-bucket4j hot key | %.2f (%.0f vs %.0f decisions/s) |%n",
                    oursHot / b4jHot, oursHot, b4jHot);
            System.out.printf(
                    "| tokenbucket-vs-bucket4j 10k keys | %.2f (%.0f vs %.0f decisions/s) |%n",
                    oursMany / b4jMany, oursMany, b4jMany);
            if (ceiling > 0) {
                System.out.printf(
                        "| tokenbucket-vs-redis-ceiling | %.2f (%.0f vs %.0f EVALSHA/s) |%n",
                        oursHot / ceiling, oursHot, ceiling);
            } else {
                System.out.println("| tokenbucket-vs-redis-ceiling | not measured: redis-benchmark not on PATH |");
            }
        } finally {
            redisson.shutdown();
            client.shutdown();
            server.close();
            Directories.deleteRecursively(dir);
        }
    }

    /** Runs {@code op} on {@link #THREADS} threads for a warm-up second and then {@link #RUN}; returns ops/s. */
    private static double measure(String name, IntConsumer op) throws Exception {
        run(op, Duration.ofSeconds(1));
        double rate = run(op, RUN);
        System.out.printf("%-34s %,10.0f ops/s%n", name, rate);
        return rate;
    }

    private static double run(IntConsumer op, Duration duration) throws Exception {
        LongAdder count = new LongAdder();
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        long start = System.nanoTime();
        long stopAt = start + duration.toNanos();
        List<Future<?>> workers = new ArrayList<>();
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            workers.add(pool.submit(() -> {
                while (System.nanoTime() < stopAt) {
                    op.accept(thread);
                    count.increment();
                }
                return null;
            }));
        }
        for (Future<?> worker : workers) {
            worker.get();
        }
        pool.shutdown();
        return count.sum() / ((System.nanoTime() - start) / 1e9);
    }

    /** EVALSHA of the same token-bucket script by redis-benchmark with as many connections as threads. */
    private static double redisBenchmarkEvalsha(int port, StatefulRedisConnection<String, String> connection)
            throws Exception {
        TokenBucketLimiter warm = new TokenBucketLimiter(connection, "ceiling:", Duration.ofSeconds(2));
        warm.decide("hot", List.of(Limit.of("bench", 1_000_000, Duration.ofHours(1))), 1); // loads the script
        String sha = connection.sync().scriptLoad(tokenBucketSource(connection));
        if (sha == null) {
            return 0;
        }
        Process process;
        try {
            process = new ProcessBuilder(
                            "redis-benchmark",
                            "-p",
                            Integer.toString(port),
                            "-c",
                            Integer.toString(THREADS),
                            "-n",
                            "200000",
                            "-q",
                            "EVALSHA",
                            sha,
                            "1",
                            "ceiling:tb:{hot}:bench",
                            "1",
                            "1000000",
                            "1000000",
                            "3600000000")
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException notInstalled) {
            return 0;
        }
        double rate = 0;
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                Matcher m = Pattern.compile("([0-9.]+) requests per second").matcher(line);
                while (m.find()) {
                    rate = Double.parseDouble(m.group(1));
                }
            }
        }
        process.waitFor();
        return rate;
    }

    /** The loaded token-bucket script's source is the one in TokenBucketLimiter; find its SHA via SCRIPT EXISTS. */
    private static String tokenBucketSource(StatefulRedisConnection<String, String> connection) {
        return TokenBucketLimiter.scriptSource();
    }
}
