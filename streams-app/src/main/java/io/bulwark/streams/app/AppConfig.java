package io.bulwark.streams.app;

import io.bulwark.http.EdgeSignature;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.aggregate.inventory.InventoryAggregate;
import io.bulwark.streams.dedup.Deduplication;
import io.bulwark.streams.fulfilment.OrderFulfilmentSaga;
import io.bulwark.streams.query.CachePolicies;
import io.bulwark.streams.query.QueryApi;
import io.bulwark.streams.query.QueryAuth;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.rates.RateSettings;
import io.bulwark.streams.saga.SagaDefinition;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.config.AbstractConfig;
import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;
import org.apache.kafka.common.config.ConfigDef.ValidString;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailExceptionHandler;
import org.apache.kafka.streams.errors.LogAndFailProcessingExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

/**
 * The streams app's configuration: every key defined once, with its type, default, validator and
 * documentation (Kafka's {@link ConfigDef}). Invalid values fail with Kafka's
 * {@link ConfigException}, whose message names the key, the value and the rule.
 *
 * <p>Keys starting with {@value #KAFKA_PREFIX} are passed, without the prefix, to Kafka Streams
 * and its clients (for example {@code kafka.max.poll.records}); any other key that is not
 * defined here is an error. See {@link ConfigLoader} for the sources and their precedence.
 */
public final class AppConfig extends AbstractConfig {

    public static final String KAFKA_PREFIX = "kafka.";
    /** The stream threads' consumer session timeout unless {@code kafka.consumer.session.timeout.ms} says otherwise. */
    public static final int SESSION_TIMEOUT_MS = 10_000;

    public static final String APPLICATION_ID = "application.id";
    public static final String BOOTSTRAP_SERVERS = "bootstrap.servers";
    public static final String STATE_DIR = "state.dir";
    public static final String PROCESSING_GUARANTEE = "processing.guarantee";
    public static final String NUM_STREAM_THREADS = "num.stream.threads";
    public static final String NUM_STANDBY_REPLICAS = "num.standby.replicas";
    public static final String COMMIT_INTERVAL_MS = "commit.interval.ms";
    public static final String HTTP_HOST = "http.host";
    public static final String HTTP_PORT = "http.port";
    public static final String HTTP_ADVERTISED_HOST = "http.advertised.host";
    public static final String HTTP_THREADS = "http.threads";
    public static final String QUERY_FORWARD_TIMEOUT_MS = "query.forward.timeout.ms";
    public static final String QUERY_RETRY_TIMEOUT_MS = "query.retry.timeout.ms";
    public static final String QUERY_AUTH_KEYS = "query.auth.keys";
    public static final String QUERY_EDGE_SECRET = "query.edge.secret";
    public static final String QUERY_HOP_SECRET = "query.hop.secret";
    public static final String QUERY_CACHE_CONTROL = "query.cache.control";
    public static final String ROCKSDB_BLOCK_CACHE_BYTES = "rocksdb.block.cache.bytes";
    public static final String ROCKSDB_WRITE_BUFFER_BYTES = "rocksdb.write.buffer.bytes";
    public static final String ROCKSDB_HIGH_PRIORITY_POOL_RATIO = "rocksdb.high.priority.pool.ratio";
    public static final String ROCKSDB_MEMTABLE_BYTES = "rocksdb.memtable.bytes";
    public static final String DLQ_TOPIC = "dlq.topic";
    public static final String ERRORS_DESERIALIZATION = "errors.deserialization";
    public static final String ERRORS_PROCESSING = "errors.processing";
    public static final String UNCAUGHT_EXCEPTION_POLICY = "uncaught.exception.policy";
    public static final String SHUTDOWN_TIMEOUT_MS = "shutdown.timeout.ms";
    public static final String DEDUP_RETENTION_MS = "dedup.retention.ms";
    public static final String RATES_WINDOWS = "rates.windows";
    public static final String RATES_TUMBLING_SIZE_MS = "rates.tumbling.size.ms";
    public static final String RATES_HOPPING_SIZE_MS = "rates.hopping.size.ms";
    public static final String RATES_HOPPING_ADVANCE_MS = "rates.hopping.advance.ms";
    public static final String RATES_SLIDING_DIFFERENCE_MS = "rates.sliding.difference.ms";
    public static final String RATES_GRACE_MS = "rates.grace.ms";
    public static final String RATES_RETENTION_MS = "rates.retention.ms";
    public static final String QUOTA_WINDOW_MS = "quota.window.ms";
    public static final String QUOTA_MAX_ORDERS = "quota.max.orders";
    public static final String QUOTA_MAX_AMOUNT_CENTS = "quota.max.amount.cents";
    public static final String INVENTORY_COMMAND_RETENTION_MS = "inventory.command.retention.ms";
    public static final String SAGA_STEP_TIMEOUT_MS = "saga.step.timeout.ms";
    public static final String SAGA_MAX_ATTEMPTS = "saga.max.attempts";
    public static final String SAGA_RETRY_BACKOFF_MS = "saga.retry.backoff.ms";
    public static final String SAGA_RETENTION_MS = "saga.retention.ms";
    public static final String SAGA_PAYMENT_AFTER_STOCK = "saga.payment.after.stock";
    public static final String ORDER_STATUS_RETENTION_MS = "read.models.order.status.retention.ms";
    public static final String PROGRESS_STALL_TIMEOUT_MS = "progress.stall.timeout.ms";
    public static final String PROGRESS_STALL_LIVE_TIMEOUT_MS = "progress.stall.live.timeout.ms";
    public static final String TOPICS_CREATE = "topics.create";
    public static final String TOPICS_REPLICATION_FACTOR = "topics.replication.factor";

    private static final long MIB = 1024L * 1024L;

    public static final ConfigDef DEFINITION = new ConfigDef()
            .define(
                    BOOTSTRAP_SERVERS,
                    Type.LIST,
                    ConfigDef.NO_DEFAULT_VALUE,
                    new ConfigDef.NonEmptyString() {
                        @Override
                        public void ensureValid(String name, Object value) {
                            if (value instanceof List<?> list && list.isEmpty()) {
                                throw new ConfigException(name, value, "must list at least one host:port");
                            }
                        }

                        @Override
                        public String toString() {
                            return "non-empty list of host:port";
                        }
                    },
                    Importance.HIGH,
                    "Kafka brokers to bootstrap from, host:port separated by commas.")
            .define(
                    APPLICATION_ID,
                    Type.STRING,
                    "bulwark-streams",
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Kafka Streams application id: the consumer group, the prefix of internal topics and "
                            + "of transactional ids. Instances with the same id share the work.")
            .define(
                    STATE_DIR,
                    Type.STRING,
                    Path.of(".bulwark", "streams-state").toString(),
                    new ConfigDef.NonEmptyString(),
                    Importance.HIGH,
                    "Directory of the RocksDB state stores. Keep it across restarts for fast recovery.")
            .define(
                    PROCESSING_GUARANTEE,
                    Type.STRING,
                    StreamsConfig.EXACTLY_ONCE_V2,
                    ValidString.in(StreamsConfig.EXACTLY_ONCE_V2, StreamsConfig.AT_LEAST_ONCE),
                    Importance.HIGH,
                    "exactly_once_v2 commits state, output and input offsets in one Kafka transaction. "
                            + "at_least_once is faster but replays records after a crash.")
            .define(
                    NUM_STREAM_THREADS,
                    Type.INT,
                    1,
                    Range.between(1, 64),
                    Importance.MEDIUM,
                    "Stream threads in this instance.")
            .define(
                    NUM_STANDBY_REPLICAS,
                    Type.INT,
                    0,
                    Range.between(0, 10),
                    Importance.MEDIUM,
                    "Warm copies of each state store kept on other instances for fast fail-over.")
            .define(
                    COMMIT_INTERVAL_MS,
                    Type.LONG,
                    100L,
                    Range.between(1L, 600_000L),
                    Importance.MEDIUM,
                    "How often progress is committed; under exactly-once also the transaction length, "
                            + "hence the latency for read_committed consumers. Measured on 2 cores: 50 halves the "
                            + "order path's median latency at 40 orders/s and costs ~18% of its peak throughput "
                            + "(benchmarks/RESULTS.md).")
            .define(
                    HTTP_HOST,
                    Type.STRING,
                    "127.0.0.1",
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Address the health and metrics HTTP server binds to; 0.0.0.0 in containers.")
            .define(
                    HTTP_PORT,
                    Type.INT,
                    8080,
                    Range.between(0, 65_535),
                    Importance.MEDIUM,
                    "Port of the HTTP server (health, metrics, query API); 0 picks a free port.")
            .define(
                    HTTP_ADVERTISED_HOST,
                    Type.STRING,
                    "",
                    Importance.MEDIUM,
                    "Host other instances use to reach this one's query API (advertised as Kafka Streams' "
                            + "application.server with the HTTP port). Empty: http.host, or this machine's "
                            + "host name when http.host is a wildcard address.")
            .define(
                    HTTP_THREADS,
                    Type.INT,
                    16,
                    Range.between(2, 512),
                    Importance.LOW,
                    "Threads serving HTTP requests; a forwarded query holds one for up to query.forward.timeout.ms.")
            .define(
                    QUERY_FORWARD_TIMEOUT_MS,
                    Type.LONG,
                    1_000L,
                    Range.between(10L, 60_000L),
                    Importance.MEDIUM,
                    "Timeout of one forwarding hop to the instance that owns a key.")
            .define(
                    QUERY_RETRY_TIMEOUT_MS,
                    Type.LONG,
                    3_000L,
                    Range.between(0L, 120_000L),
                    Importance.MEDIUM,
                    "How long a query keeps retrying while no instance can answer (rebalance, restoring store, "
                            + "dead owner) before it answers 503 with Retry-After.")
            .define(
                    QUERY_AUTH_KEYS,
                    Type.PASSWORD,
                    "",
                    Importance.MEDIUM,
                    "API keys of the query API as name:secret[:scope] entries separated by commas; scope is * "
                            + "(default) or endpoint names joined by |. Callers send 'Authorization: Bearer <secret>' "
                            + "or 'X-API-Key: <secret>'. Empty: the API is open, and then http.host must be a loopback "
                            + "address (the embedded default). /metrics needs a key with scope * or metrics; health and "
                            + "/openapi.json stay open. Set it from BULWARK_STREAMS_QUERY_AUTH_KEYS or a file.")
            .define(
                    QUERY_EDGE_SECRET,
                    Type.PASSWORD,
                    "",
                    Importance.MEDIUM,
                    "Secret shared with Bulwark's edge worker (its EDGE_ORIGIN_SECRET, at least 32 characters): a "
                            + "request with a valid Bulwark-Edge-Signature is served for the token subject the edge "
                            + "verified, if its scopes include query:read, without an API key. Empty: edge identity "
                            + "headers are not trusted (API keys only). Set it from BULWARK_STREAMS_QUERY_EDGE_SECRET or a file.")
            .define(
                    QUERY_HOP_SECRET,
                    Type.PASSWORD,
                    "",
                    Importance.MEDIUM,
                    "Secret the instances sign forwarded queries (Bulwark-Hop) with, so no caller can pose as an "
                            + "instance. Empty: derived from application.id and query.auth.keys, which every instance "
                            + "shares; set it explicitly (BULWARK_STREAMS_QUERY_HOP_SECRET) when the keys are few or known.")
            .define(
                    QUERY_CACHE_CONTROL,
                    Type.LIST,
                    "default=1/5,stock-level-as-of=60/600",
                    Importance.LOW,
                    "Cache-Control of query answers as endpoint=max-age/stale-while-revalidate (seconds) "
                            + "entries; 'default' covers unnamed endpoints, '<endpoint>-as-of' the ?asOf= reads.")
            .define(
                    ROCKSDB_BLOCK_CACHE_BYTES,
                    Type.LONG,
                    64 * MIB,
                    Range.atLeast(MIB),
                    Importance.MEDIUM,
                    "Size of the one block cache all RocksDB stores of this instance share; it also "
                            + "holds index and filter blocks and the memtables, so it bounds RocksDB memory.")
            .define(
                    ROCKSDB_WRITE_BUFFER_BYTES,
                    Type.LONG,
                    32 * MIB,
                    Range.atLeast(MIB),
                    Importance.MEDIUM,
                    "Memtable memory of all stores together, counted against the block cache; must not "
                            + "exceed rocksdb.block.cache.bytes. Keep it well above (store partitions hosted) x "
                            + "64 KiB: below that every write flushes a tiny file (and fsyncs).")
            .define(
                    ROCKSDB_MEMTABLE_BYTES,
                    Type.LONG,
                    2 * MIB,
                    Range.between(64 * 1024L, 256 * MIB),
                    Importance.LOW,
                    "Memtable size of each RocksDB store (and window segment); small, because all of them share "
                            + "rocksdb.write.buffer.bytes.")
            .define(
                    ROCKSDB_HIGH_PRIORITY_POOL_RATIO,
                    Type.DOUBLE,
                    0.1,
                    Range.between(0.0, 1.0),
                    Importance.LOW,
                    "Share of the block cache reserved for index and filter blocks.")
            .define(
                    DLQ_TOPIC,
                    Type.STRING,
                    Topics.DEAD_LETTERS.name(),
                    new ConfigDef.NonEmptyString(),
                    Importance.MEDIUM,
                    "Dead-letter topic: records that cannot be read or processed go here, "
                            + "unchanged, with the error and their source topic, partition and offset in headers.")
            .define(
                    ERRORS_DESERIALIZATION,
                    Type.STRING,
                    "continue",
                    ErrorPolicy.VALIDATOR,
                    Importance.MEDIUM,
                    "On a record that cannot be deserialized: continue (dead-letter it "
                            + "and go on) or fail (stop the stream thread).")
            .define(
                    ERRORS_PROCESSING,
                    Type.STRING,
                    "continue",
                    ErrorPolicy.VALIDATOR,
                    Importance.MEDIUM,
                    "On an exception while processing a record: continue (dead-letter it "
                            + "and go on) or fail (stop the stream thread).")
            .define(
                    UNCAUGHT_EXCEPTION_POLICY,
                    Type.STRING,
                    "shutdown_client",
                    ValidString.in("replace_thread", "shutdown_client", "shutdown_application"),
                    Importance.MEDIUM,
                    "When a stream thread dies: replace_thread, shutdown_client (this instance stops and "
                            + "exits non-zero so its supervisor restarts it) or shutdown_application (all instances).")
            .define(
                    SHUTDOWN_TIMEOUT_MS,
                    Type.LONG,
                    10_000L,
                    Range.between(1_000L, 300_000L),
                    Importance.LOW,
                    "How long a graceful shutdown may take before it gives up.")
            .define(
                    DEDUP_RETENTION_MS,
                    Type.LONG,
                    Deduplication.DEFAULT_RETENTION.toMillis(),
                    Range.between(1_000L, Duration.ofDays(30).toMillis()),
                    Importance.MEDIUM,
                    "How long an event id is remembered: a copy arriving within this time of the first (event "
                            + "time) is dropped; a later copy is forwarded again. Bounds the dedup store's size: ids "
                            + "go within two retentions.")
            .define(
                    RATES_WINDOWS,
                    Type.LIST,
                    "tumbling,hopping",
                    ConfigDef.ValidList.in("tumbling", "hopping", "sliding"),
                    Importance.MEDIUM,
                    "Which rate windows are kept per customer and merchant. Sliding windows "
                            + "rewrite every window of a key within their time difference on each record: opt-in.")
            .define(
                    RATES_TUMBLING_SIZE_MS,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "Size of the tumbling rate windows.")
            .define(
                    RATES_HOPPING_SIZE_MS,
                    Type.LONG,
                    300_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "Size of the hopping rate windows.")
            .define(
                    RATES_HOPPING_ADVANCE_MS,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "Advance of the hopping rate windows; at most their size.")
            .define(
                    RATES_SLIDING_DIFFERENCE_MS,
                    Type.LONG,
                    60_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "Time difference of the sliding rate windows.")
            .define(
                    RATES_GRACE_MS,
                    Type.LONG,
                    30_000L,
                    Range.atLeast(0L),
                    Importance.LOW,
                    "How long after a window ends late records are still counted in it.")
            .define(
                    RATES_RETENTION_MS,
                    Type.LONG,
                    3_600_000L,
                    Range.atLeast(1L),
                    Importance.LOW,
                    "How long rate windows stay in their stores (queryable); at least every window's size plus grace.")
            .define(
                    QUOTA_WINDOW_MS,
                    Type.LONG,
                    600_000L,
                    Range.atLeast(1L),
                    Importance.MEDIUM,
                    "Window of the quota rule: more than quota.max.orders orders, or more than "
                            + "quota.max.amount.cents in total, per customer per window raises one QuotaBreached.")
            .define(
                    QUOTA_MAX_ORDERS,
                    Type.LONG,
                    20L,
                    Range.atLeast(0L),
                    Importance.MEDIUM,
                    "Orders per customer per quota window allowed before an alert.")
            .define(
                    QUOTA_MAX_AMOUNT_CENTS,
                    Type.LONG,
                    1_000_000L,
                    Range.atLeast(0L),
                    Importance.MEDIUM,
                    "Order total (cents) per customer per quota window allowed before an alert.")
            .define(
                    INVENTORY_COMMAND_RETENTION_MS,
                    Type.LONG,
                    Duration.ofHours(24).toMillis(),
                    Range.between(1_000L, Duration.ofDays(30).toMillis()),
                    Importance.LOW,
                    "How long an inventory command's answer is remembered: a retry with the same command id "
                            + "within this time of the first gets the first answer again instead of being applied twice. "
                            + "Answers go within two retentions.")
            .define(
                    SAGA_STEP_TIMEOUT_MS,
                    Type.LONG,
                    30_000L,
                    Range.between(100L, Duration.ofHours(24).toMillis()),
                    Importance.MEDIUM,
                    "How long a saga step waits for its participants before it re-sends, or compensates "
                            + "after saga.max.attempts. Judged on the wall clock while the saga's task keeps up "
                            + "with its input, and on its stream time (at most 5 minutes behind) while it works "
                            + "through a backlog, so replies already waiting on its input still count.")
            .define(
                    SAGA_MAX_ATTEMPTS,
                    Type.INT,
                    3,
                    Range.between(1, 100),
                    Importance.MEDIUM,
                    "Sends of a step's commands (first + retries) before the saga gives up and compensates.")
            .define(
                    SAGA_RETRY_BACKOFF_MS,
                    Type.LONG,
                    1_000L,
                    Range.between(1L, 3_600_000L),
                    Importance.LOW,
                    "First wait before re-sending after a retryable failure; doubles per attempt.")
            .define(
                    SAGA_PAYMENT_AFTER_STOCK,
                    Type.BOOLEAN,
                    false,
                    Importance.MEDIUM,
                    "false: the order saga reserves stock and authorizes the payment at once, so an order waits for "
                            + "the slower of the two instead of both in turn (the payment's round trip through Kafka, "
                            + "~0.15 s, saved); an "
                            + "order refused for stock then has its authorization voided, and a declined payment "
                            + "reserves and releases stock. true: the payment is authorized only once every line is "
                            + "reserved.")
            .define(
                    SAGA_RETENTION_MS,
                    Type.LONG,
                    Duration.ofDays(7).toMillis(),
                    Range.between(60_000L, Duration.ofDays(365).toMillis()),
                    Importance.MEDIUM,
                    "How long an ended saga stays in its store (queryable at /query/sagas/{id}) before it is deleted "
                            + "with a tombstone. At least dedup.retention.ms, so a re-delivered trigger cannot start it "
                            + "again.")
            .define(
                    ORDER_STATUS_RETENTION_MS,
                    Type.LONG,
                    Duration.ofDays(7).toMillis(),
                    Range.between(60_000L, Duration.ofDays(365).toMillis()),
                    Importance.MEDIUM,
                    "How long an order's status stays in the read model (/query/orders/{id}) after its last event "
                            + "(stream time), at least: a sweep reading the store once per retention deletes it with a "
                            + "tombstone within one more retention.")
            .define(
                    PROGRESS_STALL_TIMEOUT_MS,
                    Type.LONG,
                    30_000L,
                    Range.between(1_000L, Duration.ofHours(1).toMillis()),
                    Importance.MEDIUM,
                    "A stream thread with records waiting that commits nothing for this long is "
                            + "stalled: /health/ready goes down, bulwark_streams_stalled_threads counts it and the log "
                            + "names its tasks with its stack. Above the longest commit this machine takes under load.")
            .define(
                    PROGRESS_STALL_LIVE_TIMEOUT_MS,
                    Type.LONG,
                    300_000L,
                    Range.between(0L, Duration.ofDays(1).toMillis()),
                    Importance.MEDIUM,
                    "A stall lasting this long also takes /health/live down, so the supervisor "
                            + "restarts the instance (a blocked thread cannot be replaced from inside the JVM). "
                            + "0: never. At least progress.stall.timeout.ms.")
            .define(
                    TOPICS_CREATE,
                    Type.BOOLEAN,
                    false,
                    Importance.LOW,
                    "Create the topic registry's missing topics at start-up (convenient for docker compose "
                            + "and development; production topics are usually created by their owners).")
            .define(
                    TOPICS_REPLICATION_FACTOR,
                    Type.SHORT,
                    (short) 3,
                    Range.between(1, 32_767),
                    Importance.LOW,
                    "Replication factor of topics created by topics.create.");

    public AppConfig(Map<String, ?> values) {
        super(DEFINITION, values, false);
        try {
            rateSettings();
        } catch (IllegalArgumentException e) {
            throw new ConfigException("Invalid rate settings (" + RATES_TUMBLING_SIZE_MS + " ... " + QUOTA_WINDOW_MS
                    + "): " + e.getMessage());
        }
        try {
            queryAuth();
            cachePolicies();
            edgeSignature();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        long live = getLong(PROGRESS_STALL_LIVE_TIMEOUT_MS);
        if (live != 0 && live < getLong(PROGRESS_STALL_TIMEOUT_MS)) {
            throw new ConfigException(
                    PROGRESS_STALL_LIVE_TIMEOUT_MS,
                    live,
                    "must be 0 or at least " + PROGRESS_STALL_TIMEOUT_MS + " = " + getLong(PROGRESS_STALL_TIMEOUT_MS));
        }
        if (getPassword(QUERY_AUTH_KEYS).value().isBlank() && !loopback(getString(HTTP_HOST))) {
            throw new ConfigException(
                    QUERY_AUTH_KEYS,
                    "(empty)",
                    "must be set when " + HTTP_HOST + " = "
                            + getString(HTTP_HOST)
                            + " is not a loopback address: the query API serves sagas with full order "
                            + "payloads and customers' orders; without keys it may only listen on 127.0.0.1");
        }
        if (getLong(SAGA_RETENTION_MS) < getLong(DEDUP_RETENTION_MS)) {
            throw new ConfigException(
                    SAGA_RETENTION_MS,
                    getLong(SAGA_RETENTION_MS),
                    "must be at least " + DEDUP_RETENTION_MS + " = " + getLong(DEDUP_RETENTION_MS)
                            + ": a trigger re-delivered after its saga was deleted would start it again");
        }
        if (getLong(ROCKSDB_WRITE_BUFFER_BYTES) > getLong(ROCKSDB_BLOCK_CACHE_BYTES)) {
            throw new ConfigException(
                    ROCKSDB_WRITE_BUFFER_BYTES,
                    getLong(ROCKSDB_WRITE_BUFFER_BYTES),
                    "must not exceed " + ROCKSDB_BLOCK_CACHE_BYTES + " = " + getLong(ROCKSDB_BLOCK_CACHE_BYTES));
        }
    }

    private static boolean loopback(String host) {
        return host.equals("localhost") || host.equals("127.0.0.1") || host.equals("::1") || host.startsWith("127.");
    }

    public int httpPort() {
        return getInt(HTTP_PORT);
    }

    public String httpHost() {
        return getString(HTTP_HOST);
    }

    /** The host other instances reach this one at (see {@link #HTTP_ADVERTISED_HOST}). */
    public String advertisedHost() {
        String advertised = getString(HTTP_ADVERTISED_HOST);
        if (!advertised.isBlank()) {
            return advertised;
        }
        String host = httpHost();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                throw new ConfigException(
                        HTTP_ADVERTISED_HOST,
                        advertised,
                        "cannot find this machine's host name; set it explicitly: " + e.getMessage());
            }
        }
        return host;
    }

    public QueryAuth queryAuth() {
        return QueryAuth.parse(getPassword(QUERY_AUTH_KEYS).value(), QUERY_AUTH_KEYS);
    }

    public CachePolicies cachePolicies() {
        return CachePolicies.parse(getList(QUERY_CACHE_CONTROL), QUERY_CACHE_CONTROL);
    }

    public QueryApi.Settings querySettings() {
        return new QueryApi.Settings(
                Duration.ofMillis(getLong(QUERY_FORWARD_TIMEOUT_MS)),
                Duration.ofMillis(getLong(QUERY_RETRY_TIMEOUT_MS)),
                queryAuth(),
                cachePolicies(),
                QueryApi.hopSecret(
                        getPassword(QUERY_HOP_SECRET).value(),
                        getString(APPLICATION_ID),
                        getPassword(QUERY_AUTH_KEYS).value()),
                edgeSignature().orElse(null));
    }

    /** The verifier of the edge worker's identity headers, when {@value #QUERY_EDGE_SECRET} is set. */
    public Optional<EdgeSignature> edgeSignature() {
        String secret = getPassword(QUERY_EDGE_SECRET).value();
        if (secret.isEmpty()) {
            return Optional.empty();
        }
        if (secret.length() < EdgeSignature.MIN_SECRET_LENGTH) {
            throw new ConfigException(
                    QUERY_EDGE_SECRET,
                    "(hidden)",
                    "must be at least " + EdgeSignature.MIN_SECRET_LENGTH + " characters");
        }
        return Optional.of(new EdgeSignature(secret, Clock.systemUTC()));
    }

    public int httpThreads() {
        return getInt(HTTP_THREADS);
    }

    public Duration stallTimeout() {
        return ms(PROGRESS_STALL_TIMEOUT_MS);
    }

    public Duration stallLiveTimeout() {
        return ms(PROGRESS_STALL_LIVE_TIMEOUT_MS);
    }

    public long shutdownTimeoutMs() {
        return getLong(SHUTDOWN_TIMEOUT_MS);
    }

    public Duration dedupRetention() {
        return Duration.ofMillis(getLong(DEDUP_RETENTION_MS));
    }

    public Duration inventoryCommandRetention() {
        return Duration.ofMillis(getLong(INVENTORY_COMMAND_RETENTION_MS));
    }

    public Duration sagaRetention() {
        return Duration.ofMillis(getLong(SAGA_RETENTION_MS));
    }

    public Duration orderStatusRetention() {
        return Duration.ofMillis(getLong(ORDER_STATUS_RETENTION_MS));
    }

    public SagaDefinition orderSaga() {
        return OrderFulfilmentSaga.definition(
                Duration.ofMillis(getLong(SAGA_STEP_TIMEOUT_MS)),
                getInt(SAGA_MAX_ATTEMPTS),
                Duration.ofMillis(getLong(SAGA_RETRY_BACKOFF_MS)),
                getBoolean(SAGA_PAYMENT_AFTER_STOCK));
    }

    public RateSettings rateSettings() {
        Set<RateAccounting.WindowKind> kinds = EnumSet.noneOf(RateAccounting.WindowKind.class);
        getList(RATES_WINDOWS)
                .forEach(kind -> kinds.add(RateAccounting.WindowKind.valueOf(kind.toUpperCase(Locale.ROOT))));
        return new RateSettings(
                kinds,
                ms(RATES_TUMBLING_SIZE_MS),
                ms(RATES_HOPPING_SIZE_MS),
                ms(RATES_HOPPING_ADVANCE_MS),
                ms(RATES_SLIDING_DIFFERENCE_MS),
                ms(RATES_GRACE_MS),
                ms(RATES_RETENTION_MS),
                new RateSettings.QuotaRule(
                        "orders-per-customer",
                        ms(QUOTA_WINDOW_MS),
                        getLong(QUOTA_MAX_ORDERS),
                        getLong(QUOTA_MAX_AMOUNT_CENTS)));
    }

    private Duration ms(String key) {
        return Duration.ofMillis(getLong(key));
    }

    public boolean createTopics() {
        return getBoolean(TOPICS_CREATE);
    }

    public short topicsReplicationFactor() {
        return getShort(TOPICS_REPLICATION_FACTOR);
    }

    /** What a record that cannot be read ({@link #ERRORS_DESERIALIZATION}) or processed ({@link #ERRORS_PROCESSING}) does. */
    public enum ErrorPolicy {
        /** Dead-letter the record and go on. */
        CONTINUE,
        /** Stop the stream thread. */
        FAIL;

        static final ConfigDef.Validator VALIDATOR = ValidString.in(Arrays.stream(values())
                .map(p -> p.name().toLowerCase(Locale.ROOT))
                .toArray(String[]::new));
    }

    public ErrorPolicy errorPolicy(String key) {
        return ErrorPolicy.valueOf(getString(key).toUpperCase(Locale.ROOT));
    }

    public StreamThreadExceptionResponse uncaughtExceptionResponse() {
        return StreamThreadExceptionResponse.valueOf(
                getString(UNCAUGHT_EXCEPTION_POLICY).toUpperCase(Locale.ROOT));
    }

    /** The Kafka Streams configuration this app runs with. */
    public Properties streamsProperties() {
        Map<String, Object> props = new TreeMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, getString(APPLICATION_ID));
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", getList(BOOTSTRAP_SERVERS)));
        props.put(StreamsConfig.STATE_DIR_CONFIG, getString(STATE_DIR));
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, getString(PROCESSING_GUARANTEE));
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, getInt(NUM_STREAM_THREADS));
        props.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, getInt(NUM_STANDBY_REPLICAS));
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, getLong(COMMIT_INTERVAL_MS));
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, getString(DLQ_TOPIC));
        props.put(
                StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG,
                errorPolicy(ERRORS_DESERIALIZATION) == ErrorPolicy.FAIL
                        ? LogAndFailExceptionHandler.class
                        : LogAndContinueExceptionHandler.class);
        props.put(
                StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG,
                errorPolicy(ERRORS_PROCESSING) == ErrorPolicy.FAIL
                        ? LogAndFailProcessingExceptionHandler.class
                        : LogAndContinueProcessingExceptionHandler.class);
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        props.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedMemoryRocksDbConfig.class);
        props.put(BoundedMemoryRocksDbConfig.BLOCK_CACHE_BYTES, getLong(ROCKSDB_BLOCK_CACHE_BYTES));
        props.put(BoundedMemoryRocksDbConfig.WRITE_BUFFER_BYTES, getLong(ROCKSDB_WRITE_BUFFER_BYTES));
        props.put(BoundedMemoryRocksDbConfig.HIGH_PRIORITY_POOL_RATIO, getDouble(ROCKSDB_HIGH_PRIORITY_POOL_RATIO));
        props.put(BoundedMemoryRocksDbConfig.MEMTABLE_BYTES, getLong(ROCKSDB_MEMTABLE_BYTES));
        props.put(
                BoundedMemoryRocksDbConfig.MISS_HEAVY_STORES,
                String.join(
                        ",",
                        Deduplication.idsStore(BulwarkTopology.ORDER_DEDUP_STORE),
                        InventoryAggregate.ANSWERS_STORE));
        // A killed instance's tasks move to the survivors (and their standbys) once its session expires:
        // 10 s rather than the 45 s default bounds that outage (measured by benchmarks/chaos.sh).
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), SESSION_TIMEOUT_MS);
        // No task idling: the topology has no joins, so nothing needs records of a task's inputs in timestamp
        // order across partitions, and with idling on (0, the default) a task whose other input has lag waits
        // for it, and builds its trace messages with String.format even when trace is off (5% of the stream
        // thread in benchmarks/saga.sh). Add a join? Set kafka.max.task.idle.ms back to 0 or more.
        props.put(StreamsConfig.MAX_TASK_IDLE_MS_CONFIG, StreamsConfig.MAX_TASK_IDLE_MS_DISABLED);
        // Pass-through settings win: the operator asked for them explicitly.
        originalsWithPrefix(KAFKA_PREFIX).forEach(props::put);
        Properties properties = new Properties();
        properties.putAll(props);
        return properties;
    }
}
