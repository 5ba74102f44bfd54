package io.bulwark.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class ExpiryIndexTest {

    @Test
    void shouldTakeOnlyTheKeysDueByTheGivenTimeInDueOrderAndOnlyOnce() {
        KeyValueStore<String, String> store = inMemory();
        ExpiryIndex index = new ExpiryIndex(store);
        index.add("late", 9_000);
        index.add("b", 2_000);
        index.add("a", 1_000);
        index.add("moved", 1_500);
        index.remove("moved", 1_500);
        index.add("moved", 20_000);

        assertThat(index.takeDue(5_000)).containsExactly("a", "b");
        assertThat(index.takeDue(5_000)).isEmpty();
        assertThat(index.takeDue(10_000_000_000L))
                .as("byte order is time order past 10 digits")
                .containsExactly("late", "moved");
        assertThat(store.approximateNumEntries()).isZero();
    }

    @Test
    void shouldSweepDueEntriesOutOfTheIndexedStoreAndKeepTheRest() {
        KeyValueStore<String, String> entries = inMemory();
        KeyValueStore<String, String> store = inMemory();
        ExpiryIndex index = new ExpiryIndex(store);
        entries.put("a", "due");
        entries.put("b", "not yet");
        index.add("a", 1_000);
        index.add("b", 9_000);

        assertThat(index.sweep(5_000, entries)).isEqualTo(1);
        assertThat(entries.get("a")).isNull();
        assertThat(entries.get("b")).isEqualTo("not yet");
        assertThat(store.approximateNumEntries()).isEqualTo(1);
    }

    @Test
    void shouldFormatIndexKeysAsZeroPaddedTimesSoByteOrderIsTimeOrder() {
        for (long t : new long[] {0, 7, 1_700_000_000_000L, Long.MAX_VALUE}) {
            assertThat(ExpiryIndex.indexKey(t, "k")).isEqualTo(String.format("%019d|k", t));
        }
        assertThat(ExpiryIndex.indexKey(-5, "k")).isEqualTo(ExpiryIndex.indexKey(0, "k"));
    }

    private static KeyValueStore<String, String> inMemory() {
        KeyValueStore<String, String> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore("expiry"), Serdes.String(), Serdes.String())
                .withLoggingDisabled()
                .build();
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        return store;
    }
}
