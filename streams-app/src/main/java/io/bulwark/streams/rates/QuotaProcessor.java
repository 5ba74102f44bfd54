package io.bulwark.streams.rates;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.EventTypes;
import io.bulwark.schemas.Json;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.TimestampedWindowStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;

/**
 * The quota rule's windows per customer ({@link RateAccounting#quotaStore()}), and the one {@code
 * QuotaBreached} alert per breached window, emitted by the update that crosses the rule.
 *
 * <p><b>Why not a DSL aggregation.</b> A windowed {@code aggregate} forwards its results only when its
 * record cache flushes, one result per key and window — so the update that crossed the limit would be
 * lost under a later one whenever both fall between two flushes. It therefore had to run uncached: a
 * RocksDB read, a RocksDB write and a changelog record for every order (a fifth of the rates stream
 * thread's time, benchmarks/PROFILES.md 2026-12-03). Here the alert is forwarded when the update
 * crosses the limit, whatever the cache does with the window afterwards, so the store is cached like
 * the other rate windows: reads of a busy customer's window hit memory, and its writes reach RocksDB
 * and the changelog once per commit.
 *
 * <p><b>Exactly one alert.</b> The window remembers that it is over the rule ({@link QuotaWindow#breached()});
 * only the update that sets it emits. Under exactly-once the alert and the window that says "already
 * alerted" (flushed from the cache before the commit) are in the same transaction; a crash before it
 * aborts both and the re-processed update crosses again. The alert's event id is derived from rule,
 * customer and window ({@link RateAccounting#alertId}), so even a re-emission under at-least-once is
 * recognisable.
 *
 * <p><b>Same store as before.</b> A timestamped window store of the same name, window size, retention
 * and segments, holding the same values (the value of the crossing update is still marked {@code
 * breachedNow}), so an instance upgraded from the DSL aggregation keeps its local state and changelog.
 * Records later than {@code rates.grace.ms} after their window are not counted, as in the DSL; they
 * are counted in {@code late-total} for {@code customer-quota} (not in Kafka Streams' {@code
 * dropped-records-total}, which only its own processors record).
 */
final class QuotaProcessor implements Processor<String, OrderAmount, String, EventEnvelope> {

    private final RateSettings.QuotaRule rule;
    private final long sizeMs;
    private final long graceMs;
    private ProcessorContext<String, EventEnvelope> context;
    private TimestampedWindowStore<String, QuotaWindow> windows;
    private Sensor late;

    private QuotaProcessor(RateSettings.QuotaRule rule, Duration grace) {
        this.rule = rule;
        this.sizeMs = rule.window().toMillis();
        this.graceMs = grace.toMillis();
    }

    /** Makes the processors and, through {@link #stores()}, connects the quota store to them. */
    static final class Supplier implements ProcessorSupplier<String, OrderAmount, String, EventEnvelope> {
        private final RateSettings.QuotaRule rule;
        private final Duration grace;
        private final Duration retention;

        Supplier(RateSettings.QuotaRule rule, Duration grace, Duration retention) {
            this.rule = rule;
            this.grace = grace;
            this.retention = retention;
        }

        @Override
        public Processor<String, OrderAmount, String, EventEnvelope> get() {
            return new QuotaProcessor(rule, grace);
        }

        @Override
        public Set<StoreBuilder<?>> stores() {
            return Set.of(Stores.timestampedWindowStoreBuilder(
                            Stores.persistentTimestampedWindowStore(
                                    RateAccounting.quotaStore(), retention, rule.window(), false),
                            Serdes.String(),
                            RateSerdes.QUOTA_WINDOW)
                    .withCachingEnabled());
        }
    }

    @Override
    public void init(ProcessorContext<String, EventEnvelope> context) {
        this.context = context;
        this.windows = context.getStateStore(RateAccounting.quotaStore());
        this.late = RateAccounting.lateSensor(context.metrics(), RateAccounting.Dimension.CUSTOMER.id() + "-quota");
    }

    @Override
    public void process(Record<String, OrderAmount> record) {
        String customer = record.key();
        if (customer == null || record.value() == null) {
            return;
        }
        long timestamp = record.timestamp();
        if (RateAccounting.LateRecordCounter.closed(timestamp, sizeMs, graceMs, context.currentStreamTimeMs())) {
            late.record();
            return;
        }
        long start = timestamp - Math.floorMod(timestamp, sizeMs);
        ValueAndTimestamp<QuotaWindow> before = windows.fetch(customer, start);
        QuotaWindow after = (before == null ? QuotaWindow.empty() : before.value())
                .add(record.value().amountCents(), rule);
        long latest = before == null ? timestamp : Math.max(before.timestamp(), timestamp);
        windows.put(customer, ValueAndTimestamp.make(after, latest), start);
        if (after.breachedNow()) {
            context.forward(new Record<>(customer, alert(customer, start, after, latest), latest));
        }
    }

    private EventEnvelope alert(String customer, long start, QuotaWindow window, long timestamp) {
        ObjectNode payload = Json.mapper()
                .createObjectNode()
                .put("rule", rule.name())
                .put("dimension", RateAccounting.Dimension.CUSTOMER.id())
                .put("key", customer)
                .put("windowStart", Instant.ofEpochMilli(start).toString())
                .put("windowEnd", Instant.ofEpochMilli(start + sizeMs).toString())
                .put("count", window.count())
                .put("sumCents", window.sumCents())
                .put("maxOrders", rule.maxOrders())
                .put("maxAmountCents", rule.maxAmountCents());
        return new EventEnvelope(
                RateAccounting.alertId(rule, customer, start),
                EventTypes.QUOTA_BREACHED.name(),
                EventTypes.QUOTA_BREACHED.aggregateType(),
                customer,
                null,
                Instant.ofEpochMilli(timestamp),
                null,
                null,
                null,
                payload);
    }
}
