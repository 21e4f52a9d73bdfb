package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.rocksdb.FlushOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A RocksDB database laid out as a task's sketch store ({@link SegmentDayKey} keys, canonical sketch
 * bytes, {@link TaskMetadata} entries), opened outside Kafka Streams: the benchmark fills one to time
 * queries and measure bytes on disk without a broker. Not thread-safe for writes; close it.
 */
public final class StandaloneSketchDb implements AutoCloseable {

    private final Options options;
    private final RocksDB db;
    private final WriteOptions write;

    private StandaloneSketchDb(Options options, RocksDB db, WriteOptions write) {
        this.options = options;
        this.db = db;
        this.write = write;
    }

    /** Creates (or opens) the database in {@code dir}. */
    public static StandaloneSketchDb open(Path dir) {
        RocksDB.loadLibrary();
        Options options = new Options().setCreateIfMissing(true);
        try {
            return new StandaloneSketchDb(options, RocksDB.open(options, dir.toString()),
                new WriteOptions().setDisableWAL(true));
        } catch (RocksDBException e) {
            options.close();
            throw new IllegalStateException("cannot open RocksDB in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Writes every entry in one batch. */
    public void putAll(Map<Bytes, byte[]> entries) {
        try (WriteBatch batch = new WriteBatch()) {
            for (Map.Entry<Bytes, byte[]> e : entries.entrySet()) {
                batch.put(e.getKey().get(), e.getValue());
            }
            db.write(write, batch);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    public void put(Bytes key, byte[] value) {
        try {
            db.put(write, key.get(), value);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Flushes the memtable and compacts, so that the files on disk are what a settled store holds. */
    public void settle() {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            db.flush(flush);
            db.compactRange();
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The entry under {@code key}, or null. */
    public byte[] get(Bytes key) {
        try {
            return db.get(key.get());
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Every data entry of days {@code fromDay..toDay}, inclusive, in key order. */
    public void scanDays(int fromDay, int toDay, BiConsumer<byte[], byte[]> visitor) {
        if (toDay < fromDay) {
            return;
        }
        byte[] end = SegmentDayKey.dayStart(toDay + 1).get();
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(SegmentDayKey.dayStart(Math.max(fromDay, 0)).get()); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (Arrays.compareUnsigned(key, end) >= 0) {
                    break;
                }
                visitor.accept(key, it.value());
            }
        }
    }

    /** Every entry whose key starts with {@code prefix}, in key order. */
    public void scanPrefix(byte[] prefix, BiConsumer<byte[], byte[]> visitor) {
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(prefix); it.isValid(); it.next()) {
                byte[] key = it.key();
                if (!SegmentDayKey.startsWith(key, prefix)) {
                    break;
                }
                visitor.accept(key, it.value());
            }
        }
    }

    /** The first day with data, or -1 when there is none. */
    public int firstDay() {
        try (RocksIterator it = db.newIterator()) {
            it.seekToFirst();
            return it.isValid() && !TaskMetadata.isMetadata(it.key()) ? SegmentDayKey.day(it.key()) : -1;
        }
    }

    @Override
    public void close() {
        write.close();
        db.close();
        options.close();
    }
}
