package io.bulwark.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The topic registry: every topic Bulwark reads or writes, declared once.
 *
 * <p>Event topics are named {@code bulwark.<aggregateType>.events}, which is where the Debezium
 * Outbox Event Router routes an outbox row by its aggregate type. Keys are aggregate ids, so all
 * events of one aggregate share a partition and keep their order.
 *
 * <p>The value serde of every envelope topic is the topic form that validates what it reads against
 * {@link EventSchemas#standard()}: a reader through the registry never sees an event that breaks its
 * schema (Kafka Streams dead-letters it; a consumer gets a {@code SerializationException}).
 */
public final class Topics {

    /** Partitions of the domain topics: the most streams-app instances that can share the work. */
    public static final int DOMAIN_PARTITIONS = 6;

    private static final Duration WEEK = Duration.ofDays(7);

    /** The topic form of envelopes, validating on read. */
    private static final EventEnvelopeSerde ENVELOPES = EventEnvelopeSerde.inHeaders(EventSchemas.standard());

    public static final TopicSpec<String, EventEnvelope> ORDER_EVENTS = events("order");
    public static final TopicSpec<String, EventEnvelope> INVENTORY_EVENTS = events("inventory");
    public static final TopicSpec<String, EventEnvelope> PAYMENT_EVENTS = events("payment");

    /**
     * Order events after deduplication: each event id once (within the dedup retention), in the
     * order first seen. Written by the streams app under exactly-once.
     */
    public static final TopicSpec<String, EventEnvelope> ORDER_EVENTS_UNIQUE = new TopicSpec<>(
            "bulwark.order.events.unique",
            Serdes.String(),
            ENVELOPES,
            DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.of(WEEK));

    /** {@code QuotaBreached} events: one per breached quota window, keyed by the limited key (customer id). */
    public static final TopicSpec<String, EventEnvelope> RATE_ALERTS = new TopicSpec<>(
            "bulwark.rate.alerts",
            Serdes.String(),
            ENVELOPES,
            DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.of(WEEK));

    /**
     * Commands to inventory items (restock, reserve, release, commit), keyed by SKU. The value is the
     * command as JSON; the streams app answers on {@link #INVENTORY_EVENTS}.
     */
    public static final TopicSpec<String, byte[]> INVENTORY_COMMANDS = new TopicSpec<>(
            "bulwark.inventory.commands",
            Serdes.String(),
            Serdes.ByteArray(),
            DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.of(WEEK));

    /**
     * The order-fulfilment saga's outcomes ({@code OrderConfirmed}, {@code OrderRejected}, {@code OrderCancelled}),
     * keyed by order id: exactly one per order. order-api reads them to settle the order row and its credit.
     */
    public static final TopicSpec<String, EventEnvelope> ORDER_OUTCOMES = new TopicSpec<>(
            "bulwark.order.outcomes",
            Serdes.String(),
            ENVELOPES,
            DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.of(WEEK));

    /** Commands from the order saga to the payment worker, keyed by order id. */
    public static final TopicSpec<String, EventEnvelope> PAYMENT_COMMANDS = new TopicSpec<>(
            "bulwark.payment.commands",
            Serdes.String(),
            ENVELOPES,
            DOMAIN_PARTITIONS,
            CleanupPolicy.DELETE,
            Optional.of(WEEK));

    /**
     * Records that could not be read or processed, byte for byte as they arrived, with the error,
     * source topic, partition and offset in headers (Kafka Streams' dead-letter queue support).
     */
    public static final TopicSpec<byte[], byte[]> DEAD_LETTERS = new TopicSpec<>(
            "bulwark.dead-letters",
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            1,
            CleanupPolicy.DELETE,
            Optional.of(Duration.ofDays(30)));

    /**
     * Source offsets of the embedded outbox relay (Debezium engine), so a restarted relay resumes
     * where it was. Kafka Connect's offset store format; compacted.
     */
    public static final TopicSpec<byte[], byte[]> OUTBOX_RELAY_OFFSETS = new TopicSpec<>(
            "bulwark.outbox-relay.offsets",
            Serdes.ByteArray(),
            Serdes.ByteArray(),
            1,
            CleanupPolicy.COMPACT,
            Optional.empty());

    private static final List<TopicSpec<?, ?>> ALL = List.of(
            ORDER_EVENTS,
            INVENTORY_EVENTS,
            PAYMENT_EVENTS,
            ORDER_EVENTS_UNIQUE,
            RATE_ALERTS,
            INVENTORY_COMMANDS,
            ORDER_OUTCOMES,
            PAYMENT_COMMANDS,
            DEAD_LETTERS,
            OUTBOX_RELAY_OFFSETS);

    private Topics() {}

    /** The topic the outbox routes events of {@code aggregateType} to, if the registry declares it. */
    public static Optional<TopicSpec<String, EventEnvelope>> eventsOf(String aggregateType) {
        String name = eventTopicName(aggregateType);
        return ALL.stream().filter(spec -> spec.name().equals(name)).findFirst().map(Topics::asEventTopic);
    }

    /** {@code bulwark.<aggregateType>.events}: the outbox's routing rule. */
    public static String eventTopicName(String aggregateType) {
        return "bulwark." + aggregateType + ".events";
    }

    @SuppressWarnings("unchecked")
    private static TopicSpec<String, EventEnvelope> asEventTopic(TopicSpec<?, ?> spec) {
        return (TopicSpec<String, EventEnvelope>) spec;
    }

    /** Every declared topic, for creating them at start-up and for consistency checks. */
    public static List<TopicSpec<?, ?>> all() {
        return ALL;
    }

    private static TopicSpec<String, EventEnvelope> events(String aggregateType) {
        return new TopicSpec<>(
                eventTopicName(aggregateType),
                Serdes.String(),
                ENVELOPES,
                DOMAIN_PARTITIONS,
                CleanupPolicy.DELETE,
                Optional.of(WEEK));
    }
}
