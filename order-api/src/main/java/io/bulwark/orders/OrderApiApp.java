package io.bulwark.orders;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.outbox.OutboxWriter;
import io.bulwark.guard.fencing.PostgresFencingTokens;
import io.bulwark.guard.idempotency.IdempotencyStore;
import io.bulwark.guard.lock.RedisLockConfig;
import io.bulwark.guard.lock.RedisLocks;
import io.bulwark.guard.ratelimit.ResilientRateLimiter;
import io.bulwark.guard.ratelimit.SlidingWindowLimiter;
import io.bulwark.guard.ratelimit.TokenBucketLimiter;
import io.bulwark.orders.payment.PaymentGateway;
import io.bulwark.orders.payment.PaymentWorker;
import io.bulwark.orders.payment.ResilientPayments;
import io.bulwark.schemas.EventSchemas;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisCredentialsProvider;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** order-api assembled from its config: migrations, pool, Redis, guards, the HTTP server and the reaper. */
public final class OrderApiApp implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OrderApiApp.class);

    private final HikariDataSource dataSource;
    /**
     * Fencing tokens get their own small pool: a request holding a connection must never wait for a second.
     * Null unless customers are locked with durable tokens.
     */
    private final HikariDataSource fencingPool;

    private final RedisClient redisClient;
    private final StatefulRedisConnection<String, String> redis;
    /** Null unless {@code lock.customers}. */
    private final RedisLocks locks;

    private final OrderApi api;
    private final ScheduledExecutorService reaper;
    private final PaymentWorker worker;
    private final OrderOutcomes outcomes;

    private OrderApiApp(OrderApiConfig config, MeterRegistry meters, OrderService.Checkpoint checkpoint) {
        String schema = config.getString(OrderApiConfig.DB_SCHEMA);
        String url = config.getString(OrderApiConfig.DB_URL);
        String user = config.getString(OrderApiConfig.DB_USER);
        String password = config.getPassword(OrderApiConfig.DB_PASSWORD).value();
        OrderMigrations.migrateAll(url, user, password, schema);
        String initSql = "SET statement_timeout = " + config.getLong(OrderApiConfig.DB_STATEMENT_TIMEOUT_MS);
        this.dataSource = pool("order-api", config.getInt(OrderApiConfig.DB_POOL_SIZE), url, user, password, initSql);
        boolean lockCustomers = config.getBoolean(OrderApiConfig.LOCK_CUSTOMERS);
        boolean durableTokens = config.getString(OrderApiConfig.LOCK_FENCING).equals("postgres");
        this.fencingPool = lockCustomers && durableTokens
                ? pool(
                        "order-api-fencing",
                        config.getInt(OrderApiConfig.DB_FENCING_POOL_SIZE),
                        url,
                        user,
                        password,
                        initSql)
                : null;
        RedisURI redisUri = RedisURI.create(config.getString(OrderApiConfig.REDIS_URI));
        String redisPassword = config.getPassword(OrderApiConfig.REDIS_PASSWORD).value();
        if (!redisPassword.isEmpty()) {
            redisUri.setCredentialsProvider(
                    RedisCredentialsProvider.from(() -> RedisCredentials.just(null, redisPassword)));
        }
        this.redisClient = RedisClient.create(redisUri);
        this.redis = redisClient.connect();
        this.locks = lockCustomers ? customerLocks(config, redis, fencingPool, schema) : null;
        ResilientRateLimiter.FailurePolicy failurePolicy = config.rateLimitFailurePolicy();
        ResilientRateLimiter limiter = new ResilientRateLimiter(
                new TokenBucketLimiter(redis, "bulwark:rl:", Duration.ofMillis(200)),
                failurePolicy,
                ResilientRateLimiter.defaultBreaker("order-api-rate-limiter"),
                meters);
        ResilientRateLimiter quotas = new ResilientRateLimiter(
                new SlidingWindowLimiter(
                        redis, "bulwark:quota:", Duration.ofMillis(200), SlidingWindowLimiter.Kind.LOG),
                failurePolicy,
                ResilientRateLimiter.defaultBreaker("order-api-quota"),
                meters);
        IdempotencyStore.Settings settings = IdempotencyStore.Settings.defaults()
                .withTtl(Duration.ofMillis(config.getLong(OrderApiConfig.IDEMPOTENCY_TTL_MS)));
        Set<Integer> storedErrors = config.getList(OrderApiConfig.IDEMPOTENCY_STORED_ERROR_STATUSES).stream()
                .map(status -> Integer.parseInt(status.trim()))
                .collect(Collectors.toUnmodifiableSet());
        if (!storedErrors.isEmpty()) {
            settings =
                    settings.withStorable(status -> (status >= 200 && status < 300) || storedErrors.contains(status));
        }
        IdempotencyStore idempotency = new IdempotencyStore(dataSource, schema, redis, settings, meters);
        OrderService orders = new OrderService(
                schema,
                new OutboxWriter(EventSchemas.load(), new OutboxTable(schema)),
                locks,
                config.getLong(OrderApiConfig.CREDIT_DEFAULT_LIMIT_CENTS),
                config.getBoolean(OrderApiConfig.CUSTOMERS_AUTO_PROVISION),
                checkpoint,
                Clock.systemUTC());
        TierBulkheads bulkheads = new TierBulkheads(config.bulkheads(), meters);
        OrderAdmission admission = OrderAdmission.of(
                Duration.ofMillis(config.getLong(OrderApiConfig.ADMISSION_TARGET_MS)),
                Duration.ofMillis(config.getLong(OrderApiConfig.ADMISSION_WINDOW_MS)),
                meters);
        this.api = new OrderApi(
                config.getString(OrderApiConfig.HTTP_HOST),
                config.getInt(OrderApiConfig.HTTP_PORT),
                config.getInt(OrderApiConfig.HTTP_THREADS),
                dataSource,
                config.clients(),
                limiter,
                quotas,
                idempotency,
                orders,
                bulkheads,
                admission,
                config.getInt(OrderApiConfig.REQUEST_MAX_BYTES),
                meters,
                this::health);
        this.outcomes = config.getBoolean(OrderApiConfig.OUTCOMES_ENABLED)
                ? new OrderOutcomes(
                        config.getString(OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS),
                        config.getString(OrderApiConfig.OUTCOMES_GROUP_ID),
                        dataSource,
                        orders,
                        admission,
                        meters)
                : null;
        if (config.getBoolean(OrderApiConfig.PAYMENT_WORKER_ENABLED)) {
            this.worker = new PaymentWorker(
                    config.getString(OrderApiConfig.KAFKA_BOOTSTRAP_SERVERS),
                    config.getString(OrderApiConfig.PAYMENT_GROUP_ID),
                    new PaymentGateway(
                            config.getString(OrderApiConfig.GATEWAY_URL),
                            Duration.ofSeconds(1),
                            Duration.ofMillis(config.getLong(OrderApiConfig.PAYMENT_GATEWAY_TIMEOUT_MS))),
                    new ResilientPayments("payment-gateway", ResilientPayments.Settings.defaults(), meters),
                    config.getInt(OrderApiConfig.PAYMENT_CONCURRENCY),
                    meters,
                    PaymentWorker.DEFAULT_STALL_TIMEOUT,
                    config.paymentInstanceId());
        } else {
            this.worker = null;
        }
        this.reaper = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread thread = new Thread(r, "idempotency-reaper");
            thread.setDaemon(true);
            return thread;
        });
        long every = config.getLong(OrderApiConfig.IDEMPOTENCY_REAPER_INTERVAL_MS);
        reaper.scheduleWithFixedDelay(
                () -> {
                    try {
                        int deleted;
                        do {
                            deleted = idempotency.deleteExpired(1_000);
                        } while (deleted == 1_000);
                    } catch (Exception e) {
                        log.warn("Idempotency reaper failed; next try in {} ms: {}", every, e.toString());
                    }
                },
                every,
                every,
                TimeUnit.MILLISECONDS);
    }

    public static OrderApiApp start(OrderApiConfig config, MeterRegistry meters) {
        return start(config, meters, name -> {});
    }

    /** With a checkpoint between the writes of an order (tests inject crashes there). */
    public static OrderApiApp start(OrderApiConfig config, MeterRegistry meters, OrderService.Checkpoint checkpoint) {
        OrderApiApp app = new OrderApiApp(config, meters, checkpoint);
        log.info("order-api listening on port {}", app.port());
        return app;
    }

    public int port() {
        return api.port();
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** Whether the database, Redis and (when it runs here) the payment worker are up. */
    public Map<String, Boolean> health() {
        Map<String, Boolean> components = new LinkedHashMap<>();
        try (Connection connection = dataSource.getConnection()) {
            components.put("database", connection.isValid(1));
        } catch (SQLException e) {
            components.put("database", false);
        }
        try {
            components.put("redis", "PONG".equals(redis.async().ping().get(1, TimeUnit.SECONDS)));
        } catch (Exception e) {
            components.put("redis", false);
        }
        if (outcomes != null) {
            components.put("outcomes", outcomes.isRunning());
        }
        if (worker != null) {
            components.put("paymentWorker", worker.isRunning());
            components.put("paymentWorkerProgress", !worker.stalled());
        }
        return components;
    }

    @Override
    public void close() {
        if (worker != null) {
            worker.close();
        }
        if (outcomes != null) {
            outcomes.close();
        }
        api.close();
        reaper.shutdownNow();
        if (locks != null) {
            locks.close();
        }
        redis.close();
        redisClient.shutdown();
        dataSource.close();
        if (fencingPool != null) {
            fencingPool.close();
        }
    }

    /** The per-customer locks of {@code lock.customers}, with durable tokens from {@code fencingPool} when it is set. */
    private static RedisLocks customerLocks(
            OrderApiConfig config,
            StatefulRedisConnection<String, String> redis,
            HikariDataSource fencingPool,
            String schema) {
        RedisLockConfig lockConfig = RedisLockConfig.withTtl(
                        Duration.ofMillis(config.getLong(OrderApiConfig.LOCK_TTL_MS)))
                .waitTimeout(Duration.ofMillis(config.getLong(OrderApiConfig.LOCK_WAIT_MS)))
                .maxHold(Duration.ofMillis(config.getLong(OrderApiConfig.LOCK_MAX_HOLD_MS)));
        return fencingPool != null
                ? new RedisLocks(redis, lockConfig, new PostgresFencingTokens(fencingPool, schema))
                : new RedisLocks(redis, lockConfig);
    }

    /** A Hikari pool on the order database: 5 s to get a connection, every session with the statement timeout. */
    private static HikariDataSource pool(
            String name, int size, String url, String user, String password, String initSql) {
        HikariConfig pool = new HikariConfig();
        pool.setJdbcUrl(url);
        pool.setUsername(user);
        pool.setPassword(password);
        pool.setMaximumPoolSize(size);
        pool.setPoolName(name);
        pool.setConnectionTimeout(5_000);
        pool.setConnectionInitSql(initSql);
        return new HikariDataSource(pool);
    }
}
