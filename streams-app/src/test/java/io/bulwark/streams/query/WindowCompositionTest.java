package io.bulwark.streams.query;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.junit.jupiter.api.Test;

/**
 * Hopping windows read from tumbling panes are the windows Kafka Streams' own hopping aggregation
 * builds from the same records ({@link TimeWindows#windowsFor}), start, end and value.
 */
class WindowCompositionTest {

    @Property(tries = 300)
    void shouldEqualKafkaStreamsHoppingWindowsOfTheSameRecords(
            @ForAll @IntRange(min = 1, max = 50) int paneMs,
            @ForAll @IntRange(min = 1, max = 6) int advancePanes,
            @ForAll @IntRange(min = 0, max = 5) int extraPanes,
            @ForAll @Size(max = 40) List<@LongRange(min = 0, max = 2_000) Long> timestamps,
            @ForAll @LongRange(min = -100, max = 2_000) long from,
            @ForAll @LongRange(min = 0, max = 1_000) long span) {
        long advance = (long) paneMs * advancePanes;
        long size = advance + (long) paneMs * extraPanes;
        WindowComposition composition = WindowComposition.of(
                Duration.ofMillis(paneMs),
                Duration.ofMillis(size),
                Duration.ofMillis(advance),
                Integer.class,
                Integer::sum);
        Instant fromTime = Instant.ofEpochMilli(from);
        Instant toTime = Instant.ofEpochMilli(from + span);

        // What Kafka Streams would store: every record counted in each hopping window holding it.
        TimeWindows hopping =
                TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(size)).advanceBy(Duration.ofMillis(advance));
        NavigableMap<Long, Object> expected = new TreeMap<>();
        // The panes: each record counted once, in its tumbling window.
        NavigableMap<Long, Object> panes = new TreeMap<>();
        for (long ts : timestamps) {
            for (Map.Entry<Long, TimeWindow> window : hopping.windowsFor(ts).entrySet()) {
                if (window.getKey() >= from && window.getKey() <= from + span) {
                    expected.merge(window.getKey(), 1, (a, b) -> (Integer) a + (Integer) b);
                }
            }
            panes.merge(ts - ts % paneMs, 1, (a, b) -> (Integer) a + (Integer) b);
        }

        // Only the panes a store query for [firstPane, lastPane] returns.
        long firstPane = composition.firstPane(fromTime).toEpochMilli();
        long lastPane = composition.lastPane(toTime).toEpochMilli();
        NavigableMap<Long, Object> read =
                firstPane > lastPane ? new TreeMap<>() : new TreeMap<>(panes.subMap(firstPane, true, lastPane, true));
        assertThat(composition.windows(read, fromTime, toTime)).isEqualTo(expected);
    }

    @Test
    void shouldMergeTheFiveMinutePanesOfAHoppingWindow() {
        long minute = 60_000;
        WindowComposition composition = WindowComposition.of(
                Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(1), Integer.class, Integer::sum);
        NavigableMap<Long, Object> panes = new TreeMap<>(Map.of(10 * minute, 1, 12 * minute, 2, 16 * minute, 4));

        NavigableMap<Long, Object> windows =
                composition.windows(panes, Instant.ofEpochMilli(10 * minute), Instant.ofEpochMilli(12 * minute));

        assertThat(windows)
                .containsExactlyEntriesOf(new TreeMap<>(Map.of(10 * minute, 3, 11 * minute, 2, 12 * minute, 6)));
    }

    @Test
    void shouldRefuseWindowsThatAreNotWholePanes() {
        assertThatThrownBy(() -> WindowComposition.of(
                        Duration.ofMinutes(1),
                        Duration.ofSeconds(150),
                        Duration.ofMinutes(1),
                        Integer.class,
                        Integer::sum))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not made of whole windows");
        assertThat(WindowComposition.composable(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofSeconds(90)))
                .isFalse();
        assertThat(WindowComposition.composable(Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(1)))
                .isTrue();
    }
}
