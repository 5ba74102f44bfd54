package io.bulwark.orders;

import io.bulwark.guard.ratelimit.ResilientRateLimiter;
import io.bulwark.http.EdgeSignature;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigException;

/**
 * order-api's settings (Kafka's {@code ConfigDef}, like the streams app): from {@code BULWARK_ORDERS_*}
 * environment variables ({@code db.url} → {@code BULWARK_ORDERS_DB_URL}) and {@code --set key=value}
 * flags, flags winning. Unknown keys and bad values fail at start-up naming the key; secrets
 * ({@code db.password}, {@code api.clients}) are never printed.
 */
public final class OrderApiConfig extends AbstractConfig {

    public static final String ENV_PREFIX = "BULWARK_ORDERS_";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_THREADS = "http.threads";
    public static final String DB_URL = "db.url";
    public static final String DB_USER = "db.user";
    public static final String DB_PASSWORD = "db.password";
    public static final String DB_SCHEMA = "db.schema";
    public static final String DB_POOL_SIZE = "db.pool.size";
    public static final String REDIS_URI = "redis.uri";
    public static final String REDIS_PASSWORD = "redis.password";
    public static final String API_CLIENTS = "api.clients";
    public static final String EDGE_SECRET = "edge.secret";
    public static final String REQUEST_MAX_BYTES = "request.max.bytes";
    public static final String IDEMPOTENCY_TTL_MS = "idempotency.ttl.ms";
    public static final String IDEMPOTENCY_STORED_ERROR_STATUSES = "idempotency.stored.error.statuses";
    public static final String IDEMPOTENCY_REAPER_INTERVAL_MS = "idempotency.reaper.interval.ms";
    public static final String CREDIT_DEFAULT_LIMIT_CENTS = "credit.default.limit.cents";
    public static final String CUSTOMERS_AUTO_PROVISION = "customers.auto.provision";
    public static final String OUTCOMES_ENABLED = "outcomes.enabled";
    public static final String OUTCOMES_GROUP_ID = "outcomes.group.id";
    public static final String LOCK_CUSTOMERS = "lock.customers";
    public static final String LOCK_TTL_MS = "lock.ttl.ms";
    public static final String LOCK_WAIT_MS = "lock.wait.ms";
    public static final String LOCK_MAX_HOLD_MS = "lock.max.hold.ms";
    public static final String LOCK_FENCING = "lock.fencing";
    public static final String DB_STATEMENT_TIMEOUT_MS = "db.statement.timeout.ms";
    public static final String DB_FENCING_POOL_SIZE = "db.fencing.pool.size";
    public static final String RATE_LIMIT_FAILURE_POLICY = "ratelimit.failure.policy";
    public static final String BULKHEAD_CRITICAL = "bulkhead.critical";
    public static final String BULKHEAD_STANDARD = "bulkhead.standard";
    public static final String BULKHEAD_OPTIONAL = "bulkhead.optional";
    public static final String ADMISSION_TARGET_MS = "admission.target.ms";
    public static final String ADMISSION_WINDOW_MS = "admission.window.ms";
    public static final String KAFKA_BOOTSTRAP_SERVERS = "kafka.bootstrap.servers";
    public static final String GATEWAY_URL = "gateway.url";
    public static final String PAYMENT_WORKER_ENABLED = "payment.worker.enabled";
    public static final String PAYMENT_CONCURRENCY = "payment.concurrency";
    public static final String PAYMENT_GROUP_ID = "payment.group.id";
    public static final String PAYMENT_INSTANCE_ID = "payment.instance.id";
    public static final String PAYMENT_GATEWAY_TIMEOUT_MS = "payment.gateway.timeout.ms";

    /** A bulkhead setting must parse as {@link TierBulkheads.Limits}: refused by the definition, naming the key. */
    private static final ConfigDef.Validator BULKHEAD_LIMITS = (key, value) -> {
        try {
            TierBulkheads.Limits.parse(key, (String) value);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key, value, e.getMessage());
        }
    };

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(HTTP_HOST, Type.STRING, "127.0.0.1", Importance.MEDIUM, "Address the API binds to.")
            .define(HTTP_PORT, Type.INT, 8081, Range.between(0, 65_535), Importance.MEDIUM, "Port; 0 picks a free one.")
            .define(HTTP_THREADS, Type.INT, 64, Range.between(2, 1024), Importance.LOW, "Threads serving requests.")
            .define(DB_URL, Type.STRING, ConfigDef.NO_DEFAULT_VALUE, Importance.HIGH, "JDBC URL of PostgreSQL.")
            .define(DB_USER, Type.STRING, "postgres", Importance.HIGH, "Database user.")
            .define(DB_PASSWORD, Type.PASSWORD, "", Importance.HIGH, "Database password.")
            .define(
                    DB_SCHEMA,
                    Type.STRING,
                    "bulwark",
                    Importance.MEDIUM,
                    "Schema of the orders, the outbox and the idempotency records (one transaction spans them).")
            .define(DB_POOL_SIZE, Type.INT, 16, Range.between(1, 512), Importance.LOW, "HikariCP pool size.")
            .define(
                    REDIS_URI,
                    Type.STRING,
                    "redis://127.0.0.1:6379",
                    Importance.HIGH,
                    "Redis for rate limits, locks and the idempotency fast path.")
            .define(
                    REDIS_PASSWORD,
                    Type.PASSWORD,
                    "",
                    Importance.HIGH,
                    "Redis password (requirepass), kept out of redis.uri so it is never logged. Empty: none.")
            .define(
                    API_CLIENTS,
                    Type.PASSWORD,
                    ConfigDef.NO_DEFAULT_VALUE,
                    Importance.HIGH,
                    "The API's clients as clientId:secret:tier entries separated by commas (tiers: free, pro, internal).")
            .define(
                    EDGE_SECRET,
                    Type.PASSWORD,
                    "",
                    Importance.MEDIUM,
                    "Secret shared with Bulwark's edge worker (its EDGE_ORIGIN_SECRET, at least 32 characters): a request "
                            + "with a valid Bulwark-Edge-Signature is served as the API client its token names (client_id), "
                            + "which must be one of api.clients, within the token's scopes. Empty: API keys only.")
            .define(
                    REQUEST_MAX_BYTES,
                    Type.INT,
                    16 * 1024,
                    Range.between(256, 16 * 1024 * 1024),
                    Importance.LOW,
                    "Largest request body accepted (413 above).")
            .define(
                    IDEMPOTENCY_TTL_MS,
                    Type.LONG,
                    24L * 3600 * 1000,
                    Range.atLeast(1_000L),
                    Importance.MEDIUM,
                    "How long an idempotency key's stored response is replayed.")
            .define(
                    IDEMPOTENCY_STORED_ERROR_STATUSES,
                    Type.LIST,
                    "",
                    new ConfigDef.Validator() {
                        @Override
                        public void ensureValid(String name, Object value) {
                            for (Object status : (List<?>) value) {
                                try {
                                    int code =
                                            Integer.parseInt(status.toString().trim());
                                    if (code < 400 || code > 599) {
                                        throw new ConfigException(
                                                name, value, "'" + status + "' is not a 4xx or 5xx status");
                                    }
                                } catch (NumberFormatException e) {
                                    throw new ConfigException(name, value, "'" + status + "' is not an HTTP status");
                                }
                            }
                        }

                        @Override
                        public String toString() {
                            return "4xx/5xx statuses separated by commas";
                        }
                    },
                    Importance.LOW,
                    "Error statuses whose answers are stored and replayed for an idempotency key, for final business "
                            + "answers (e.g. 422). Default: none — only 2xx is stored, so a client that fixes the cause "
                            + "and retries with the same key is executed again.")
            .define(
                    IDEMPOTENCY_REAPER_INTERVAL_MS,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(100L),
                    Importance.LOW,
                    "How often expired idempotency records are deleted.")
            .define(
                    CUSTOMERS_AUTO_PROVISION,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Give a client's unknown customer a credit line of credit.default.limit.cents on its first order. "
                            + "Off (the default): such an order is 422 unknown-customer until the client provisions the "
                            + "customer with PUT /customers/{id}, so random ids cannot grow state.")
            .define(
                    CREDIT_DEFAULT_LIMIT_CENTS,
                    Type.LONG,
                    100_000L,
                    Range.atLeast(0L),
                    Importance.MEDIUM,
                    "Credit limit of a customer provisioned by customers.auto.provision.")
            .define(
                    OUTCOMES_ENABLED,
                    Type.BOOLEAN,
                    true,
                    Importance.MEDIUM,
                    "Read the saga's outcomes (bulwark.order.outcomes) to settle orders and give back the credit of "
                            + "rejected and cancelled ones. Needs kafka.bootstrap.servers; turn off only for an "
                            + "order-api without Kafka (orders then stay PLACED).")
            .define(
                    OUTCOMES_GROUP_ID,
                    Type.STRING,
                    "bulwark-order-api-outcomes",
                    Importance.LOW,
                    "Consumer group of the outcome reader.")
            .define(
                    LOCK_CUSTOMERS,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Also take a per-customer Redis lock, with a fencing token stored on the credit row, around the "
                            + "credit charge. Off by default: the charge is one conditional UPDATE that PostgreSQL's "
                            + "row lock already orders, so the lock adds no safety there; it costs three Redis round "
                            + "trips per order, and with lock.fencing=postgres a commit on its own connection. The "
                            + "lock.* settings below apply only when it is on.")
            .define(
                    LOCK_TTL_MS,
                    Type.LONG,
                    5_000L,
                    Range.between(100L, 600_000L),
                    Importance.LOW,
                    "Lease of the per-customer lock (renewed by a watchdog while held).")
            .define(
                    LOCK_WAIT_MS,
                    Type.LONG,
                    2_000L,
                    Range.between(0L, 60_000L),
                    Importance.LOW,
                    "How long a request waits for a customer's lock before answering 503.")
            .define(
                    LOCK_MAX_HOLD_MS,
                    Type.LONG,
                    30_000L,
                    Range.between(100L, 3_600_000L),
                    Importance.LOW,
                    "The longest the watchdog keeps a customer's lock; past it the lease ends at its TTL (the "
                            + "fencing token on the credit row then refuses the stuck holder's write).")
            .define(
                    LOCK_FENCING,
                    Type.STRING,
                    "postgres",
                    ConfigDef.ValidString.in("postgres", "redis"),
                    Importance.MEDIUM,
                    "Where fencing tokens come from: postgres (durable: a Redis restart or "
                            + "FLUSHALL cannot hand out a token again) or redis (one round trip fewer; after losing "
                            + "Redis data every customer answers 503 lock-lost until its counter passes the stored one).")
            .define(
                    DB_FENCING_POOL_SIZE,
                    Type.INT,
                    4,
                    Range.between(1, 64),
                    Importance.LOW,
                    "Connections for durable fencing tokens (lock.customers with lock.fencing=postgres), apart "
                            + "from db.pool.size: a request that holds its transaction's connection takes its token from here, so the main "
                            + "pool can never be exhausted by requests each waiting for a second connection.")
            .define(
                    DB_STATEMENT_TIMEOUT_MS,
                    Type.LONG,
                    5_000L,
                    Range.between(100L, 600_000L),
                    Importance.LOW,
                    "PostgreSQL statement_timeout of order-api's connections: no statement (and so no customer "
                            + "lock waiting on it) runs longer.")
            .define(
                    RATE_LIMIT_FAILURE_POLICY,
                    Type.STRING,
                    "fail_open",
                    ConfigDef.ValidString.in(Arrays.stream(ResilientRateLimiter.FailurePolicy.values())
                            .map(p -> p.name().toLowerCase(Locale.ROOT))
                            .toArray(String[]::new)),
                    Importance.MEDIUM,
                    "What the rate limiter answers while Redis is unreachable.")
            .define(
                    BULKHEAD_CRITICAL,
                    Type.STRING,
                    "32/16/500",
                    BULKHEAD_LIMITS,
                    Importance.LOW,
                    "Bulkhead of placing orders: <concurrency>/<queue depth>/<max wait ms>[/reject|wait|shed]. "
                            + "Permits plus queue slots of all tiers must fit http.threads minus 2 (health, metrics).")
            .define(
                    BULKHEAD_STANDARD,
                    Type.STRING,
                    "4/4/100",
                    BULKHEAD_LIMITS,
                    Importance.LOW,
                    "Bulkhead of cancellations and customer provisioning (same format).")
            .define(
                    BULKHEAD_OPTIONAL,
                    Type.STRING,
                    "2/0/0/shed",
                    BULKHEAD_LIMITS,
                    Importance.LOW,
                    "Bulkhead of reads (same format; shed: refused at once, and while another tier has requests "
                            + "queued).")
            .define(
                    ADMISSION_TARGET_MS,
                    Type.LONG,
                    1_000L,
                    Range.between(0L, 600_000L),
                    Importance.MEDIUM,
                    "Admission control of new orders: when every order settled during admission.window.ms was open "
                            + "longer than this, the order path holds a backlog that is not draining, and the share "
                            + "of new orders admitted is cut to what drains it (the share the path completed times "
                            + "this / the quickest wait; at least halved, at most once per window, down to 5%); the "
                            + "rest are refused 503 overloaded with Retry-After before anything is written. Without "
                            + "a backlog the share grows again, the faster the further within this orders settle. "
                            + "Above the path's quickest time when idle (~0.3 s on the dev-stack), below "
                            + "saga.step.timeout.ms. 0 admits every order. "
                            + "Measured by the outcome reader (outcomes.enabled).")
            .define(
                    ADMISSION_WINDOW_MS,
                    Type.LONG,
                    5_000L,
                    Range.between(100L, 600_000L),
                    Importance.LOW,
                    "How long every settled order must have waited longer than admission.target.ms before new "
                            + "orders are refused: longer than the stalls the path recovers from by itself.")
            .define(
                    PAYMENT_WORKER_ENABLED,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "Run the payment worker in this process (needs kafka.bootstrap.servers and gateway.url).")
            .define(
                    KAFKA_BOOTSTRAP_SERVERS,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Kafka brokers of the outcome reader and the payment worker.")
            .define(GATEWAY_URL, Type.STRING, "", Importance.MEDIUM, "Base URL of the payment gateway.")
            .define(
                    PAYMENT_CONCURRENCY,
                    Type.INT,
                    32,
                    Range.between(1, 1024),
                    Importance.LOW,
                    "Gateway calls the worker makes at once (the critical bulkhead bounds them too).")
            .define(
                    PAYMENT_GROUP_ID,
                    Type.STRING,
                    "bulwark-payment-worker",
                    Importance.LOW,
                    "Consumer group of the payment worker.")
            .define(
                    PAYMENT_INSTANCE_ID,
                    Type.STRING,
                    "",
                    Importance.LOW,
                    "This process's stable name in the payment worker's group (default: <host name>-<http.port>; "
                            + "random each start with http.port=0): a worker restarted under the same name aborts the transaction its killed predecessor left "
                            + "open and takes back its partitions at once. Unique per live process; in Kubernetes, the "
                            + "pod name of a StatefulSet.")
            .define(
                    PAYMENT_GATEWAY_TIMEOUT_MS,
                    Type.LONG,
                    3_000L,
                    Range.between(100L, 120_000L),
                    Importance.LOW,
                    "How long one gateway call may take before the worker treats it as failed (and retries it with "
                            + "the same idempotency key).");

    /**
     * {@value #PAYMENT_INSTANCE_ID}, or {@code <host name>-<http.port>} when it is not set; null (a random
     * name each start) when neither is fixed: two processes on {@code http.port=0} must not share a name.
     */
    public String paymentInstanceId() {
        String configured = getString(PAYMENT_INSTANCE_ID).trim();
        if (!configured.isEmpty()) {
            return configured;
        }
        if (getInt(HTTP_PORT) == 0) {
            return null;
        }
        String host = System.getenv("HOSTNAME");
        if (host == null || host.isBlank()) {
            try {
                host = InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                host = "localhost";
            }
        }
        return host + "-" + getInt(HTTP_PORT);
    }

    public OrderApiConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
        for (String key : values.keySet()) {
            if (!DEFINITION.names().contains(key)) {
                throw new ConfigException(key, "(hidden)", "unknown order-api setting; known: " + DEFINITION.names());
            }
        }
        if (getBoolean(PAYMENT_WORKER_ENABLED)
                && (getString(KAFKA_BOOTSTRAP_SERVERS).isBlank()
                        || getString(GATEWAY_URL).isBlank())) {
            throw new ConfigException(
                    PAYMENT_WORKER_ENABLED,
                    true,
                    "the payment worker needs " + KAFKA_BOOTSTRAP_SERVERS + " and " + GATEWAY_URL);
        }
        if (getBoolean(OUTCOMES_ENABLED) && getString(KAFKA_BOOTSTRAP_SERVERS).isBlank()) {
            throw new ConfigException(
                    OUTCOMES_ENABLED,
                    true,
                    "reading the saga's outcomes needs " + KAFKA_BOOTSTRAP_SERVERS + " (or set " + OUTCOMES_ENABLED
                            + "=false: orders then stay PLACED)");
        }
        try {
            clients();
            int needed = TierBulkheads.threadsNeeded(bulkheads());
            if (needed > getInt(HTTP_THREADS) - 2) {
                throw new ConfigException(BULKHEAD_CRITICAL + ", " + BULKHEAD_STANDARD + ", " + BULKHEAD_OPTIONAL
                        + ": their permits and queue slots (" + needed + ") can hold more HTTP threads than "
                        + HTTP_THREADS + " = " + getInt(HTTP_THREADS) + " leaves (2 are kept for /health and /metrics);"
                        + " a bulkhead that does not fit its thread pool limits nothing");
            }
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Environment ({@code BULWARK_ORDERS_*}) under flags. */
    public static OrderApiConfig load(Map<String, String> environment, Map<String, String> flags) {
        Map<String, String> values = new HashMap<>();
        environment.forEach((name, value) -> {
            if (name.startsWith(ENV_PREFIX)) {
                values.put(
                        name.substring(ENV_PREFIX.length())
                                .toLowerCase(Locale.ROOT)
                                .replace('_', '.'),
                        value);
            }
        });
        values.putAll(flags);
        return new OrderApiConfig(values);
    }

    public ApiClients clients() {
        ApiClients clients = ApiClients.parse(getPassword(API_CLIENTS).value(), API_CLIENTS);
        String edgeSecret = getPassword(EDGE_SECRET).value();
        if (edgeSecret.isEmpty()) {
            return clients;
        }
        if (edgeSecret.length() < EdgeSignature.MIN_SECRET_LENGTH) {
            throw new ConfigException(
                    EDGE_SECRET, "(hidden)", "must be at least " + EdgeSignature.MIN_SECRET_LENGTH + " characters");
        }
        return clients.trustingEdge(new EdgeSignature(edgeSecret, Clock.systemUTC()));
    }

    /** What the rate limiter answers while Redis is unreachable. */
    public ResilientRateLimiter.FailurePolicy rateLimitFailurePolicy() {
        return ResilientRateLimiter.FailurePolicy.valueOf(
                getString(RATE_LIMIT_FAILURE_POLICY).toUpperCase(Locale.ROOT));
    }

    /** The bulkhead of every request tier. */
    Map<OrderApi.Tier, TierBulkheads.Limits> bulkheads() {
        Map<OrderApi.Tier, TierBulkheads.Limits> limits = new EnumMap<>(OrderApi.Tier.class);
        for (OrderApi.Tier tier : OrderApi.Tier.values()) {
            String key = "bulkhead." + tier.name().toLowerCase(Locale.ROOT);
            limits.put(tier, TierBulkheads.Limits.parse(key, getString(key)));
        }
        return limits;
    }
}
