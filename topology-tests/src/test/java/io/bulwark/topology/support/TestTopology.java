package io.bulwark.topology.support;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Json;
import io.bulwark.schemas.Topics;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.app.BulwarkTopology;
import io.bulwark.streams.app.ConfigLoader;
import io.bulwark.streams.query.WindowComposition;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.rates.RateAccounting.Dimension;
import io.bulwark.streams.rates.RateAccounting.WindowKind;
import io.bulwark.streams.rates.RateWindow;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

/**
 * The app's whole topology under TopologyTestDriver, configured through the same {@link AppConfig}
 * the app uses, plus event builders. Copy this to test your own topology the same way.
 */
public final class TestTopology implements AutoCloseable {

    public final AppConfig config;
    public final TopologyTestDriver driver;
    public final TestInputTopic<String, EventEnvelope> orders;
    public final TestOutputTopic<String, EventEnvelope> unique;
    public final TestOutputTopic<String, EventEnvelope> alerts;

    public TestTopology(Path stateDir, Map<String, String> settings) {
        Map<String, String> flags = new HashMap<>(settings);
        flags.put(AppConfig.BOOTSTRAP_SERVERS, "unused:9092");
        flags.put(AppConfig.STATE_DIR, stateDir.toString());
        config = ConfigLoader.load(null, Map.of(), flags);
        driver = new TopologyTestDriver(BulwarkTopology.create(config), config.streamsProperties(), Instant.EPOCH);
        orders = driver.createInputTopic(
                Topics.ORDER_EVENTS.name(),
                Topics.ORDER_EVENTS.keySerde().serializer(),
                Topics.ORDER_EVENTS.valueSerde().serializer());
        unique = driver.createOutputTopic(
                Topics.ORDER_EVENTS_UNIQUE.name(),
                Topics.ORDER_EVENTS_UNIQUE.keySerde().deserializer(),
                Topics.ORDER_EVENTS_UNIQUE.valueSerde().deserializer());
        alerts = driver.createOutputTopic(
                Topics.RATE_ALERTS.name(),
                Topics.RATE_ALERTS.keySerde().deserializer(),
                Topics.RATE_ALERTS.valueSerde().deserializer());
    }

    /** Pipes {@code event} with record timestamp {@code timestampMs}. */
    public void pipe(EventEnvelope event, long timestampMs) {
        orders.pipeInput(event.aggregateId(), event, timestampMs);
    }

    /** An OrderPlaced event of {@code customer} (and merchant {@code merchant}, may be null) for {@code cents}. */
    public static EventEnvelope order(String orderId, String customer, String merchant, long cents) {
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.put("orderId", orderId)
                .put("customerId", customer)
                .put("totalCents", cents)
                .put("currency", "EUR");
        if (merchant != null) {
            payload.put("merchantId", merchant);
        }
        payload.putArray("lines")
                .addObject()
                .put("sku", "sku-1")
                .put("quantity", 1)
                .put("unitPriceCents", cents);
        return new EventEnvelope(
                UUID.randomUUID(), "OrderPlaced", "order", orderId, null, Instant.EPOCH, null, null, null, payload);
    }

    /**
     * The rate windows of {@code key} by start, as the query API reads them: from the window's own store,
     * or — hopping windows made of tumbling ones — summed from the tumbling store.
     */
    public NavigableMap<Long, RateWindow> rateWindows(Dimension dimension, WindowKind kind, String key) {
        Optional<WindowComposition> composed = kind == WindowKind.HOPPING
                ? RateAccounting.hoppingFromTumbling(config.rateSettings())
                : Optional.empty();
        WindowStore<String, ValueAndTimestamp<RateWindow>> store = driver.getTimestampedWindowStore(
                RateAccounting.store(dimension, composed.isPresent() ? WindowKind.TUMBLING : kind));
        NavigableMap<Long, Object> stored = new TreeMap<>();
        Instant from = Instant.EPOCH;
        Instant to = Instant.ofEpochMilli(Long.MAX_VALUE / 2);
        try (WindowStoreIterator<ValueAndTimestamp<RateWindow>> it = store.fetch(key, from, to)) {
            it.forEachRemaining(kv -> stored.put(kv.key, kv.value.value()));
        }
        NavigableMap<Long, RateWindow> windows = new TreeMap<>();
        (composed.isPresent() ? composed.get().windows(stored, from, to) : stored)
                .forEach((start, value) -> windows.put(start, (RateWindow) value));
        return windows;
    }

    /** A Kafka Streams custom metric's value, e.g. {@code metric("bulwark-dedup", "dropped-total")}. */
    public double metric(String scope, String name) {
        return driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-" + scope + "-metrics")
                        && e.getKey().name().equals(name))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    @Override
    public void close() {
        driver.close();
    }
}
