package io.bulwark.streams.state;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * When entries of a key-value store are due to go: a second key-value store keyed by due time, then
 * key ({@code 0000000001700000000000|order-1 -> order-1}), so the store's byte order is due order and
 * a sweep reads only what is due — never the whole store. The value repeats the key (36 of ~90 bytes for a
 * UUID): an empty value would save it, but a release before it would then read "" as the key and lose
 * saga deadlines on a roll-back, so the value stays until there is a reason worth that step.
 *
 * <p>For entries that must go <em>at</em> their due time — the saga's step deadlines, which fire then. Stores
 * whose entries may outlive their due time (the reader checks the time itself) use a {@link RollingSweep}, which
 * needs no second store. Both keep point look-ups (a RocksDB {@code get} uses bloom filters; a window store's
 * fetch is a seek into every segment, which read every level-0 file and cost the inventory aggregate 10% of its
 * stream thread). The index adds one put per entry and its changelog, and as many again when the entry goes; the
 * caller decides when to sweep (a stream-time or wall-clock punctuator).
 *
 * <p>Entries go by {@code put(key, null)}, not {@code delete}: a store's {@code delete} returns the old
 * value, so RocksDB reads it first (a {@code get} per removal: 3% of the saga's stream thread, 2026-12-02);
 * {@link #sweep} removes the indexed store's entries the same way.
 */
public final class ExpiryIndex {

    private final KeyValueStore<String, String> index;

    public ExpiryIndex(KeyValueStore<String, String> index) {
        this.index = index;
    }

    /** Records that {@code key} is due at {@code atMs}. */
    public void add(String key, long atMs) {
        index.put(indexKey(atMs, key), key);
    }

    /** Forgets that {@code key} was due at {@code atMs} (it was moved or deleted before). */
    public void remove(String key, long atMs) {
        index.put(indexKey(atMs, key), null);
    }

    /**
     * Deletes from {@code entries} every key due at or before {@code nowMs}, and its index entry: the sweep of
     * a store whose entries simply go when due. Returns how many went.
     */
    public int sweep(long nowMs, KeyValueStore<String, ?> entries) {
        List<String> due = takeDue(nowMs);
        due.forEach(key -> entries.put(key, null)); // not delete(): it would read each value first
        return due.size();
    }

    /** Removes and returns, in due order, every key due at or before {@code nowMs}. */
    public List<String> takeDue(long nowMs) {
        List<String> due = new ArrayList<>();
        List<String> indexKeys = new ArrayList<>();
        try (KeyValueIterator<String, String> it = index.range(indexKey(0, ""), indexKey(nowMs, "\uffff"))) {
            it.forEachRemaining(entry -> {
                indexKeys.add(entry.key);
                due.add(entry.value);
            });
        }
        indexKeys.forEach(indexKey -> index.put(indexKey, null));
        return due;
    }

    /**
     * The due time zero-padded to 19 digits (negative times count as 0), {@code |}, then the key — built by
     * hand: {@code String.format} cost 1.5% of a stream thread here.
     */
    public static String indexKey(long atMs, String key) {
        String digits = Long.toString(Math.max(0, atMs));
        StringBuilder out = new StringBuilder(20 + key.length());
        for (int i = digits.length(); i < 19; i++) {
            out.append('0');
        }
        return out.append(digits).append('|').append(key).toString();
    }
}
