package io.bulwark.connectors.relay;

import io.bulwark.connectors.outbox.OutboxTable;
import io.bulwark.connectors.relay.internal.ConnectorSettings;
import io.bulwark.connectors.relay.internal.EventPublisher;
import io.bulwark.connectors.relay.internal.HandlerSideFilter;
import io.bulwark.connectors.relay.internal.Threads;
import io.bulwark.health.ProgressWatch;
import io.bulwark.schemas.EventSchemas;
import io.bulwark.schemas.Topics;
import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.connect.connector.ConnectRecord;
import org.apache.kafka.connect.header.Header;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.storage.Converter;
import org.apache.kafka.connect.storage.HeaderConverter;
import org.apache.kafka.connect.storage.KafkaOffsetBackingStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded outbox relay (CDC mode): Debezium's engine runs {@link ConnectorDefinition#outbox()}
 * — the same configuration a Kafka Connect worker runs, with the same transforms and converters —
 * and an idempotent producer publishes what it emits. A batch's source offsets are committed only
 * after Kafka acknowledged the whole batch, into {@link Topics#OUTBOX_RELAY_OFFSETS}, so a relay
 * that restarts (or crashes) resumes from its last committed position: at least once, in order per
 * aggregate (one slot, one task, one producer with idempotence).
 *
 * <p>When the engine stops on an error (Kafka down, the database restarting), the relay starts it
 * again after a backoff that doubles up to 30 s. It reports the replication slot's lag — bytes of
 * WAL between the current position and the slot's confirmed flush position — as the gauge
 * {@code bulwark.outbox.relay.slot.lag.bytes}.
 */
public final class OutboxRelay implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OutboxRelay.class);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** WAL waiting behind the slot this long with no confirmed progress counts as a stall ({@link #stalled()}). */
    public static final Duration STALL_TIMEOUT = Duration.ofSeconds(30);

    private final Properties engineProperties;
    private final Database database;
    private final String slotName;
    private final EventPublisher publisher;
    private final ScheduledExecutorService executor;
    private final AtomicLong slotLagBytes = new AtomicLong(-1);
    /** Progress = the slot's confirmed flush position moving; three heartbeat intervals without it is a stall. */
    private final ProgressWatch progress = new ProgressWatch(STALL_TIMEOUT, System::nanoTime);

    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile boolean taskRunning;
    private volatile boolean stopping;
    private volatile Duration backoff = Duration.ofSeconds(1);
    private final Converter keyConverter;
    private final Converter valueConverter;
    private final HeaderConverter headerConverter;
    private final HandlerSideFilter filter;

    private OutboxRelay(Settings settings, EventSchemas schemas, MeterRegistry registry) {
        Map<String, String> variables = new HashMap<>(settings.variables());
        variables.put("BULWARK_RELAY_DB_HOST", settings.database().host());
        variables.put(
                "BULWARK_RELAY_DB_PORT", Integer.toString(settings.database().port()));
        variables.put("BULWARK_RELAY_DB_NAME", settings.database().name());
        variables.put("BULWARK_RELAY_DB_SCHEMA", settings.table().schema());
        variables.put("BULWARK_RELAY_CAPTURE_USER", settings.database().user());
        variables.put("BULWARK_RELAY_CAPTURE_PASSWORD", settings.database().password());
        ConnectorDefinition definition = ConnectorDefinition.outbox();
        Map<String, String> config = new HashMap<>(definition.resolve(variables));
        config.putAll(settings.overrides());

        this.database = settings.database();
        this.slotName = config.get("slot.name");
        this.filter = HandlerSideFilter.of(config);
        this.engineProperties = new Properties();
        engineProperties.putAll(filter.engineConfig());
        engineProperties.setProperty("name", definition.name());
        engineProperties.setProperty("offset.storage", KafkaOffsetBackingStore.class.getName());
        engineProperties.setProperty("offset.storage.topic", settings.offsetsTopic());
        engineProperties.setProperty("offset.storage.partitions", "1");
        engineProperties.setProperty("offset.storage.replication.factor", Short.toString(settings.replicationFactor()));
        engineProperties.setProperty(
                "offset.flush.interval.ms",
                Long.toString(settings.offsetFlushInterval().toMillis()));
        engineProperties.setProperty("bootstrap.servers", settings.bootstrapServers());

        this.keyConverter = converter(config, "key.converter", true);
        this.valueConverter = converter(config, "value.converter", false);
        this.headerConverter = headerConverter(config);
        this.publisher =
                new EventPublisher(settings.bootstrapServers(), "bulwark-outbox-relay", schemas, registry, "cdc");
        this.executor = Threads.daemonPool("bulwark-outbox-relay", 2);
        Gauge.builder("bulwark.outbox.relay.slot.lag.bytes", slotLagBytes, AtomicLong::get)
                .description("WAL bytes between the current position and the replication slot's confirmed flush "
                        + "position; -1 while unknown")
                .tag("slot", slotName)
                .register(registry);
        Gauge.builder("bulwark.outbox.relay.stalled", this, relay -> relay.stalled() ? 1 : 0)
                .description("1 while WAL waits behind the slot and its confirmed position has not moved for the "
                        + "stall timeout")
                .register(registry);
        Gauge.builder("bulwark.outbox.relay.running", this, relay -> relay.running() ? 1 : 0)
                .description("1 while the capture task runs")
                .register(registry);
    }

    /** Starts capturing; returns at once (the engine runs on its own thread). */
    public static OutboxRelay start(Settings settings, EventSchemas schemas, MeterRegistry registry) {
        OutboxRelay relay = new OutboxRelay(settings, schemas, registry);
        relay.executor.execute(relay::runEngine);
        relay.executor.scheduleWithFixedDelay(relay::refreshSlotLag, 1, 5, TimeUnit.SECONDS);
        return relay;
    }

    /** The replication slot this relay reads. */
    public String slotName() {
        return slotName;
    }

    /** Whether the capture task is running (streaming or snapshotting). */
    public boolean running() {
        return taskRunning;
    }

    /** The last measured slot lag in bytes, or -1 before the first measurement. */
    public long slotLagBytes() {
        return slotLagBytes.get();
    }

    /**
     * Whether WAL has waited behind the slot with its confirmed position unmoved for longer than the
     * stall timeout (as of the last measurement, every 5 s): the capture is stuck although work waits.
     * The heartbeat action query moves the confirmed position every {@code heartbeat.interval.ms} while
     * the relay works, so a busy database with no outbox rows is not a stall.
     */
    public boolean stalled() {
        return progress.stalled();
    }

    /** Measures the slot lag now (and samples progress: the slot's confirmed flush position). */
    public long refreshSlotLag() {
        try (Connection c = database.connect();
                PreparedStatement s = c.prepareStatement("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), "
                        + "confirmed_flush_lsn)::bigint, pg_wal_lsn_diff(confirmed_flush_lsn, '0/0')::bigint "
                        + "FROM pg_replication_slots WHERE slot_name = ?")) {
            s.setString(1, slotName);
            try (ResultSet rs = s.executeQuery()) {
                if (rs.next()) {
                    slotLagBytes.set(rs.getLong(1));
                    long stallsBefore = progress.stalls();
                    progress.observe(rs.getLong(2), taskRunning && rs.getLong(1) > 0);
                    if (progress.stalls() > stallsBefore) {
                        log.warn(
                                "STALL: outbox relay on slot {} has confirmed nothing for {} s while {} WAL bytes wait",
                                slotName,
                                progress.sinceProgress().toSeconds(),
                                rs.getLong(1));
                    }
                } else {
                    slotLagBytes.set(-1);
                }
            }
        } catch (SQLException e) {
            log.debug("Cannot measure the lag of slot {}: {}", slotName, e.getMessage());
            slotLagBytes.set(-1);
        }
        return slotLagBytes.get();
    }

    private void runEngine() {
        if (stopping) {
            return;
        }
        DebeziumEngine<RecordChangeEvent<SourceRecord>> next = DebeziumEngine.create(
                        ChangeEventFormat.of(Connect.class))
                .using(engineProperties)
                .notifying(this::handleBatch)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void taskStarted() {
                        taskRunning = true;
                        backoff = Duration.ofSeconds(1);
                        log.info("Outbox relay capturing through slot {}", slotName);
                    }

                    @Override
                    public void taskStopped() {
                        taskRunning = false;
                    }
                })
                .using((success, message, error) -> {
                    taskRunning = false;
                    if (stopping) {
                        return;
                    }
                    Duration wait = backoff;
                    backoff = wait.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : wait.multipliedBy(2);
                    log.warn("Outbox relay stopped ({}); restarting in {} ms", message, wait.toMillis(), error);
                    executor.schedule(this::runEngine, wait.toMillis(), TimeUnit.MILLISECONDS);
                })
                .build();
        engine = next;
        next.run(); // blocks this executor thread until the engine stops
    }

    private void handleBatch(
            List<RecordChangeEvent<SourceRecord>> events,
            DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
            throws InterruptedException {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(events.size());
        for (RecordChangeEvent<SourceRecord> event : events) {
            if (!filter.drops(event.record())) {
                records.add(toProducerRecord(event.record()));
            }
        }
        publisher.publishAll(records); // throws unless Kafka acknowledged everything
        // Every record is marked, the dropped ones (heartbeats) too: their offsets move the slot.
        for (RecordChangeEvent<SourceRecord> event : events) {
            committer.markProcessed(event);
        }
        committer.markBatchFinished();
    }

    /** Converts a transformed source record with the connector's own converters, as a Connect worker does. */
    ProducerRecord<byte[], byte[]> toProducerRecord(ConnectRecord<?> record) {
        String topic = record.topic();
        RecordHeaders headers = new RecordHeaders();
        for (Header header : record.headers()) {
            headers.add(
                    header.key(),
                    headerConverter.fromConnectHeader(topic, header.key(), header.schema(), header.value()));
        }
        byte[] key = keyConverter.fromConnectData(topic, headers, record.keySchema(), record.key());
        byte[] value = valueConverter.fromConnectData(topic, headers, record.valueSchema(), record.value());
        return new ProducerRecord<>(topic, null, key, value, headers);
    }

    @Override
    public void close() {
        stopping = true;
        DebeziumEngine<RecordChangeEvent<SourceRecord>> current = engine;
        if (current != null) {
            try {
                current.close();
            } catch (IOException e) {
                log.warn("Closing the Debezium engine failed", e);
            }
        }
        Threads.shutdown(executor, Duration.ofSeconds(30));
        publisher.close();
        filter.close();
        taskRunning = false;
        log.info("Outbox relay stopped");
    }

    private static Converter converter(Map<String, String> config, String key, boolean isKey) {
        Converter converter = ConnectorSettings.instantiate(config, key, Converter.class);
        converter.configure(ConnectorSettings.withPrefix(config, key + "."), isKey);
        return converter;
    }

    private static HeaderConverter headerConverter(Map<String, String> config) {
        HeaderConverter converter = ConnectorSettings.instantiate(config, "header.converter", HeaderConverter.class);
        converter.configure(ConnectorSettings.withPrefix(config, "header.converter."));
        return converter;
    }

    /**
     * How to run a relay.
     *
     * @param variables values for other {@code ${env:…}} references in the connector definition
     * @param overrides connector settings that replace the definition's (tests use distinct slot and
     *     publication names on a shared database)
     */
    public record Settings(
            String bootstrapServers,
            Database database,
            OutboxTable table,
            String offsetsTopic,
            short replicationFactor,
            Duration offsetFlushInterval,
            Map<String, String> variables,
            Map<String, String> overrides) {

        public Settings {
            Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            Objects.requireNonNull(database, "database");
            Objects.requireNonNull(table, "table");
            Objects.requireNonNull(offsetsTopic, "offsetsTopic");
            Objects.requireNonNull(offsetFlushInterval, "offsetFlushInterval");
            variables = Map.copyOf(variables);
            overrides = Map.copyOf(overrides);
        }

        /** Defaults: the registry's offsets topic, replication 1, offsets flushed every second. */
        public static Settings of(String bootstrapServers, Database database, OutboxTable table) {
            return new Settings(
                    bootstrapServers,
                    database,
                    table,
                    Topics.OUTBOX_RELAY_OFFSETS.name(),
                    (short) 1,
                    Duration.ofSeconds(1),
                    Map.of(),
                    Map.of());
        }

        public Settings withOverrides(Map<String, String> overrides) {
            return new Settings(
                    bootstrapServers,
                    database,
                    table,
                    offsetsTopic,
                    replicationFactor,
                    offsetFlushInterval,
                    variables,
                    overrides);
        }

        public Settings withOffsetsTopic(String offsetsTopic) {
            return new Settings(
                    bootstrapServers,
                    database,
                    table,
                    offsetsTopic,
                    replicationFactor,
                    offsetFlushInterval,
                    variables,
                    overrides);
        }
    }
}
