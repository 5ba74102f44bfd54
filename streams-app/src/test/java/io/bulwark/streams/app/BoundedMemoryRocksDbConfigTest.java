package io.bulwark.streams.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.IndexType;
import org.rocksdb.Options;

/**
 * Each store's first write reserves one arena block against the shared write-buffer budget; with RocksDB's
 * default block (memtable/8) ~72 store instances kept the budget full and every write flushed a tiny file.
 */
class BoundedMemoryRocksDbConfigTest {

    private static final long MIB = 1024 * 1024;

    /** The app's defaults, so that the JVM-wide cache this creates is the one the other tests would create. */
    private static Map<String, Object> configs(long memtableBytes) {
        return Map.of(
                BoundedMemoryRocksDbConfig.BLOCK_CACHE_BYTES,
                64 * MIB,
                BoundedMemoryRocksDbConfig.WRITE_BUFFER_BYTES,
                32 * MIB,
                BoundedMemoryRocksDbConfig.HIGH_PRIORITY_POOL_RATIO,
                0.1,
                BoundedMemoryRocksDbConfig.MEMTABLE_BYTES,
                memtableBytes);
    }

    @Test
    void shouldCapTheArenaBlockSoSeventyTwoStoresLeaveMostOfTheBudgetForData() {
        try (Options options = configured(2 * MIB)) {
            assertThat(options.writeBufferSize()).isEqualTo(2 * MIB);
            assertThat(options.arenaBlockSize()).isEqualTo(BoundedMemoryRocksDbConfig.MAX_ARENA_BLOCK_BYTES);
            assertThat(72 * options.arenaBlockSize())
                    .as("72 instances' first blocks against 32 MiB")
                    .isLessThan(32 * MIB / 4);
        }
    }

    @Test
    void shouldKeepRocksDbsOwnBlockForSmallMemtables() {
        try (Options options = configured(256 * 1024)) {
            assertThat(options.arenaBlockSize()).isEqualTo(32 * 1024);
        }
    }

    @Test
    void shouldKeepPartitionedFiltersOnEveryLevelOfTheStoresNamedMissHeavyOnly() {
        Map<String, Object> configs = new HashMap<>(configs(2 * MIB));
        configs.put(BoundedMemoryRocksDbConfig.MISS_HEAVY_STORES, "dedup-ids, answers");
        for (String store : List.of("dedup-ids", "answers", "items", "dedup")) {
            try (Options options = configured(store, configs)) {
                boolean missHeavy = !store.startsWith("items") && !store.equals("dedup");
                BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
                assertThat(options.optimizeFiltersForHits()).as(store).isEqualTo(!missHeavy);
                assertThat(table.partitionFilters()).as(store).isEqualTo(missHeavy);
                assertThat(table.indexType())
                        .as(store)
                        .isEqualTo(missHeavy ? IndexType.kTwoLevelIndexSearch : IndexType.kBinarySearch);
            }
        }
    }

    @Test
    void shouldNameTheAppsMissHeavyStoresInItsStreamsProperties() {
        Object names = ConfigLoader.load(null, Map.of(), Map.of(AppConfig.BOOTSTRAP_SERVERS, "localhost:9092"))
                .streamsProperties()
                .get(BoundedMemoryRocksDbConfig.MISS_HEAVY_STORES);

        assertThat(names).isEqualTo("dedup-order-events-ids,inventory-answers");
    }

    private static Options configured(long memtableBytes) {
        return configured("store", configs(memtableBytes));
    }

    private static Options configured(String store, Map<String, Object> configs) {
        Options options = new Options();
        options.setOptimizeFiltersForHits(true); // as Kafka Streams hands it over
        options.setTableFormatConfig(new BlockBasedTableConfig());
        new BoundedMemoryRocksDbConfig().setConfig(store, options, configs);
        return options;
    }
}
