package io.bulwark.connectors.relay;

import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.relay.internal.EventPublisher;
import io.bulwark.connectors.relay.internal.OutboxRow;
import io.bulwark.connectors.relay.internal.Threads;
import io.bulwark.schemas.EventSchemas;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The polling outbox relay, for databases where logical replication is not allowed. Each worker
 * repeatedly, in one database transaction: claims up to {@code batchSize} unpublished rows in
 * insertion order with {@code SELECT … FOR UPDATE SKIP LOCKED}, publishes them (identically to
 * the CDC mode) and waits for Kafka's acknowledgement, marks them published, and commits.
 *
 * <p>Several workers, in one process or many, share the table safely: a row is claimed by one
 * worker at a time, and a worker publishes a row only when every older unpublished row of the same
 * aggregate is in its own claim — so order per aggregate holds even while workers overlap. A
 * worker that dies before its commit leaves its rows unpublished for the next claim: at least once.
 */
public final class PollingOutboxRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PollingOutboxRelay.class);

    private final Settings settings;
    private final EventPublisher publisher;
    private final ExecutorService workers;
    private final String claimSql;
    private final String olderSql;
    private final String markSql;
    private final AtomicInteger runningWorkers = new AtomicInteger();
    private volatile boolean stopping;

    private PollingOutboxRelay(Settings settings, EventSchemas schemas, MeterRegistry registry) {
        this.settings = settings;
        this.publisher =
                new EventPublisher(settings.bootstrapServers(), "bulwark-outbox-poller", schemas, registry, "polling");
        String table = settings.table().qualified();
        this.claimSql = "SELECT " + OutboxRow.COLUMNS + " FROM " + table
                + " WHERE published_at IS NULL ORDER BY seq LIMIT ? FOR UPDATE SKIP LOCKED";
        // Unpublished rows of the claimed aggregates up to the newest claimed row, claimed or not.
        this.olderSql = "SELECT aggregate_type, aggregate_id, seq FROM " + table
                + " WHERE published_at IS NULL AND seq <= ? AND (aggregate_type, aggregate_id) IN"
                + " (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY seq";
        this.markSql = "UPDATE " + table + " SET published_at = now() WHERE event_id = ANY (?)";
        this.workers = Threads.daemonPool("bulwark-outbox-poller", settings.workers());
    }

    /** Starts {@code settings.workers()} workers. */
    public static PollingOutboxRelay start(Settings settings, EventSchemas schemas, MeterRegistry registry) {
        PollingOutboxRelay relay = new PollingOutboxRelay(settings, schemas, registry);
        for (int i = 0; i < settings.workers(); i++) {
            relay.workers.execute(relay::work);
        }
        return relay;
    }

    /** A relay whose workers the caller drives with {@link #publishBatch()} (tests, tools). */
    public static PollingOutboxRelay manual(Settings settings, EventSchemas schemas, MeterRegistry registry) {
        return new PollingOutboxRelay(settings, schemas, registry);
    }

    public boolean running() {
        return runningWorkers.get() > 0;
    }

    private void work() {
        runningWorkers.incrementAndGet();
        Duration backoff = settings.pollInterval();
        try {
            while (!stopping) {
                try {
                    int published = publishBatch();
                    backoff = settings.pollInterval();
                    if (published == 0) {
                        LockSupport.parkNanos(settings.pollInterval().toNanos());
                    }
                } catch (SQLException | RuntimeException e) {
                    log.warn("Outbox poller cycle failed; retrying in {} ms", backoff.toMillis(), e);
                    LockSupport.parkNanos(backoff.toNanos());
                    backoff = backoff.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0
                            ? Duration.ofSeconds(30)
                            : backoff.multipliedBy(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        } finally {
            runningWorkers.decrementAndGet();
        }
    }

    /**
     * One cycle: claim, publish, mark, commit. Returns how many rows it published (dead letters
     * included); 0 when there was nothing it could publish.
     */
    public int publishBatch() throws SQLException, InterruptedException {
        try (Connection c = settings.database().connect()) {
            c.setAutoCommit(false);
            try {
                List<OutboxRow> claimed = claim(c);
                List<OutboxRow> publishable = inOrder(c, claimed);
                if (publishable.isEmpty()) {
                    c.rollback();
                    return 0;
                }
                publisher.publishAll(
                        publishable.stream().map(OutboxRow::toRecord).toList());
                try (PreparedStatement mark = c.prepareStatement(markSql)) {
                    Array ids = c.createArrayOf(
                            "uuid", publishable.stream().map(OutboxRow::eventId).toArray());
                    mark.setArray(1, ids);
                    mark.executeUpdate();
                }
                c.commit();
                return publishable.size();
            } catch (SQLException | RuntimeException | InterruptedException e) {
                c.rollback();
                throw e;
            }
        }
    }

    private List<OutboxRow> claim(Connection c) throws SQLException {
        List<OutboxRow> rows = new ArrayList<>();
        try (PreparedStatement claim = c.prepareStatement(claimSql)) {
            claim.setInt(1, settings.batchSize());
            try (ResultSet rs = claim.executeQuery()) {
                while (rs.next()) {
                    rows.add(OutboxRow.read(rs));
                }
            }
        }
        return rows;
    }

    /** The claimed rows that may go now: per aggregate, the prefix with no foreign older row before it. */
    private List<OutboxRow> inOrder(Connection c, List<OutboxRow> claimed) throws SQLException {
        if (claimed.isEmpty()) {
            return claimed;
        }
        Map<List<String>, List<Long>> unpublished = new HashMap<>();
        Map<List<String>, Boolean> seen = new LinkedHashMap<>();
        claimed.forEach(row -> seen.put(List.of(row.aggregateType(), row.aggregateId()), true));
        try (PreparedStatement older = c.prepareStatement(olderSql)) {
            older.setLong(1, claimed.get(claimed.size() - 1).seq());
            older.setArray(
                    2,
                    c.createArrayOf(
                            "text", seen.keySet().stream().map(k -> k.get(0)).toArray()));
            older.setArray(
                    3,
                    c.createArrayOf(
                            "text", seen.keySet().stream().map(k -> k.get(1)).toArray()));
            try (ResultSet rs = older.executeQuery()) {
                while (rs.next()) {
                    unpublished
                            .computeIfAbsent(List.of(rs.getString(1), rs.getString(2)), k -> new ArrayList<>())
                            .add(rs.getLong(3));
                }
            }
        }
        Set<Long> mine = new HashSet<>();
        claimed.forEach(row -> mine.add(row.seq()));
        Map<List<String>, Set<Long>> allowed = new HashMap<>();
        unpublished.forEach((aggregate, seqs) -> {
            Set<Long> prefix = new HashSet<>();
            for (long seq : seqs) {
                if (!mine.contains(seq)) {
                    break; // an older row another worker holds: the rest of this aggregate waits
                }
                prefix.add(seq);
            }
            allowed.put(aggregate, prefix);
        });
        return claimed.stream()
                .filter(row -> allowed.getOrDefault(List.of(row.aggregateType(), row.aggregateId()), Set.of())
                        .contains(row.seq()))
                .toList();
    }

    @Override
    public void close() {
        stopping = true;
        Threads.shutdown(workers, Duration.ofSeconds(30));
        publisher.close();
    }

    /** How the polling relay runs. */
    public record Settings(
            String bootstrapServers,
            Database database,
            OutboxTable table,
            int workers,
            int batchSize,
            Duration pollInterval) {

        public Settings {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(pollInterval, "pollInterval");
            if (workers < 1 || workers > 64) {
                throw new IllegalArgumentException("workers = " + workers + " must be between 1 and 64");
            }
            if (batchSize < 1 || batchSize > 10_000) {
                throw new IllegalArgumentException("batchSize = " + batchSize + " must be between 1 and 10000");
            }
        }

        /** Defaults: 2 workers, batches of 500, polling every 100 ms when idle. */
        public static Settings of(String bootstrapServers, Database database, OutboxTable table) {
            return new Settings(bootstrapServers, database, table, 2, 500, Duration.ofMillis(100));
        }

        public Settings withWorkers(int workers) {
            return new Settings(bootstrapServers, database, table, workers, batchSize, pollInterval);
        }

        public Settings withBatchSize(int batchSize) {
            return new Settings(bootstrapServers, database, table, workers, batchSize, pollInterval);
        }
    }
}
