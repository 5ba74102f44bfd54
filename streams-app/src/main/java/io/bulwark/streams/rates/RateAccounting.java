package io.bulwark.streams.rates;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.TopicSpec;
import io.bulwark.streams.intake.Rekeyed;
import io.bulwark.streams.query.WindowComposition;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsMetrics;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;

/**
 * Windowed rate accounting over order events: per customer and per merchant, order counts and
 * sums (cents) in tumbling, hopping and sliding windows, each kept in a queryable window store
 * ({@link #store}); and a quota rule that emits exactly one {@code QuotaBreached} event per
 * customer and breached window to the alerts topic.
 *
 * <p><b>Sliding windows cost.</b> A sliding-window aggregation updates every window a record
 * falls into, and with dense traffic one key has a window per record: each new record then
 * rewrites as many windows as there are records of its key within the time difference. They are
 * therefore opt-in ({@code rates.windows}); tumbling and hopping windows cost a constant number
 * of updates per record.
 *
 * <p><b>Hopping windows made of tumbling ones are not stored.</b> When the hopping size and advance are
 * whole multiples of the tumbling size (the defaults: 5 minutes by 1 minute over 1-minute tumbling
 * windows), a hopping window is the sum of the tumbling windows it covers, computed when it is read
 * ({@link #hoppingFromTumbling}): one window update per record instead of {@code size / advance}, and
 * no hopping store or changelog. The hopping and tumbling figures then always agree. The one
 * difference from a stored hopping aggregation is in late records: a record too late for its tumbling
 * window is left out of every hopping window, also of the later ones still open, which a stored
 * aggregation would still count it in. In return a hopping window never changes after it closed.
 * Other sizes keep a stored hopping aggregation ({@code rates-<dimension>-hopping}).
 *
 * <p><b>Late records.</b> A record whose window closed (window end plus grace is behind stream
 * time) is not counted in it. Kafka Streams drops it and counts it in the task metric
 * {@code dropped-records-total}; this topology also counts records late for its tumbling and quota
 * windows in {@code late-total} (group {@code stream-bulwark-rates-metrics}, tag
 * {@code bulwark-rates-id} = dimension and window kind). Nothing is dropped silently.
 *
 * <p><b>Exactly one alert.</b> The quota windows are kept by {@link QuotaProcessor}, which emits the
 * alert on the update that crosses the rule — when it happens, not when a cache flushes — so its store
 * is cached like the other windows; its Javadoc says why that holds under exactly-once.
 */
public final class RateAccounting {

    /** The keys rates are kept for. */
    public enum Dimension {
        CUSTOMER,
        MERCHANT;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The windows rates are kept in. */
    public enum WindowKind {
        TUMBLING,
        HOPPING,
        SLIDING;

        String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    static final String METRIC_SCOPE = "bulwark-rates";
    private static final Serde<OrderAmount> AMOUNT_SERDE = RateSerdes.ORDER_AMOUNT;
    private static final Serde<RateWindow> RATE_SERDE = RateSerdes.RATE_WINDOW;

    private RateAccounting() {}

    /** Name of the window store of {@code dimension} and {@code kind}, e.g. {@code rates-customer-hopping}. */
    public static String store(Dimension dimension, WindowKind kind) {
        return "rates-" + dimension.id() + "-" + kind.id();
    }

    /**
     * How hopping windows are read from the tumbling store when they are made of whole tumbling windows
     * and both are kept; empty when the hopping windows have their own store (or are not kept).
     */
    public static Optional<WindowComposition> hoppingFromTumbling(RateSettings s) {
        boolean both = s.kinds().contains(WindowKind.TUMBLING) && s.kinds().contains(WindowKind.HOPPING);
        return both && WindowComposition.composable(s.tumblingSize(), s.hoppingSize(), s.hoppingAdvance())
                ? Optional.of(WindowComposition.of(
                        s.tumblingSize(), s.hoppingSize(), s.hoppingAdvance(), RateWindow.class, RateWindow::plus))
                : Optional.empty();
    }

    /** Name of the quota window store (customer, tumbling windows of the rule's size). */
    public static String quotaStore() {
        return "rates-customer-quota";
    }

    public static void build(
            KStream<String, EventEnvelope> orderEvents,
            RateSettings settings,
            TopicSpec<String, EventEnvelope> alerts) {
        KStream<String, OrderAmount> amounts = orderEvents.flatMapValues(
                event -> OrderAmount.of(event).stream().toList(), Named.as("rates-order-amounts"));

        KStream<String, OrderAmount> byCustomer = byKey(amounts, Dimension.CUSTOMER, settings);
        windows(grouped(byCustomer, Dimension.CUSTOMER), Dimension.CUSTOMER, settings);
        quota(byCustomer, settings, alerts);

        KStream<String, OrderAmount> byMerchant = byKey(
                amounts.filter((k, amount) -> amount.merchantId() != null, Named.as("rates-with-merchant")),
                Dimension.MERCHANT,
                settings);
        windows(grouped(byMerchant, Dimension.MERCHANT), Dimension.MERCHANT, settings);
    }

    private static KStream<String, OrderAmount> byKey(
            KStream<String, OrderAmount> amounts, Dimension dimension, RateSettings settings) {
        String name = "rates-by-" + dimension.id();
        // Without the order events' headers: nothing after the repartition reads them (Rekeyed).
        return Rekeyed.<String, OrderAmount, String>by(
                        amounts,
                        (k, amount) -> dimension == Dimension.CUSTOMER ? amount.customerId() : amount.merchantId(),
                        Named.as(name + "-key"))
                .repartition(Repartitioned.<String, OrderAmount>as(name)
                        .withKeySerde(Serdes.String())
                        .withValueSerde(AMOUNT_SERDE))
                // After the repartition: same task, same stream time as the aggregations below.
                .processValues(() -> new LateRecordCounter(dimension, settings), Named.as(name + "-late"));
    }

    private static KGroupedStream<String, OrderAmount> grouped(
            KStream<String, OrderAmount> byKey, Dimension dimension) {
        return byKey.groupByKey(Grouped.with("rates-by-" + dimension.id() + "-grouped", Serdes.String(), AMOUNT_SERDE));
    }

    private static void windows(KGroupedStream<String, OrderAmount> grouped, Dimension dimension, RateSettings s) {
        if (s.kinds().contains(WindowKind.TUMBLING)) {
            grouped.windowedBy(TimeWindows.ofSizeAndGrace(s.tumblingSize(), s.grace()))
                    .aggregate(
                            RateWindow::empty,
                            (key, amount, window) -> window.add(amount.amountCents()),
                            Named.as(store(dimension, WindowKind.TUMBLING) + "-aggregate"),
                            materialized(store(dimension, WindowKind.TUMBLING), RATE_SERDE, s.retention()));
        }
        if (s.kinds().contains(WindowKind.HOPPING) && hoppingFromTumbling(s).isEmpty()) {
            grouped.windowedBy(TimeWindows.ofSizeAndGrace(s.hoppingSize(), s.grace())
                            .advanceBy(s.hoppingAdvance()))
                    .aggregate(
                            RateWindow::empty,
                            (key, amount, window) -> window.add(amount.amountCents()),
                            Named.as(store(dimension, WindowKind.HOPPING) + "-aggregate"),
                            materialized(store(dimension, WindowKind.HOPPING), RATE_SERDE, s.retention()));
        }
        if (s.kinds().contains(WindowKind.SLIDING)) {
            grouped.windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(s.slidingDifference(), s.grace()))
                    .aggregate(
                            RateWindow::empty,
                            (key, amount, window) -> window.add(amount.amountCents()),
                            Named.as(store(dimension, WindowKind.SLIDING) + "-aggregate"),
                            materialized(store(dimension, WindowKind.SLIDING), RATE_SERDE, s.retention()));
        }
    }

    private static void quota(
            KStream<String, OrderAmount> byCustomer, RateSettings s, TopicSpec<String, EventEnvelope> alerts) {
        byCustomer
                .process(
                        new QuotaProcessor.Supplier(s.quota(), s.grace(), s.retention()),
                        Named.as(quotaStore() + "-aggregate"))
                .to(
                        alerts.name(),
                        Produced.with(alerts.keySerde(), alerts.valueSerde()).withName(quotaStore() + "-sink"));
    }

    private static <V> Materialized<String, V, WindowStore<Bytes, byte[]>> materialized(
            String store, Serde<V> serde, Duration retention) {
        return Materialized.<String, V, WindowStore<Bytes, byte[]>>as(store)
                .withKeySerde(Serdes.String())
                .withValueSerde(serde)
                .withRetention(retention);
    }

    /** The deterministic id of the alert for {@code rule}, {@code key} and the window starting at {@code start}. */
    public static UUID alertId(RateSettings.QuotaRule rule, String key, long windowStartMs) {
        return UUID.nameUUIDFromBytes((rule.name() + "|" + key + "|" + windowStartMs).getBytes(StandardCharsets.UTF_8));
    }

    /** The {@code late-total/rate} sensor of one window kind ({@code bulwark-rates-id} = {@code windowsId}). */
    static Sensor lateSensor(StreamsMetrics metrics, String windowsId) {
        return metrics.addRateTotalSensor(METRIC_SCOPE, windowsId, "late", Sensor.RecordingLevel.INFO);
    }

    /**
     * Counts records that arrive after their tumbling window closed (the quota's late records are counted by
     * {@link QuotaProcessor}, which drops them). It runs after the repartition, so its stream time is the
     * aggregations' stream time.
     */
    static final class LateRecordCounter implements FixedKeyProcessor<String, OrderAmount, OrderAmount> {
        private final Dimension dimension;
        private final RateSettings settings;
        private FixedKeyProcessorContext<String, OrderAmount> context;
        private Sensor lateTumbling;

        LateRecordCounter(Dimension dimension, RateSettings settings) {
            this.dimension = dimension;
            this.settings = settings;
        }

        @Override
        public void init(FixedKeyProcessorContext<String, OrderAmount> context) {
            this.context = context;
            this.lateTumbling = lateSensor(context.metrics(), dimension.id() + "-" + WindowKind.TUMBLING.id());
        }

        @Override
        public void process(FixedKeyRecord<String, OrderAmount> record) {
            long streamTime = context.currentStreamTimeMs();
            long grace = settings.grace().toMillis();
            if (closed(record.timestamp(), settings.tumblingSize().toMillis(), grace, streamTime)) {
                lateTumbling.record();
            }
            context.forward(record);
        }

        /** Whether the tumbling window of {@code size} holding {@code timestamp} is closed at {@code streamTime}. */
        static boolean closed(long timestamp, long size, long grace, long streamTime) {
            long windowEnd = timestamp - Math.floorMod(timestamp, size) + size;
            return windowEnd + grace <= streamTime;
        }
    }
}
