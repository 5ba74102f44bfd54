package io.bulwark.streams.state;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.ToLongFunction;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessingContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Bounds a key-value store whose values say when they are due, without a second store: each sweep reads the
 * slice of the key space that stream time crossed since the sweep before, so the whole store is read once per
 * {@code pass} of stream time, and deletes what is due in it.
 *
 * <p>Where in the key space a sweep reads is a function of stream time alone: stream time modulo {@code pass}
 * maps onto the 6-hex-digit key prefixes {@code 000000…ffffff} (the first and last slices open-ended, so a key of
 * any shape falls in exactly one slice). Nothing is stored, and a restart resumes at the right place. Keys that are
 * UUIDs (event ids, command ids) spread evenly over the slices; other keys make the slices uneven, never missed.
 *
 * <p><b>What it costs and bounds.</b> Against an {@link ExpiryIndex} — one more put and changelog record per
 * entry, and one more of each when it goes — this reads each entry once per {@code pass}. An entry goes between its
 * due time and one {@code pass} later, so a store whose entries are due {@code retention} after they were written,
 * swept with {@code pass = retention}, holds at most two retentions' worth. Use it where an entry kept past its due
 * time changes no answer (the reader checks the time itself) and for stores whose entries are small to read.
 *
 * <p>Entries go by {@code put(key, null)}, not {@code delete} (which reads each value first: see
 * {@link ExpiryIndex}).
 */
public final class RollingSweep<V> {

    /** 16^6 positions: the 6-hex-digit prefixes. */
    private static final long POSITIONS = 1L << 24;
    /** The longest pass whose positions fit a long: 2^39 ms, about 17 years. */
    private static final long MAX_PASS_MS = 1L << 39;

    private final KeyValueStore<String, V> entries;
    private final long passMs;
    private final long everyMs;
    private final ToLongFunction<V> dueAtMs;
    private long lastMs = Long.MIN_VALUE;

    /**
     * @param entries the store to sweep
     * @param pass how much stream time one read of the whole key space takes
     * @param every how often {@link #scheduleOn} sweeps, in stream time: the first sweep after a start
     *     reads the slice of the last two {@code every}, which covers what the last sweep before the stop left
     * @param dueAtMs when an entry is due, in stream time ({@link Long#MAX_VALUE}: never)
     */
    public RollingSweep(KeyValueStore<String, V> entries, Duration pass, Duration every, ToLongFunction<V> dueAtMs) {
        this.entries = Objects.requireNonNull(entries, "entries");
        this.passMs = pass.toMillis();
        this.everyMs = every.toMillis();
        this.dueAtMs = Objects.requireNonNull(dueAtMs, "dueAtMs");
        if (passMs <= 0 || passMs > MAX_PASS_MS || everyMs <= 0) {
            throw new IllegalArgumentException(
                    "pass " + pass + " must be positive and at most 2^39 ms, every " + every + " positive");
        }
    }

    /** Sweeps every {@code every} of the task's stream time, from now on (in a processor's {@code init}). */
    public void scheduleOn(ProcessingContext context) {
        context.schedule(Duration.ofMillis(everyMs), PunctuationType.STREAM_TIME, this::sweep);
    }

    /**
     * Deletes every due entry (due at or before {@code nowMs}) in the slice of the key space stream time moved across
     * since the last sweep — all of it when that was a whole pass or more. Returns how many went.
     */
    public int sweep(long nowMs) {
        long fromMs = lastMs == Long.MIN_VALUE ? nowMs - 2 * everyMs : lastMs;
        if (nowMs <= fromMs) {
            return 0;
        }
        lastMs = nowMs;
        List<String> due = new ArrayList<>();
        if (nowMs - fromMs >= passMs) {
            collectDue(null, null, nowMs, due);
        } else {
            long from = position(fromMs);
            long to = position(nowMs);
            if (from <= to) {
                collectDue(prefix(from), prefix(to), nowMs, due);
            } else { // the slice wraps around the end of the key space
                collectDue(prefix(from), null, nowMs, due);
                collectDue(null, prefix(to), nowMs, due);
            }
        }
        due.forEach(key -> entries.put(key, null));
        return due.size();
    }

    /** Where stream time {@code ms} is in the pass, as a position in {@code [0, POSITIONS)}. */
    long position(long ms) {
        return Math.floorMod(ms, passMs) * POSITIONS / passMs; // below 2^24 × MAX_PASS_MS = 2^63
    }

    /** The 6-hex-digit key prefix of a position: keys are compared as UTF-8 bytes, and '0'–'9' sort before 'a'–'f'. */
    static String prefix(long position) {
        String hex = Long.toHexString(position);
        return "000000".substring(hex.length()) + hex;
    }

    /** Keys in {@code [from, to]} (null: open-ended) whose entries are due at or before {@code nowMs}. */
    private void collectDue(String from, String to, long nowMs, List<String> due) {
        try (KeyValueIterator<String, V> it = entries.range(from, to)) {
            while (it.hasNext()) {
                KeyValue<String, V> entry = it.next();
                if (entry.value != null && dueAtMs.applyAsLong(entry.value) <= nowMs) {
                    due.add(entry.key);
                }
            }
        }
    }
}
