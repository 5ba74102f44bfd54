package io.bulwark.streams.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

class RollingSweepTest {

    private static final long MINUTE = 60_000;
    private static final Duration PASS = Duration.ofHours(1);
    private static final long PASS_MS = PASS.toMillis();

    @Test
    void shouldDeleteEveryEntryWithinOnePassAfterItIsDueAndNoneBefore() {
        KeyValueStore<String, Long> store = inMemory();
        Random random = new Random(42);
        Map<String, Long> dueAt = new HashMap<>();
        for (int i = 0; i < 3_000; i++) {
            String key = new UUID(random.nextLong(), random.nextLong()).toString();
            long due = random.nextLong(3 * PASS_MS);
            dueAt.put(key, due);
            store.put(key, due);
        }
        RollingSweep<Long> sweep = sweep(store);
        for (long now = 0; now <= 5 * PASS_MS; now += MINUTE) {
            if (now % (37 * MINUTE) == 0) {
                sweep = sweep(store); // a restart: nothing of the sweep survives it but the store
            }
            sweep.sweep(now);
            for (Map.Entry<String, Long> entry : dueAt.entrySet()) {
                Long left = store.get(entry.getKey());
                if (entry.getValue() > now) {
                    assertThat(left)
                            .as("%s is not due before %d", entry.getKey(), now)
                            .isEqualTo(entry.getValue());
                } else if (entry.getValue() + PASS_MS + MINUTE <= now) {
                    assertThat(left)
                            .as("%s was due a pass ago at %d", entry.getKey(), now)
                            .isNull();
                }
            }
        }
        assertThat(store.approximateNumEntries()).isZero();
    }

    @Test
    void shouldReachKeysOfAnyShapeWithinAPass() {
        KeyValueStore<String, Long> store = inMemory();
        List<String> keys = new ArrayList<>(List.of(
                "", "-", "0", "000000", "00000", "0000001", "ffffff", "ffffff-", "fffffff", "g", "order-1", "Z", "zzz",
                "é", "\uffff", "A1B2C3"));
        keys.forEach(key -> store.put(key, 0L));
        RollingSweep<Long> sweep = sweep(store);

        for (long now = MINUTE; now <= PASS_MS + MINUTE; now += MINUTE) {
            sweep.sweep(now);
        }

        assertThat(store.approximateNumEntries())
                .as("left: %s", keys.stream().filter(k -> store.get(k) != null).toList())
                .isZero();
    }

    @Test
    void shouldReadTheWholeStoreWhenStreamTimeJumpsAPassOrMore() {
        KeyValueStore<String, Long> store = inMemory();
        for (int i = 0; i < 100; i++) {
            store.put(UUID.randomUUID().toString(), 1_000L);
        }
        store.put("never", Long.MAX_VALUE);
        RollingSweep<Long> sweep = sweep(store);
        assertThat(sweep.sweep(500)).as("nothing due yet").isZero();

        assertThat(sweep.sweep(500 + PASS_MS)).isEqualTo(100);
        assertThat(store.get("never")).isEqualTo(Long.MAX_VALUE);
        assertThat(sweep.sweep(500 + PASS_MS)).as("stream time did not move").isZero();
    }

    @Test
    void shouldMapStreamTimeOntoSixHexDigitPrefixesInByteOrder() {
        RollingSweep<Long> sweep = sweep(inMemory());
        assertThat(RollingSweep.prefix(sweep.position(0))).isEqualTo("000000");
        assertThat(RollingSweep.prefix(sweep.position(PASS_MS / 2))).isEqualTo("800000");
        assertThat(RollingSweep.prefix(sweep.position(PASS_MS - 1))).isEqualTo("fffffb"); // 2^24 × (1 − 1/3,600,000)
        assertThat(RollingSweep.prefix(sweep.position(PASS_MS))).isEqualTo("000000");
        assertThat(RollingSweep.prefix(sweep.position(-1)))
                .as("before the epoch")
                .isEqualTo("fffffb");
        assertThat(RollingSweep.prefix(0xa)).isEqualTo("00000a");
        assertThat(new RollingSweep<>(inMemory(), Duration.ofDays(30), Duration.ofMinutes(1), v -> v)
                        .position(Duration.ofDays(30).toMillis() - 1))
                .as("a long pass does not overflow")
                .isEqualTo((1L << 24) - 1);
    }

    @Test
    void shouldRefuseAPassThatIsNotPositive() {
        assertThatThrownBy(() -> new RollingSweep<>(inMemory(), Duration.ZERO, Duration.ofMinutes(1), v -> v))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("pass");
    }

    private static RollingSweep<Long> sweep(KeyValueStore<String, Long> store) {
        return new RollingSweep<>(store, PASS, Duration.ofMinutes(1), due -> due);
    }

    private static KeyValueStore<String, Long> inMemory() {
        KeyValueStore<String, Long> store = Stores.keyValueStoreBuilder(
                        Stores.inMemoryKeyValueStore("entries"), Serdes.String(), Serdes.Long())
                .withLoggingDisabled()
                .build();
        MockProcessorContext<String, String> context = new MockProcessorContext<>();
        store.init(context.getStateStoreContext(), store);
        return store;
    }
}
