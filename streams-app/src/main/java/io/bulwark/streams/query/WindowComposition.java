package io.bulwark.streams.query;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.BinaryOperator;

/**
 * Hopping windows that are not stored but read as the merge of the stored tumbling windows ("panes")
 * they are made of — hopping windows of 5 minutes advancing by 1 minute are each five 1-minute
 * tumbling windows. One stored update per record instead of {@code size / advance}.
 *
 * <p>Windows are aligned to the epoch and start at 0 or later, as Kafka Streams' {@code TimeWindows}
 * are, so the same input gives the same windows (start, end, value) as a hopping aggregation would —
 * for records its panes count. A window is present when at least one of its panes is.
 *
 * @param paneSize the stored windows' size; divides {@code size} and {@code advance}
 * @param size the composed windows' size
 * @param advance the composed windows' advance
 * @param merge combines two pane values (associative; panes are merged in start order)
 */
public record WindowComposition(Duration paneSize, Duration size, Duration advance, BinaryOperator<Object> merge) {

    public WindowComposition {
        Objects.requireNonNull(merge, "merge");
        if (!composable(paneSize, size, advance)) {
            throw new IllegalArgumentException("Windows of " + size + " advancing by " + advance
                    + " are not made of whole windows of " + paneSize);
        }
    }

    /** Windows of {@code size} advancing by {@code advance}, composed of {@code paneSize} panes of {@code type}. */
    public static <V> WindowComposition of(
            Duration paneSize, Duration size, Duration advance, Class<V> type, BinaryOperator<V> merge) {
        Objects.requireNonNull(type, "type");
        return new WindowComposition(paneSize, size, advance, (a, b) -> merge.apply(type.cast(a), type.cast(b)));
    }

    /** Whether windows of {@code size} advancing by {@code advance} are whole panes of {@code paneSize}. */
    public static boolean composable(Duration paneSize, Duration size, Duration advance) {
        long pane = paneSize.toMillis();
        return pane > 0
                && advance.toMillis() > 0
                && advance.compareTo(size) <= 0
                && size.toMillis() % pane == 0
                && advance.toMillis() % pane == 0;
    }

    /** The first pane start to read for windows starting in {@code [from, to]}. */
    public Instant firstPane(Instant from) {
        long advanceMs = advance.toMillis();
        long first = Math.max(0, alignUp(from.toEpochMilli(), advanceMs));
        return Instant.ofEpochMilli(first);
    }

    /** The last pane start to read for windows starting in {@code [from, to]}. */
    public Instant lastPane(Instant to) {
        long advanceMs = advance.toMillis();
        long lastWindow = Math.floorDiv(to.toEpochMilli(), advanceMs) * advanceMs;
        return Instant.ofEpochMilli(lastWindow + size.toMillis() - paneSize.toMillis());
    }

    /**
     * The windows starting in {@code [from, to]}, by start, each the merge of the {@code panes} (by
     * start) it covers; windows no pane covers are absent.
     */
    public NavigableMap<Long, Object> windows(NavigableMap<Long, Object> panes, Instant from, Instant to) {
        long sizeMs = size.toMillis();
        long advanceMs = advance.toMillis();
        long fromMs = Math.max(0, from.toEpochMilli());
        long toMs = to.toEpochMilli();
        NavigableMap<Long, Object> windows = new TreeMap<>();
        for (Map.Entry<Long, Object> pane : panes.entrySet()) {
            long start = pane.getKey();
            // The windows holding this pane start at multiples of advance in (start - size, start].
            long first = Math.max(0, Math.floorDiv(start - sizeMs, advanceMs) * advanceMs + advanceMs);
            for (long window = Math.max(first, alignUp(fromMs, advanceMs));
                    window <= start && window <= toMs;
                    window += advanceMs) {
                windows.merge(window, pane.getValue(), merge);
            }
        }
        return windows;
    }

    /** The smallest multiple of {@code step} at or after {@code ms}. */
    private static long alignUp(long ms, long step) {
        return -Math.floorDiv(-ms, step) * step;
    }
}
