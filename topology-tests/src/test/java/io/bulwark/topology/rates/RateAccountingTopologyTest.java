package io.bulwark.topology.rates;

import static org.assertj.core.api.Assertions.assertThat;

import io.bulwark.schemas.EventEnvelope;
import io.bulwark.streams.app.AppConfig;
import io.bulwark.streams.rates.RateAccounting;
import io.bulwark.streams.rates.RateAccounting.Dimension;
import io.bulwark.streams.rates.RateAccounting.WindowKind;
import io.bulwark.streams.rates.RateSettings;
import io.bulwark.streams.rates.RateWindow;
import io.bulwark.topology.support.TestTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RateAccountingTopologyTest {

    static final long MINUTE = 60_000;
    /** Small, round windows: tumbling 1 min, hopping 2 min by 1 min, sliding 1 min, grace 10 s, quota 3 orders or 1000 cents per 5 min. */
    static final Map<String, String> SETTINGS = Map.of(
            AppConfig.RATES_WINDOWS, "tumbling,hopping,sliding",
            AppConfig.RATES_TUMBLING_SIZE_MS, Long.toString(MINUTE),
            AppConfig.RATES_HOPPING_SIZE_MS, Long.toString(2 * MINUTE),
            AppConfig.RATES_HOPPING_ADVANCE_MS, Long.toString(MINUTE),
            AppConfig.RATES_SLIDING_DIFFERENCE_MS, Long.toString(MINUTE),
            AppConfig.RATES_GRACE_MS, "10000",
            AppConfig.RATES_RETENTION_MS, Long.toString(60 * MINUTE),
            AppConfig.QUOTA_WINDOW_MS, Long.toString(5 * MINUTE),
            AppConfig.QUOTA_MAX_ORDERS, "3",
            AppConfig.QUOTA_MAX_AMOUNT_CENTS, "1000");

    @TempDir
    Path stateDir;

    private TestTopology topology;
    private int orderNo;

    @BeforeEach
    void setUp() {
        topology = new TestTopology(stateDir, SETTINGS);
    }

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void shouldCountAndSumPerCustomerInTumblingWindowsSplitAtTheBoundary() {
        order("c-1", "m-1", 100, 0);
        order("c-1", "m-1", 200, MINUTE - 1); // last millisecond of the first window
        order("c-1", "m-2", 50, MINUTE); // first millisecond of the second
        order("c-2", "m-1", 7, 30_000);

        assertThat(windows(Dimension.CUSTOMER, WindowKind.TUMBLING, "c-1"))
                .containsExactly(window(0, new RateWindow(2, 300)), window(MINUTE, new RateWindow(1, 50)));
        assertThat(windows(Dimension.CUSTOMER, WindowKind.TUMBLING, "c-2"))
                .containsExactly(window(0, new RateWindow(1, 7)));
        assertThat(windows(Dimension.MERCHANT, WindowKind.TUMBLING, "m-1"))
                .containsExactly(window(0, new RateWindow(3, 307)));
    }

    @Test
    void shouldCountEachOrderInEveryHoppingWindowThatCoversIt() {
        order("c-3", null, 10, 90_000); // covered by [0, 2 min) and [1 min, 3 min)
        assertThat(windows(Dimension.CUSTOMER, WindowKind.HOPPING, "c-3"))
                .containsExactly(window(0, new RateWindow(1, 10)), window(MINUTE, new RateWindow(1, 10)));
        assertThat(windows(Dimension.MERCHANT, WindowKind.HOPPING, "c-3")).isEmpty();
    }

    @Test
    void shouldReadHoppingWindowsMadeOfTumblingOnesFromTheTumblingStoreAlone() {
        order("c-8", "m-8", 10, 30_000);
        order("c-8", "m-8", 20, 90_000);
        order("c-8", "m-8", 40, 150_000);

        assertThat(topology.driver.getAllStateStores())
                .as("no hopping store: 2 min by 1 min is two 1-minute tumbling windows")
                .doesNotContainKeys(
                        RateAccounting.store(Dimension.CUSTOMER, WindowKind.HOPPING),
                        RateAccounting.store(Dimension.MERCHANT, WindowKind.HOPPING));
        assertThat(windows(Dimension.CUSTOMER, WindowKind.HOPPING, "c-8"))
                .containsExactly(
                        window(0, new RateWindow(2, 30)),
                        window(MINUTE, new RateWindow(2, 60)),
                        window(2 * MINUTE, new RateWindow(1, 40)));
        assertThat(windows(Dimension.MERCHANT, WindowKind.HOPPING, "m-8"))
                .isEqualTo(windows(Dimension.CUSTOMER, WindowKind.HOPPING, "c-8"));
    }

    @Test
    void shouldLeaveARecordTooLateForItsTumblingWindowOutOfEveryHoppingWindow() {
        order("c-9", null, 1, 30_000);
        order("c-9", null, 2, MINUTE + 20_000); // stream time 80 s: [0, 60 s) closed (grace 10 s)
        order("c-9", null, 1_000, 50_000); // too late for [0, 60 s); [0, 120 s) is still open

        assertThat(windows(Dimension.CUSTOMER, WindowKind.TUMBLING, "c-9"))
                .containsExactly(window(0, new RateWindow(1, 1)), window(MINUTE, new RateWindow(1, 2)));
        assertThat(windows(Dimension.CUSTOMER, WindowKind.HOPPING, "c-9"))
                .as("a hopping window is the sum of its tumbling windows, also for late records")
                .containsExactly(window(0, new RateWindow(2, 3)), window(MINUTE, new RateWindow(1, 2)));
        assertThat(lateFor("customer-tumbling")).isEqualTo(1);
    }

    @Test
    void shouldStoreHoppingWindowsThatAreNotMadeOfWholeTumblingWindows(@TempDir Path otherDir) {
        Map<String, String> settings = new HashMap<>(SETTINGS);
        settings.put(AppConfig.RATES_HOPPING_ADVANCE_MS, "90000"); // 2 min by 90 s: not whole minutes
        try (TestTopology unaligned = new TestTopology(otherDir, settings)) {
            unaligned.pipe(TestTopology.order("u-1", "c-10", null, 10), 100_000);

            assertThat(unaligned.driver.getAllStateStores())
                    .containsKey(RateAccounting.store(Dimension.CUSTOMER, WindowKind.HOPPING));
            assertThat(windows(unaligned, Dimension.CUSTOMER, WindowKind.HOPPING, "c-10"))
                    .containsExactly(window(0, new RateWindow(1, 10)), window(90_000, new RateWindow(1, 10)));
        }
    }

    @Test
    void shouldKeepSlidingWindowsOfOrdersCloseInTime() {
        long base = 10 * MINUTE;
        order("c-4", null, 1, base + 10_000);
        order("c-4", null, 2, base + 40_000);
        order("c-4", null, 4, base + 200_000);
        List<Map.Entry<Long, RateWindow>> sliding = windows(Dimension.CUSTOMER, WindowKind.SLIDING, "c-4");
        // The window ending at the second order holds both; the third order is alone.
        assertThat(sliding)
                .contains(
                        window(base + 40_000 - MINUTE, new RateWindow(2, 3)),
                        window(base + 200_000 - MINUTE, new RateWindow(1, 4)));
        assertThat(sliding).extracting(e -> e.getValue().count()).allMatch(c -> c <= 2);
    }

    @Test
    void shouldCountLateRecordWithinGraceAndDropItBeyondGraceCountingIt() {
        order("c-5", null, 100, 30_000);
        order("c-5", null, 100, MINUTE + 5_000); // stream time 65 s: window [0, 60 s) still open (grace 10 s)
        order("c-5", null, 1, 50_000); // late but within grace: counted
        order("c-5", null, 100, MINUTE + 20_000); // stream time 80 s: window [0, 60 s) closed
        order("c-5", null, 1_000, 55_000); // beyond grace: not counted

        assertThat(windows(Dimension.CUSTOMER, WindowKind.TUMBLING, "c-5").get(0))
                .isEqualTo(window(0, new RateWindow(2, 101)));
        assertThat(topology.metric("bulwark-rates", "late-total")).isGreaterThanOrEqualTo(1);
        assertThat(lateFor("customer-tumbling")).isEqualTo(1);
    }

    @Test
    void shouldEmitExactlyOneAlertPerBreachedQuotaWindow() {
        for (int i = 0; i < 6; i++) { // 6 orders in [0, 5 min): breached at the 4th
            order("c-6", null, 10, i * 10_000);
        }
        order("c-6", null, 10, 5 * MINUTE); // next window: 1 order, no alert
        for (int i = 1; i <= 2; i++) { // same window, amount over 1000 at the 2nd
            order("c-6", null, 600, 5 * MINUTE + i);
        }
        order("c-7", null, 10, 0); // another customer, under the limit

        List<EventEnvelope> alerts = topology.alerts.readValuesToList();
        assertThat(alerts).hasSize(2);
        EventEnvelope first = alerts.get(0);
        assertThat(first.type()).isEqualTo("QuotaBreached");
        assertThat(first.aggregateId()).isEqualTo("c-6");
        assertThat(first.payload().path("count").asLong()).isEqualTo(4);
        assertThat(first.payload().path("windowStart").asText()).isEqualTo(Instant.EPOCH.toString());
        RateSettings.QuotaRule rule = new RateSettings.QuotaRule("orders-per-customer", Duration.ofMinutes(5), 3, 1000);
        assertThat(first.eventId())
                .as("derived from rule, key and window")
                .isEqualTo(RateAccounting.alertId(rule, "c-6", 0));
        EventEnvelope second = alerts.get(1);
        assertThat(second.payload().path("sumCents").asLong()).isEqualTo(1210);
        assertThat(second.payload().path("windowStart").asText())
                .isEqualTo(Instant.ofEpochMilli(5 * MINUTE).toString());
    }

    private void order(String customer, String merchant, long cents, long timestamp) {
        topology.pipe(TestTopology.order("r-" + orderNo++, customer, merchant, cents), timestamp);
    }

    private double lateFor(String entity) {
        return topology.driver.metrics().entrySet().stream()
                .filter(e -> e.getKey().group().equals("stream-bulwark-rates-metrics")
                        && e.getKey().name().equals("late-total")
                        && entity.equals(e.getKey().tags().get("bulwark-rates-id")))
                .mapToDouble(e -> ((Number) e.getValue().metricValue()).doubleValue())
                .sum();
    }

    private List<Map.Entry<Long, RateWindow>> windows(Dimension dimension, WindowKind kind, String key) {
        return windows(topology, dimension, kind, key);
    }

    private static List<Map.Entry<Long, RateWindow>> windows(
            TestTopology topology, Dimension dimension, WindowKind kind, String key) {
        return new ArrayList<>(topology.rateWindows(dimension, kind, key).entrySet());
    }

    private static Map.Entry<Long, RateWindow> window(long start, RateWindow value) {
        return Map.entry(start, value);
    }
}
