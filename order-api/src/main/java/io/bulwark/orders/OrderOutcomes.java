package io.bulwark.orders;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Topics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import javax.sql.DataSource;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads the order-fulfilment saga's outcomes ({@code bulwark.order.outcomes}, committed records only)
 * and settles each order in PostgreSQL with {@link OrderService#settle}: the orders table,
 * {@code GET /orders/{id}} and the customer's credit follow the saga.
 *
 * <p><b>Effectively once.</b> A poll's outcomes are applied in one database transaction, then the
 * offsets are committed. A crash between the two re-applies them, which changes nothing: an order
 * moves only out of {@code PLACED} / {@code CANCEL_REQUESTED}, so its credit is given back at most once.
 * When the database fails, the consumer goes back to the last committed offsets and tries again after
 * a pause; nothing is skipped. A record that is not a readable outcome (it can only come from a bug or
 * a foreign producer) is logged and counted ({@code bulwark.orders.outcomes{result=unreadable}}) —
 * the streams app's dead-letter topic holds the saga's own failures. How long each settled order was open
 * goes to {@link OrderAdmission}, once its transaction committed.
 */
public final class OrderOutcomes implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OrderOutcomes.class);
    private static final Duration RETRY_PAUSE = Duration.ofSeconds(1);

    private final KafkaConsumer<String, byte[]> consumer;
    private final DataSource dataSource;
    private final OrderService orders;
    private final Deserializer<EventEnvelope> outcomes =
            Topics.ORDER_OUTCOMES.valueSerde().deserializer();
    private final MeterRegistry meters;
    private final OrderAdmission admission;
    private final Thread thread;
    private volatile boolean running = true;

    public OrderOutcomes(
            String bootstrapServers,
            String groupId,
            DataSource dataSource,
            OrderService orders,
            OrderAdmission admission,
            MeterRegistry meters) {
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        this.consumer = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
        this.dataSource = dataSource;
        this.orders = orders;
        this.meters = meters;
        this.admission = admission;
        consumer.subscribe(List.of(Topics.ORDER_OUTCOMES.name()));
        this.thread = new Thread(this::run, "order-outcomes");
        thread.setDaemon(true);
        thread.start();
    }

    /** The order status an outcome event sets, or null when the event is not an outcome. */
    static String statusOf(EventEnvelope outcome) {
        String type = outcome.type();
        if (type.equals(EventTypes.ORDER_CONFIRMED.name())) {
            return "CONFIRMED";
        }
        if (type.equals(EventTypes.ORDER_CANCELLED.name())) {
            return "CANCELLED";
        }
        if (type.equals(EventTypes.ORDER_REJECTED.name())) {
            // A saga that could not undo a step needs a person: its credit stays charged until then.
            return "FAILED_NEEDS_ATTENTION"
                            .equals(outcome.payload().path("sagaStatus").asText())
                    ? "NEEDS_ATTENTION"
                    : "REJECTED";
        }
        return null;
    }

    public boolean isRunning() {
        return running && thread.isAlive();
    }

    private void run() {
        try {
            while (running) {
                ConsumerRecords<String, byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                try {
                    apply(records);
                    consumer.commitSync();
                } catch (SQLException e) {
                    log.warn(
                            "Could not settle {} outcome(s); retrying from the committed offsets in {} ms: {}",
                            records.count(),
                            RETRY_PAUSE.toMillis(),
                            e.toString());
                    rewind(records);
                    Thread.sleep(RETRY_PAUSE.toMillis());
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("The outcome consumer stopped; orders will not settle until order-api restarts", e);
        } finally {
            running = false;
            consumer.close(Duration.ofSeconds(5));
        }
    }

    private void apply(ConsumerRecords<String, byte[]> records) throws SQLException {
        Map<String, Integer> results = new HashMap<>();
        List<Long> openTimes = new ArrayList<>();
        try (Connection tx = dataSource.getConnection()) {
            tx.setAutoCommit(false);
            try {
                for (ConsumerRecord<String, byte[]> record : records) {
                    results.merge(applyOne(tx, record, openTimes), 1, Integer::sum);
                }
                tx.commit();
            } catch (SQLException | RuntimeException e) {
                tx.rollback();
                throw e;
            }
        }
        openTimes.forEach(admission::settled);
        results.forEach((result, n) -> Counter.builder("bulwark.orders.outcomes")
                .tag("result", result)
                .description("Saga outcomes read by order-api, by what they did")
                .register(meters)
                .increment(n));
    }

    /** Settles one outcome; adds how long its order was open to {@code openTimes} when the order moved. */
    private String applyOne(Connection tx, ConsumerRecord<String, byte[]> record, List<Long> openTimes)
            throws SQLException {
        EventEnvelope outcome;
        try {
            outcome = outcomes.deserialize(record.topic(), record.headers(), record.value());
        } catch (RuntimeException e) {
            log.error(
                    "Unreadable outcome at {}-{}@{} skipped: {}",
                    record.topic(),
                    record.partition(),
                    record.offset(),
                    e.getMessage());
            return "unreadable";
        }
        String status = outcome == null ? null : statusOf(outcome);
        if (status == null) {
            return "ignored";
        }
        String reason = outcome.payload().path("reason").asText(null);
        OptionalLong openMs = orders.settle(tx, outcome.aggregateId(), status, outcome.eventId(), reason);
        if (openMs.isEmpty()) {
            return "unchanged";
        }
        openTimes.add(openMs.getAsLong());
        return status.toLowerCase(Locale.ROOT);
    }

    /** Back to the last committed offsets (or the start of this batch) of every partition in it. */
    private void rewind(ConsumerRecords<String, byte[]> records) {
        for (TopicPartition partition : records.partitions()) {
            long first = records.records(partition).get(0).offset();
            consumer.seek(partition, new OffsetAndMetadata(first));
        }
    }

    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
