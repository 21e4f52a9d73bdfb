package dev.engagement.store;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * Bounds the memory of every RocksDB store of this JVM together: one shared block cache (index and
 * filter blocks included) and one write-buffer manager charged to it, so the total off-heap memory
 * of all stores stays near {@link #TOTAL_BYTES}, however many tasks and stores the instance holds.
 * Set as {@code rocksdb.config.setter} by default.
 *
 * <p>The size comes from the system property {@code engagement.rocksdb.memory.bytes} (default
 * 256 MiB); a quarter of it goes to memtables.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {

    /** Off-heap bytes shared by every store (block cache plus memtables). */
    public static final long TOTAL_BYTES = Long.getLong("engagement.rocksdb.memory.bytes", 256L << 20);

    private static final Cache CACHE = new LRUCache(TOTAL_BYTES, -1, false, 0.1);
    private static final WriteBufferManager WRITE_BUFFERS = new WriteBufferManager(TOTAL_BYTES / 4, CACHE);

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(CACHE);
        table.setCacheIndexAndFilterBlocks(true);
        table.setPinTopLevelIndexAndFilter(true);
        options.setWriteBufferManager(WRITE_BUFFERS);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write-buffer manager are shared by every store: never closed here.
    }
}
