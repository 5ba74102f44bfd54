package io.bulwark.connectors.relay;

import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.relay.internal.Threads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes published outbox rows older than a retention, on a schedule, in chunks so that no
 * delete holds locks for long.
 *
 * <ul>
 *   <li>Polling mode: rows whose {@code published_at} is older than the retention.</li>
 *   <li>CDC mode: rows whose {@code created_at} is older than the retention, and only while the
 *       replication slot exists. Logical decoding reads the WAL, not the table, so deleting a row
 *       never takes back its already-written insert from the stream; the slot check protects rows
 *       that no slot has seen yet (the first snapshot has not happened). Debezium's Outbox Event
 *       Router ignores the deletes.</li>
 * </ul>
 *
 * <p>The retention is how long rows stay for inspection and replay by hand; delivery never
 * depends on it.
 */
public final class OutboxPruner implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxPruner.class);
    private static final int CHUNK = 10_000;

    /** Which relay publishes the table, and so which rows count as published. */
    public enum Mode {
        CDC,
        POLLING
    }

    private final Database database;
    private final Mode mode;
    private final Duration retention;
    private final String slotName;
    private final String deleteSql;
    private final Counter pruned;
    private final ScheduledExecutorService scheduler;

    public OutboxPruner(
            Database database,
            OutboxTable table,
            Mode mode,
            Duration retention,
            String slotName,
            MeterRegistry registry) {
        this.database = Objects.requireNonNull(database, "database");
        this.mode = Objects.requireNonNull(mode, "mode");
        this.retention = Objects.requireNonNull(retention, "retention");
        if (retention.isNegative()) {
            throw new IllegalArgumentException("Outbox retention = " + retention + " must not be negative");
        }
        this.slotName = mode == Mode.CDC ? Objects.requireNonNull(slotName, "slotName (CDC mode)") : slotName;
        String published = mode == Mode.CDC ? "created_at" : "published_at";
        this.deleteSql =
                "DELETE FROM " + table.qualified() + " WHERE event_id IN (SELECT event_id FROM " + table.qualified()
                        + " WHERE " + published + " < now() - make_interval(secs => ?) LIMIT " + CHUNK + ")";
        this.pruned = Counter.builder("bulwark.outbox.pruned")
                .description("Outbox rows deleted after their retention")
                .tag("mode", mode.name().toLowerCase(Locale.ROOT))
                .register(registry);
        this.scheduler = Threads.daemonPool("bulwark-outbox-pruner", 1);
    }

    /** Prunes every {@code interval}, starting after one interval. */
    public OutboxPruner schedule(Duration interval) {
        scheduler.scheduleWithFixedDelay(
                () -> {
                    try {
                        int deleted = pruneOnce();
                        if (deleted > 0) {
                            log.info("Pruned {} outbox rows older than {}", deleted, retention);
                        }
                    } catch (SQLException | RuntimeException e) {
                        log.warn("Pruning the outbox failed; next try in {}", interval, e);
                    }
                },
                interval.toMillis(),
                interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Deletes what is due now; returns the number of rows deleted. */
    public int pruneOnce() throws SQLException {
        try (Connection c = database.connect()) {
            if (mode == Mode.CDC && !slotExists(c)) {
                log.debug("Replication slot {} does not exist yet; not pruning", slotName);
                return 0;
            }
            int total = 0;
            int deleted;
            try (PreparedStatement delete = c.prepareStatement(deleteSql)) {
                delete.setDouble(1, retention.toMillis() / 1000.0);
                do {
                    deleted = delete.executeUpdate();
                    total += deleted;
                } while (deleted == CHUNK);
            }
            pruned.increment(total);
            return total;
        }
    }

    private boolean slotExists(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, slotName);
            try (ResultSet rs = s.executeQuery()) {
                return rs.next();
            }
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
    }
}
