package io.bulwark.streams.rates;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.schemas.Topics;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The quota processor against the DSL aggregation it replaced (2026-12-03): the same store contents
 * and changelog records for the same input, so an upgraded instance keeps its quota windows.
 */
class QuotaProcessorTest {

    private static final String APP = "quota-test";
    private static final String INPUT = "amounts";
    private static final Duration GRACE = Duration.ofSeconds(10);
    private static final Duration RETENTION = Duration.ofHours(1);
    private static final RateSettings.QuotaRule RULE =
            new RateSettings.QuotaRule("orders-per-customer", Duration.ofMinutes(5), 3, 1000);
    private static final String CHANGELOG = APP + "-" + RateAccounting.quotaStore() + "-changelog";

    @TempDir
    Path stateDir;

    /** In order: two windows of c-1 (the first crossed by count, the second by amount), c-2 under the rule, one late. */
    private static final List<TestRecord<String, OrderAmount>> ORDERS = List.of(
            order("c-1", 10, 0),
            order("c-1", 10, 10_000),
            order("c-2", 10, 20_000),
            order("c-1", 10, 30_000),
            order("c-1", 10, 40_000), // 4th order in [0, 5 min): crosses
            order("c-1", 10, 50_000),
            order("c-1", 600, 300_000),
            order("c-1", 600, 310_000), // 1,200 cents in [5, 10 min): crosses
            order("c-1", 10, 320_000),
            order("c-2", 10, 1_000)); // its window closed at 5 min + 10 s: not counted

    @Test
    void shouldWriteTheSameWindowsAndChangelogAsTheDslAggregationItReplaced() {
        Run dsl = run(dslTopology(), stateDir.resolve("dsl"));
        Run processor = run(processorTopology(), stateDir.resolve("processor"));

        assertThat(processor.changelog).hasSameSizeAs(dsl.changelog);
        for (int i = 0; i < dsl.changelog.size(); i++) {
            assertThat(processor.changelog.get(i).key())
                    .as("changelog key %d", i)
                    .isEqualTo(dsl.changelog.get(i).key());
            assertThat(processor.changelog.get(i).value())
                    .as("changelog value %d", i)
                    .isEqualTo(dsl.changelog.get(i).value());
        }
        assertThat(processor.windows).isEqualTo(dsl.windows);
        assertThat(processor.windows.get(0).value()).isEqualTo(new QuotaWindow(5, 50, true, false));
        assertThat(processor.windows.get(2).value()).isEqualTo(new QuotaWindow(1, 10, false, false));
    }

    @Test
    void shouldEmitOneAlertPerBreachedWindowOnTheUpdateThatCrossedTheRule() {
        Run processor = run(processorTopology(), stateDir);

        assertThat(processor.alerts).hasSize(2);
        EventEnvelope byCount = processor.alerts.get(0);
        assertThat(byCount.aggregateId()).isEqualTo("c-1");
        assertThat(byCount.eventId()).isEqualTo(RateAccounting.alertId(RULE, "c-1", 0));
        assertThat(byCount.occurredAt()).isEqualTo(Instant.ofEpochMilli(40_000));
        assertThat(byCount.payload().path("count").asLong()).isEqualTo(4);
        assertThat(byCount.payload().path("windowEnd").asText())
                .isEqualTo(Instant.ofEpochMilli(300_000).toString());
        EventEnvelope byAmount = processor.alerts.get(1);
        assertThat(byAmount.eventId()).isEqualTo(RateAccounting.alertId(RULE, "c-1", 300_000));
        assertThat(byAmount.payload().path("count").asLong()).isEqualTo(2);
        assertThat(byAmount.payload().path("sumCents").asLong()).isEqualTo(1200);
        assertThat(processor.lateForQuota)
                .as("c-2's order after its window closed")
                .isEqualTo(1);
    }

    private record Run(
            List<TestRecord<byte[], byte[]>> changelog,
            List<ValueAndTimestamp<QuotaWindow>> windows,
            List<EventEnvelope> alerts,
            double lateForQuota) {}

    private static Run run(StreamsBuilder builder, Path state) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, APP);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, OrderAmount> input =
                    driver.createInputTopic(INPUT, new StringSerializer(), RateSerdes.ORDER_AMOUNT.serializer());
            ORDERS.forEach(input::pipeInput);
            var quota = driver.<String, QuotaWindow>getTimestampedWindowStore(RateAccounting.quotaStore());
            List<ValueAndTimestamp<QuotaWindow>> windows =
                    Arrays.asList(quota.fetch("c-1", 0), quota.fetch("c-1", 300_000), quota.fetch("c-2", 0));
            List<EventEnvelope> alerts = driver.producedTopicNames().contains(Topics.RATE_ALERTS.name())
                    ? driver.createOutputTopic(
                                    Topics.RATE_ALERTS.name(),
                                    Topics.RATE_ALERTS.keySerde().deserializer(),
                                    Topics.RATE_ALERTS.valueSerde().deserializer())
                            .readValuesToList()
                    : List.of();
            return new Run(
                    driver.createOutputTopic(CHANGELOG, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                            .readRecordsToList(),
                    windows,
                    alerts,
                    driver.metrics().entrySet().stream()
                            .filter(e -> e.getKey().name().equals("late-total")
                                    && "customer-quota".equals(e.getKey().tags().get("bulwark-rates-id")))
                            .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                            .sum());
        }
    }

    private static KStream<String, OrderAmount> input(StreamsBuilder builder) {
        return builder.stream(INPUT, Consumed.with(Serdes.String(), RateSerdes.ORDER_AMOUNT));
    }

    /** The quota aggregation as {@code RateAccounting} built it before 2026-12-03. */
    private static StreamsBuilder dslTopology() {
        StreamsBuilder builder = new StreamsBuilder();
        input(builder)
                .groupByKey(Grouped.with(Serdes.String(), RateSerdes.ORDER_AMOUNT))
                .windowedBy(TimeWindows.ofSizeAndGrace(RULE.window(), GRACE))
                .aggregate(
                        QuotaWindow::empty,
                        (key, amount, window) -> window.add(amount.amountCents(), RULE),
                        Named.as(RateAccounting.quotaStore() + "-aggregate"),
                        Materialized.<String, QuotaWindow, WindowStore<Bytes, byte[]>>as(RateAccounting.quotaStore())
                                .withKeySerde(Serdes.String())
                                .withValueSerde(RateSerdes.QUOTA_WINDOW)
                                .withRetention(RETENTION)
                                .withCachingDisabled());
        return builder;
    }

    private static StreamsBuilder processorTopology() {
        StreamsBuilder builder = new StreamsBuilder();
        input(builder)
                .process(new QuotaProcessor.Supplier(RULE, GRACE, RETENTION), Named.as("quota"))
                .to(
                        Topics.RATE_ALERTS.name(),
                        Produced.with(Topics.RATE_ALERTS.keySerde(), Topics.RATE_ALERTS.valueSerde()));
        return builder;
    }

    private static TestRecord<String, OrderAmount> order(String customer, long cents, long timestamp) {
        return new TestRecord<>(customer, new OrderAmount(customer, null, cents), Instant.ofEpochMilli(timestamp));
    }
}
