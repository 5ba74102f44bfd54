package io.bulwark.streams.readmodel;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventEnvelopeSerde;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.JsonSerde;
import io.bulwark.streams.intake.Rekeyed;
import io.bulwark.streams.state.RollingSweep;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.VersionedKeyValueStore;

/**
 * The queryable read models (CQRS), projected from the event streams:
 *
 * <ul>
 *   <li>{@link #STOCK_LEVELS} — per SKU, a <b>versioned</b> store: {@code get(sku, asOf)} answers
 *       "as of time T" for {@code historyRetention}; its segments are {@link #STOCK_LEVEL_SEGMENT} long
 *       (see there);</li>
 *   <li>{@link #ORDER_STATUS} — per order, status and history; an order is deleted (tombstone)
 *       between one and two {@code orderStatusRetention}s after its last event, in stream time, by a
 *       {@link RollingSweep} that reads the whole store once per retention (until 2026-12-05 an expiry index,
 *       {@code read-order-status-expiry}, deleted it right at the retention for two more puts and changelog
 *       records per status change; its changelog topic can be deleted);</li>
 *   <li>{@link #CUSTOMER_ORDERS} — per customer, the most recent orders (at most
 *       {@link CustomerOrders#MAX}); bounded by the number of customers, which order-api provisions.</li>
 * </ul>
 *
 * <p><b>Consistency contract.</b> Read models are eventually consistent with the events: a model
 * reflects an event once the task that projects it has processed and committed it (about one
 * {@code commit.interval.ms} after the event is on its topic, plus any repartition hop). Each entry
 * carries the time of the last event it reflects ({@code asOfMs} / {@code lastEventMs}) and, where
 * the aggregate has one, its version, so a reader can tell how fresh it is and caches can use it as
 * an ETag. Within one key, models never go backwards: events of a key are processed in order.
 */
public final class ReadModels {

    public static final String STOCK_LEVELS = "read-stock-levels";
    public static final String ORDER_STATUS = "read-order-status";
    public static final String CUSTOMER_ORDERS = "read-customer-orders";

    /**
     * The stock-level store's segment interval. A versioned store packs every version of a key that
     * ended within one segment into one RocksDB value and rewrites that value on each new version, so a
     * put costs as much as the key's versions in the segment. Kafka's default for a 7-day history is
     * 7 h: a SKU changing 5 times a second rewrote up to 126,000 versions per put, and in a 25,000-order
     * benchmark the projector was 11% of the stream thread. One minute bounds a put to a minute of the
     * key's versions; an "as of" read walks back one segment per minute of age (a week: ~10,000 bloom-
     * filtered gets, milliseconds). Changing it requires deleting the store's local state (it is restored
     * from its changelog), as Kafka Streams documents.
     */
    public static final Duration STOCK_LEVEL_SEGMENT = Duration.ofMinutes(1);

    private ReadModels() {}

    /**
     * The order status's inputs other than the saga's outcomes: the unique order events, and the inventory
     * events keyed by order. Call this <em>before</em> the saga is added, so that an input record reaches the
     * order status before the outcome it makes the saga send (Kafka Streams forwards to a node's children in
     * the order they were added): a rejection's {@code StockRejected} before its {@code REJECTED}.
     */
    public static KStream<String, EventEnvelope> orderStatusInputs(
            KStream<String, EventEnvelope> uniqueOrderEvents, KStream<String, EventEnvelope> inventoryByOrder) {
        // Only the inventory events need a repartition (keyed by SKU, folded by order). The order events are keyed
        // by order id on partitions of the same count already, so they reach the projector directly: one
        // exactly-once hop (a commit interval) less before a status is visible, and no JSON copy of every order
        // event through the broker. (Until 2026-12-03 they went through the repartition too.)
        return inventoryByOrder.merge(uniqueOrderEvents, Named.as(ORDER_STATUS + "-merge"));
    }

    /**
     * Adds the read models; {@code builder} gets the versioned stock-level store. {@code orderStatusInputs} is
     * {@link #orderStatusInputs}, taken before the saga was added; {@code sagaOutcomes} are the outcomes as the
     * saga sends them, in the same task ({@code SagaTopology.buildWithOutcomes}): read back from
     * {@code bulwark.order.outcomes} (until 2026-12-05), each was visible one commit and one poll later.
     */
    public static void build(
            StreamsBuilder builder,
            KStream<String, EventEnvelope> uniqueOrderEvents,
            KStream<String, EventEnvelope> inventoryEvents,
            KStream<String, EventEnvelope> orderStatusInputs,
            KStream<String, EventEnvelope> sagaOutcomes,
            Duration historyRetention,
            Duration orderStatusRetention) {
        builder.addStateStore(stockLevelStore(historyRetention));
        stockLevels(inventoryEvents);
        // Not cached: with caching on, DedupExactlyOnceTest (100,000 events through the whole app) ran 4-5x
        // slower in CI (213-261 s against 53 s); not understood yet, see the closing note of issue 17.
        builder.addStateStore(Stores.keyValueStoreBuilder(
                Stores.persistentKeyValueStore(ORDER_STATUS), Serdes.String(), JsonSerde.of(OrderStatus.class)));
        orderStatusInputs
                .merge(sagaOutcomes, Named.as(ORDER_STATUS + "-outcomes"))
                .process(
                        () -> new OrderStatusProjector(orderStatusRetention),
                        Named.as(ORDER_STATUS + "-aggregate"),
                        ORDER_STATUS);
        customerOrders(uniqueOrderEvents);
    }

    private static void stockLevels(KStream<String, EventEnvelope> inventoryEvents) {
        inventoryEvents.processValues(StockLevelProjector::new, Named.as(STOCK_LEVELS + "-project"), STOCK_LEVELS);
    }

    /** The versioned store of stock levels, to add to the builder. */
    public static StoreBuilder<VersionedKeyValueStore<String, StockLevel>> stockLevelStore(Duration historyRetention) {
        return Stores.versionedKeyValueStoreBuilder(
                Stores.persistentVersionedKeyValueStore(STOCK_LEVELS, historyRetention, STOCK_LEVEL_SEGMENT),
                Serdes.String(),
                JsonSerde.of(StockLevel.class));
    }

    private static void customerOrders(KStream<String, EventEnvelope> orders) {
        // The repartition's values are whole envelopes (JSON): the events' headers would travel twice (Rekeyed).
        Rekeyed.by(
                        orders.filter(
                                (k, e) -> EventTypes.ORDER_PLACED.name().equals(e.type()),
                                Named.as(CUSTOMER_ORDERS + "-placed")),
                        (k, e) -> e.payload().path("customerId").asText(),
                        Named.as(CUSTOMER_ORDERS + "-by-customer"))
                .groupByKey(Grouped.with(CUSTOMER_ORDERS + "-grouped", Serdes.String(), EventEnvelopeSerde.asJson()))
                .aggregate(
                        CustomerOrders::empty,
                        (customer, e, history) -> history.add(
                                customer,
                                new CustomerOrders.Entry(
                                        e.aggregateId(),
                                        e.payload().path("totalCents").asLong(),
                                        e.payload().path("currency").asText(),
                                        e.occurredAt().toEpochMilli())),
                        Named.as(CUSTOMER_ORDERS + "-aggregate"),
                        Materialized.<String, CustomerOrders, KeyValueStore<Bytes, byte[]>>as(CUSTOMER_ORDERS)
                                .withKeySerde(Serdes.String())
                                .withValueSerde(JsonSerde.of(CustomerOrders.class)));
    }

    /**
     * Folds an order's events into its status, and deletes statuses whose last event is more than a retention
     * older than stream time (a rolling sweep: within a retention after that).
     */
    static final class OrderStatusProjector implements Processor<String, EventEnvelope, Void, Void> {
        private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
        private final long retentionMs;
        private KeyValueStore<String, OrderStatus> statuses;
        private RollingSweep<OrderStatus> sweep;

        OrderStatusProjector(Duration retention) {
            this.retentionMs = retention.toMillis();
        }

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            statuses = context.getStateStore(ORDER_STATUS);
            sweep = new RollingSweep<>(
                    statuses,
                    Duration.ofMillis(retentionMs),
                    SWEEP_EVERY,
                    status -> status.lastEventMs() + retentionMs);
            sweep.scheduleOn(context);
        }

        @Override
        public void process(Record<String, EventEnvelope> record) {
            EventEnvelope e = record.value();
            if (e == null || record.key() == null) {
                return;
            }
            String next = switch (e.type()) {
                case "OrderPlaced" -> "PLACED";
                case "OrderCancelRequested" -> "CANCEL_REQUESTED";
                case "StockReserved" -> "STOCK_RESERVED";
                case "StockReleased" -> "STOCK_RELEASED";
                case "InventoryCommandRejected" -> "STOCK_REJECTED";
                case "OrderConfirmed" -> "CONFIRMED";
                case "OrderRejected" -> "REJECTED";
                case "OrderCancelled" -> "CANCELLED";
                default -> null;
            };
            if (next == null) {
                return;
            }
            OrderStatus before = statuses.get(record.key());
            OrderStatus after = (before == null ? OrderStatus.empty() : before)
                    .with(
                            record.key(),
                            next,
                            e.occurredAt().toEpochMilli(),
                            e.eventId().toString());
            if (after == before) {
                return;
            }
            statuses.put(record.key(), after);
        }
    }

    /**
     * Keeps the versioned stock-level store: each change is a new version at the event's timestamp, or at the
     * latest version's when the event's is older. The aggregate stamps an event with its command's time, and
     * commands for different orders arrive interleaved, so a SKU's timestamps can step back (seen: 46.921 s,
     * then 46.882 s). A version put before the latest one is history, not the latest: its change would be
     * missing from every later version (a reservation lost for good, {@code reserved = -1} after its release).
     */
    static final class StockLevelProjector implements FixedKeyProcessor<String, EventEnvelope, EventEnvelope> {
        private VersionedKeyValueStore<String, StockLevel> levels;
        private FixedKeyProcessorContext<String, EventEnvelope> context;

        @Override
        public void init(FixedKeyProcessorContext<String, EventEnvelope> context) {
            this.context = context;
            this.levels = context.getStateStore(STOCK_LEVELS);
        }

        @Override
        public void process(FixedKeyRecord<String, EventEnvelope> record) {
            var current = levels.get(record.key());
            StockLevel before = current == null ? StockLevel.empty() : current.value();
            long at = current == null ? record.timestamp() : Math.max(record.timestamp(), current.timestamp());
            StockLevel after = before.apply(record.value(), at);
            if (after != before) {
                levels.put(record.key(), after, at);
            }
            context.forward(record);
        }
    }
}
