package io.bulwark.streams.app;

import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.IndexType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

/**
 * Bounds the memory of every RocksDB store in this JVM: all stores share one LRU block cache, and
 * their memtables are charged to that same cache through one {@link WriteBufferManager}; index and
 * filter blocks live in the cache too (high-priority pool). Total RocksDB memory is then about
 * {@code rocksdb.block.cache.bytes}, however many stores and partitions the instance hosts —
 * the recipe from Kafka Streams' memory management guide. Each store's memtable is small
 * ({@link #MEMTABLE_BYTES}, 2 MiB by default): with dozens of stores and window segments sharing
 * a 16 MiB write-buffer budget, RocksDB's default 64 MiB memtables made the manager force a flush
 * of tiny files on nearly every write (measured: rate accounting 1.5–6k records/s at 16 MiB
 * memtables, 9–10k at 1–2 MiB; see benchmarks/RESULTS.md).
 *
 * <p>Every store instance also holds memory the moment it is written: its memtable's arena blocks
 * (RocksDB's default block is a memtable/8, 256 KiB here). The whole app on 6 partitions is about 72
 * instances, so the default 256 KiB blocks alone kept a 16 MiB budget permanently over its limit and
 * each write flushed the memtable it touched: 12 KB SST files, ~480 fsyncs/s, a CPU-bound test 5x
 * slower on a slower disk. Blocks are capped at {@link #MAX_ARENA_BLOCK_BYTES} and the default budget is
 * 32 MiB: ~20 fsyncs/s on the same run (benchmarks/RESULTS.md, "rocksdb-flush-syncs"). Keep
 * {@code rocksdb.write.buffer.bytes} well above (store partitions hosted) × 64 KiB.
 *
 * <p>The cache is created by the first store that opens, with the sizes in the streams config
 * ({@link #BLOCK_CACHE_BYTES}, {@link #WRITE_BUFFER_BYTES}, {@link #HIGH_PRIORITY_POOL_RATIO}),
 * and lives as long as the JVM: several {@code KafkaStreams} in one JVM share it, first sizes win.
 */
public final class BoundedMemoryRocksDbConfig implements RocksDBConfigSetter {

    public static final String BLOCK_CACHE_BYTES = "bulwark.rocksdb.block.cache.bytes";
    public static final String WRITE_BUFFER_BYTES = "bulwark.rocksdb.write.buffer.bytes";
    public static final String HIGH_PRIORITY_POOL_RATIO = "bulwark.rocksdb.high.priority.pool.ratio";
    public static final String MEMTABLE_BYTES = "bulwark.rocksdb.memtable.bytes";
    /**
     * Stores whose look-ups mostly miss (a comma-separated list of store names): they keep bloom filters on
     * every level, partitioned. See {@link #setConfig}.
     */
    public static final String MISS_HEAVY_STORES = "bulwark.rocksdb.miss.heavy.stores";

    /** Arena block cap: an instance's first write reserves one block against the shared budget. */
    static final long MAX_ARENA_BLOCK_BYTES = 64 * 1024;

    private static Shared shared;

    private record Shared(Cache cache, WriteBufferManager writeBufferManager) {}

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        Shared memory = shared(configs);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(memory.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(memory.writeBufferManager());
        // Small memtables: many stores (every window-store segment is a RocksDB instance) share one
        // write-buffer budget; large per-store memtables make the manager force tiny flushes.
        long memtableBytes = number(configs, MEMTABLE_BYTES).longValue();
        options.setWriteBufferSize(memtableBytes);
        options.setArenaBlockSize(Math.min(memtableBytes / 8, MAX_ARENA_BLOCK_BYTES));
        if (missHeavy(configs).contains(storeName)) {
            // Kafka Streams builds the bottom level without bloom filters (optimizeFiltersForHits): right for a
            // store whose look-ups find their key, where the bottom level holds most keys and their filters most
            // of the filter memory. A store asked mostly for keys it does not hold (dedup's ids, the inventory's
            // remembered answers: every new id) then reads an index and a data block of the bottom level on each
            // miss. Filters there end most misses at the filter (PROFILES.md, 2026-12-05, twentieth round), for
            // ~1.25 B per key in the block cache. Partitioned, so that a miss loads one 4 KiB filter partition,
            // never a whole file's filter, when the cache cannot hold them all.
            options.setOptimizeFiltersForHits(false);
            table.setPartitionFilters(true);
            table.setIndexType(IndexType.kTwoLevelIndexSearch);
        }
        options.setTableFormatConfig(table);
    }

    private static Set<String> missHeavy(Map<String, Object> configs) {
        Object value = configs.get(MISS_HEAVY_STORES);
        if (value == null) {
            return Set.of();
        }
        return Arrays.stream(value.toString().split(","))
                .map(String::trim)
                .filter(name -> !name.isEmpty())
                .collect(Collectors.toUnmodifiableSet());
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and write buffer manager are shared by every store: never closed per store.
    }

    private static synchronized Shared shared(Map<String, Object> configs) {
        if (shared == null) {
            long cacheBytes = number(configs, BLOCK_CACHE_BYTES).longValue();
            long writeBufferBytes = number(configs, WRITE_BUFFER_BYTES).longValue();
            double highPriorityRatio = number(configs, HIGH_PRIORITY_POOL_RATIO).doubleValue();
            Cache cache = new LRUCache(cacheBytes, -1, false, highPriorityRatio);
            shared = new Shared(cache, new WriteBufferManager(writeBufferBytes, cache));
        }
        return shared;
    }

    private static Number number(Map<String, Object> configs, String key) {
        Object value = configs.get(key);
        if (value instanceof Number n) {
            return n;
        }
        if (value instanceof String s) {
            try {
                return Double.parseDouble(s);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("Streams config " + key + " = '" + s + "' is not a number", e);
            }
        }
        throw new IllegalArgumentException("Streams config " + key + " must be set (a number) when "
                + BoundedMemoryRocksDbConfig.class.getName() + " is the RocksDB config setter; got " + value);
    }
}
