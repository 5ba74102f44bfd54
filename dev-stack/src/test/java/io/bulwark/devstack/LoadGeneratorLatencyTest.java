package io.bulwark.devstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.DelayQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LoadGeneratorLatencyTest {

    private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void shouldMeasureOnlyOrdersTheServiceDecidedAndAcceptedAfterTheWarmUp() {
        Map<String, Long> accepted = Map.of(
                "warm-up", 0L,
                "confirmed", 1_000 * MS,
                "rejected", 1_100 * MS,
                "cancelled", 1_200 * MS,
                "not-ended", 1_300 * MS);
        Map<String, Long> ended = Map.of(
                "warm-up", 50 * MS,
                "confirmed", 1_600 * MS,
                "rejected", 1_400 * MS,
                "cancelled", 2_900 * MS,
                "unknown", 1_500 * MS);
        Map<String, String> status = Map.of(
                "warm-up", "CONFIRMED",
                "confirmed", "CONFIRMED",
                "rejected", "REJECTED",
                "cancelled", "CANCELLED",
                "unknown", "CONFIRMED");

        long[] decided = LoadGenerator.latencies(
                accepted, ended, status, LoadGenerator.DECIDED, 500 * MS, LoadGenerator.ANY_TIME);
        long[] cancelled =
                LoadGenerator.latencies(accepted, ended, status, Set.of("CANCELLED"), 500 * MS, LoadGenerator.ANY_TIME);

        assertThat(decided)
                .as("warm-up, cancelled, never-accepted and not-ended orders left out; sorted")
                .containsExactly(300 * MS, 600 * MS);
        assertThat(cancelled).containsExactly(1_700 * MS);

        assertThat(LoadGenerator.latencies(
                        accepted, ended, status, LoadGenerator.DECIDED, 500 * MS, LoadGenerator.endedSince(1_500 * MS)))
                .as("the progress line's recent p99: only orders that ended in the window")
                .containsExactly(600 * MS);
        assertThat(LoadGenerator.latencies(
                        accepted, ended, status, LoadGenerator.DECIDED, 500 * MS, LoadGenerator.endedSince(1_700 * MS)))
                .isEmpty();
    }

    @Test
    void shouldGiveTheProgressLineTheTimesItWasGivenSortedAndByEnd() {
        LoadGenerator.DecidedTimes times = new LoadGenerator.DecidedTimes();
        for (int i = 2_000; i > 0; i--) { // more than the first array holds, ends not in order of latency
            times.add(i * MS, (2_001 - i) * MS);
        }

        long[] all = times.sorted(LoadGenerator.ANY_TIME);
        assertThat(all).hasSize(2_000).isSorted();
        assertThat(all[0]).isEqualTo(MS);
        assertThat(all[1_999]).isEqualTo(2_000 * MS);
        assertThat(times.sorted(LoadGenerator.endedSince(1_998 * MS)))
                .as("ended at 1,998, 1,999 and 2,000 ms: the three shortest")
                .containsExactly(MS, 2 * MS, 3 * MS);
        assertThat(times.sorted(LoadGenerator.endedSince(2_001 * MS))).isEmpty();
        assertThat(new LoadGenerator.DecidedTimes().sorted(LoadGenerator.ANY_TIME))
                .isEmpty();
    }

    @Test
    void shouldTakeTheNearestRankPercentileInMilliseconds() {
        long[] hundred = new long[100];
        for (int i = 0; i < hundred.length; i++) {
            hundred[i] = (i + 1) * MS;
        }
        assertThat(LoadGenerator.percentile(hundred, 50)).isEqualTo(50.0);
        assertThat(LoadGenerator.percentile(hundred, 99)).isEqualTo(99.0);
        assertThat(LoadGenerator.percentile(hundred, 100)).isEqualTo(100.0);
        assertThat(LoadGenerator.percentile(new long[] {7 * MS}, 99)).isEqualTo(7.0);
        assertThat(LoadGenerator.percentile(new long[0], 99)).isNaN();
    }

    @Test
    void shouldHandOutVisibilityChecksWhenDueAndEarliestFirst() throws InterruptedException {
        DelayQueue<LoadGenerator.VisibilityCheck> checks = new DelayQueue<>();
        long now = System.nanoTime();
        checks.add(new LoadGenerator.VisibilityCheck("later", now + 60_000 * MS));
        checks.add(new LoadGenerator.VisibilityCheck("second", now - 1 * MS));
        checks.add(new LoadGenerator.VisibilityCheck("first", now - 2 * MS));

        assertThat(checks.poll().orderId()).isEqualTo("first");
        assertThat(checks.poll().orderId()).isEqualTo("second");
        assertThat(checks.poll()).as("not due yet").isNull();

        LoadGenerator.VisibilityCheck check = new LoadGenerator.VisibilityCheck("x", now);
        long[] waits = new long[7];
        for (int i = 0; i < waits.length; i++) {
            check = check.again();
            waits[i] = check.waitNanos() / MS;
            assertThat(check.dueNanos() - System.nanoTime()).isPositive().isLessThanOrEqualTo(check.waitNanos());
        }
        assertThat(waits)
                .as("a lagging read model is asked less and less often")
                .containsExactly(25, 50, 100, 200, 400, 400, 400);
    }
}
