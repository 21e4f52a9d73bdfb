package dev.engagement.store;

import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.InternalProcessorContext;
import org.apache.kafka.streams.processor.internals.ProcessorRecordContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.CacheFlushListener;
import org.apache.kafka.streams.state.internals.CachedStateStore;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The sketches of one task: live {@code HLL_8} sketches for the (segment, day)s touched since they
 * opened, in front of a logged RocksDB store of canonical compact bytes keyed by
 * {@link SegmentDayKey}.
 *
 * <p>Threading: the mutating methods ({@link #sketchFor}, {@link #flushDirty}, {@link #evict},
 * {@link #put}, {@link #delete}) belong to the stream thread that owns the task. The read-only
 * {@link ReadOnlyKeyValueStore} methods serve Interactive Queries from any thread and read only
 * RocksDB, which holds every change up to the last flush (at most one flush interval old).
 * Iterators returned by {@link #range} and {@link #all} must be closed by the caller.
 */
public final class SketchStore implements StateStore, ReadOnlyKeyValueStore<Bytes, byte[]>,
    CachedStateStore<Bytes, byte[]> {

    /** A live sketch and whether it changed since it was last written / sent downstream. */
    private static final class Live {
        final Bytes key;
        final HllSketch sketch;
        boolean storeDirty;
        boolean downstreamDirty;
        byte[] bytes;

        Live(Bytes key, HllSketch sketch, byte[] bytes) {
            this.key = key;
            this.sketch = sketch;
            this.bytes = bytes;
        }
    }

    private final KeyValueStore<Bytes, byte[]> inner;
    private final Sketches sketches;
    private final Map<Bytes, Live> live = new HashMap<>();
    // Changed since the last write / downstream send: a flush costs what changed, not what is live.
    private final List<Live> storeDirty = new ArrayList<>();
    private final List<Live> downstreamDirty = new ArrayList<>();
    private final Map<Bytes, byte[]> atCommit = new HashMap<>();
    private InternalProcessorContext<?, ?> internalContext;
    private long changelogTimestamp;

    SketchStore(KeyValueStore<Bytes, byte[]> inner, Sketches sketches) {
        this.inner = inner;
        this.sketches = sketches;
    }

    // ---- stream-thread API --------------------------------------------------------------------

    /**
     * The live sketch of a (segment, day), loaded from RocksDB on first touch, and marked dirty:
     * the caller is about to update it.
     */
    public HllSketch sketchFor(Bytes key) {
        Live entry = live.get(key);
        if (entry == null) {
            byte[] stored = inner.get(key);
            entry = new Live(key, stored == null ? sketches.newLive() : sketches.liveFromBytes(stored), stored);
            live.put(key, entry);
        }
        if (!entry.storeDirty) {
            entry.storeDirty = true;
            storeDirty.add(entry);
        }
        if (!entry.downstreamDirty) {
            entry.downstreamDirty = true;
            downstreamDirty.add(entry);
        }
        return entry.sketch;
    }

    /**
     * Writes every live sketch and drops them all from memory (they reload from RocksDB when next
     * touched). Callers drain {@link #drainDownstream} first: pending downstream sends are dropped.
     */
    public void evictAll() {
        flushDirty();
        live.clear();
        downstreamDirty.clear();
    }

    /** Number of live sketches held in memory. */
    public int liveCount() {
        return live.size();
    }

    /** Sets the timestamp of the changelog records written by the next flushes (stream time). */
    public void changelogTimestamp(long timestamp) {
        this.changelogTimestamp = timestamp;
    }

    /**
     * Writes every sketch changed since the last write to RocksDB (and its changelog).
     *
     * @return how many sketches were written
     */
    public int flushDirty() {
        int written = storeDirty.size();
        for (Live entry : storeDirty) {
            entry.bytes = Sketches.toBytes(entry.sketch);
            entry.storeDirty = false;
            putWithContext(entry.key, entry.bytes);
        }
        storeDirty.clear();
        return written;
    }

    /**
     * The current bytes of every sketch changed since the last call, for the downstream topic.
     * Writes them to RocksDB first.
     */
    public List<KeyValue<Bytes, byte[]>> drainDownstream() {
        flushDirty();
        List<KeyValue<Bytes, byte[]>> changed = new ArrayList<>(downstreamDirty.size());
        for (Live entry : downstreamDirty) {
            entry.downstreamDirty = false;
            if (live.get(entry.key) == entry) { // not evicted meanwhile
                changed.add(KeyValue.pair(entry.key, entry.bytes));
            }
        }
        downstreamDirty.clear();
        return changed;
    }

    /**
     * Writes and then drops from memory the live sketches of every day up to {@code lastDay}.
     * Used once a day has passed grace and can no longer change.
     */
    public void evict(int lastDay) {
        flushDirty();
        Iterator<Bytes> keys = live.keySet().iterator();
        while (keys.hasNext()) {
            if (SegmentDayKey.day(keys.next().get()) <= lastDay) {
                keys.remove();
            }
        }
        // Evicted days are sent downstream as closed by the caller; drop their pending sends.
        downstreamDirty.removeIf(entry -> {
            boolean gone = live.get(entry.key) != entry;
            if (gone) {
                entry.downstreamDirty = false;
            }
            return gone;
        });
    }

    /** Writes a value straight to RocksDB (metadata, or state written by other processors). */
    public void put(Bytes key, byte[] value) {
        putWithContext(key, value);
    }

    /**
     * Writes a value at the next commit, right before Kafka Streams flushes what the task sent and
     * commits offsets: a marker that everything sent before it is durable.
     */
    public void putAtCommit(Bytes key, byte[] value) {
        atCommit.put(key, value);
    }

    /** Deletes a key from memory and RocksDB. */
    public void delete(Bytes key) {
        Live entry = live.remove(key);
        if (entry != null) {
            storeDirty.remove(entry);
            downstreamDirty.remove(entry);
        }
        putWithContext(key, null);
    }

    private void putWithContext(Bytes key, byte[] value) {
        // Writes from a punctuation or a commit have no record of their own: give the changelog
        // record the stream time, and restore whatever context was current.
        ProcessorRecordContext previous = internalContext == null ? null : internalContext.recordContext();
        if (internalContext != null) {
            internalContext.setRecordContext(new ProcessorRecordContext(
                changelogTimestamp, -1L, -1, null, new RecordHeaders()));
        }
        try {
            if (value == null) {
                inner.delete(key);
            } else {
                inner.put(key, value);
            }
        } finally {
            if (internalContext != null) {
                internalContext.setRecordContext(previous);
            }
        }
    }

    // ---- StateStore ---------------------------------------------------------------------------

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        if (context instanceof InternalProcessorContext<?, ?> internal) {
            this.internalContext = internal;
        }
        inner.init(context, root);
    }

    @Override
    @SuppressWarnings("deprecation")
    public void flush() {
        flushDirty();
        inner.flush();
    }

    @Override
    public void commit(Map<org.apache.kafka.common.TopicPartition, Long> changelogOffsets) {
        flushDirty();
        inner.commit(changelogOffsets);
    }

    /** Called by Kafka Streams before every commit: the changelog must hold what offsets claim. */
    @Override
    public void flushCache() {
        flushDirty();
        atCommit.forEach(this::putWithContext);
        atCommit.clear();
    }

    @Override
    public void clearCache() {
        live.clear();
        atCommit.clear();
        storeDirty.clear();
        downstreamDirty.clear();
    }

    @Override
    public boolean setFlushListener(CacheFlushListener<Bytes, byte[]> listener, boolean sendOldValues) {
        return false;
    }

    @Override
    public void close() {
        clearCache();
        inner.close();
    }

    @Override
    public boolean persistent() {
        return inner.persistent();
    }

    @Override
    public boolean isOpen() {
        return inner.isOpen();
    }

    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    // ---- ReadOnlyKeyValueStore (Interactive Queries) -------------------------------------------

    @Override
    public byte[] get(Bytes key) {
        return inner.get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return inner.range(from, to);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
        return inner.reverseRange(from, to);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return inner.all();
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll() {
        return inner.reverseAll();
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries();
    }
}
