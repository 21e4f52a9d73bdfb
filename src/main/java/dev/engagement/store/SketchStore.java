package dev.engagement.store;

import dev.engagement.sketch.LiveSketch;
import dev.engagement.sketch.Sketches;

import org.apache.kafka.common.TopicPartition;
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

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ToIntFunction;

/**
 * The sketches of one task: live {@code HLL_8} sketches of its open days (loaded when the task
 * starts, created on first touch), in front of a logged RocksDB store of canonical compact bytes
 * keyed by {@link SegmentDayKey}. Changed sketches are written to RocksDB and its changelog when
 * Kafka Streams commits ({@link #flushCache}), when a day closes ({@link #evict}) and when the live
 * set is dropped under the memory cap ({@link #evictAll}); never per ping, and not on a timer.
 *
 * <p>Threading: the mutating methods ({@link #update}, {@link #flushDirty}, {@link #evict},
 * {@link #put}, {@link #delete}) belong to the stream thread that owns the task. The read-only
 * {@link ReadableSketchStore} methods serve Interactive Queries from any thread: once the task's
 * processor has loaded the live set ({@link #servesLive}), they read each live sketch as it is now
 * (see {@link LiveSketches#liveRange}) and RocksDB for the rest; before that, and on a standby,
 * RocksDB alone, as of the last commit. Iterators returned by {@link #range} and {@link #all} must be
 * closed by the caller.
 */
public final class SketchStore implements StateStore, ReadableSketchStore, CachedStateStore<Bytes, byte[]> {

    private final KeyValueStore<Bytes, byte[]> inner;
    private final LiveSketches live;
    private final Map<Bytes, byte[]> atCommit = new HashMap<>();
    private InternalProcessorContext<?, ?> internalContext;
    private long changelogTimestamp;
    /** Set once the stream thread has loaded the live set: reads then include it. */
    private volatile boolean servesLive;

    SketchStore(KeyValueStore<Bytes, byte[]> inner, Sketches sketches) {
        this.inner = inner;
        this.live = new LiveSketches(sketches);
    }

    /**
     * A sketch store over any key-value store, for tests and tools that run a processor without
     * Kafka Streams' logging (the topology's own store comes from {@link SketchStoreBuilder}).
     */
    public static SketchStore over(KeyValueStore<Bytes, byte[]> inner, Sketches sketches) {
        return new SketchStore(inner, sketches);
    }

    // ---- stream-thread API --------------------------------------------------------------------

    /**
     * Replaces the live set with the stored sketches of {@code fromDay} and later (writing what
     * changed first), so that a first touch of those days needs no RocksDB read. Reads no more than
     * {@code limit} sketches: past that, first touches read RocksDB.
     *
     * <p>Safe to call again on the same store (a task that Kafka Streams suspends and resumes runs
     * its processor's {@code init} again, with new segment ids): nothing from the previous live set
     * survives.
     *
     * @param segmentOf the segment id of a stored key, or -1 to leave the key out (a key of another
     *                  dimension layout)
     * @return how many sketches were loaded
     */
    public int loadFrom(int fromDay, ToIntFunction<Bytes> segmentOf, int limit) {
        flushDirty();
        live.reset();
        int[] loaded = {0};
        boolean whole = DayRanges.forEach(inner, fromDay, Integer.MAX_VALUE, (key, value) -> {
            if (loaded[0] >= limit) {
                return false; // days stay marked as possibly holding unloaded sketches
            }
            int segment = segmentOf.applyAsInt(key);
            if (segment >= 0) {
                live.load(SegmentDayKey.day(key.get()), segment, key, value);
                loaded[0]++;
            }
            return true;
        });
        if (whole) {
            live.storedThrough(fromDay - 1);
        }
        servesLive = true;
        return loaded[0];
    }

    /**
     * Folds a client id into the live sketch of a (day, segment); only a change makes it dirty. See
     * {@link LiveSketches#update}.
     *
     * @return whether the sketch changed
     */
    public boolean update(int day, int segment, LiveSketches.SegmentKeys keys, String clientId) {
        return live.update(day, segment, keys, inner::get, clientId);
    }

    /**
     * Writes every live sketch and drops them all from memory (they reload from RocksDB when next
     * touched). Callers drain {@link #drainDownstream} first: pending downstream sends are dropped.
     */
    public void evictAll() {
        flushDirty();
        live.evictAll();
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
     * Writes every sketch changed since the last write to RocksDB (and its changelog), in one batch.
     *
     * @return how many sketches were written
     */
    public int flushDirty() {
        List<KeyValue<Bytes, byte[]>> batch = live.takeStoreDirty();
        if (!batch.isEmpty()) {
            putAllWithContext(batch);
        }
        return batch.size();
    }

    /**
     * The current bytes of every sketch changed since the last call, for the downstream topic.
     * Writes nothing to the store.
     */
    public List<KeyValue<Bytes, byte[]>> drainDownstream() {
        return live.takeDownstreamDirty();
    }

    /**
     * Writes and then drops from memory the live sketches of every day up to {@code lastDay}, with
     * their pending downstream sends. Used once a day has passed grace and can no longer change.
     */
    public void evict(int lastDay) {
        flushDirty();
        live.evictThrough(lastDay);
    }

    /**
     * What RocksDB holds, without the live sketches laid over it: every change up to the last write.
     * For the stream thread's own walks that need no live state (a resync after a restart sends
     * what was committed; days just written; metadata), which then copy no live sketch.
     */
    public ReadOnlyKeyValueStore<Bytes, byte[]> written() {
        return inner;
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
        live.remove(key);
        putWithContext(key, null);
    }

    private void putWithContext(Bytes key, byte[] value) {
        ProcessorRecordContext previous = enterFlushContext();
        try {
            if (value == null) {
                inner.delete(key);
            } else {
                inner.put(key, value);
            }
        } finally {
            leaveFlushContext(previous);
        }
    }

    private void putAllWithContext(List<KeyValue<Bytes, byte[]>> entries) {
        ProcessorRecordContext previous = enterFlushContext();
        try {
            inner.putAll(entries);
        } finally {
            leaveFlushContext(previous);
        }
    }

    /**
     * Writes from a punctuation or a commit have no record of their own: give the changelog records
     * the stream time, and return whatever context was current (restored by {@link #leaveFlushContext}).
     */
    private ProcessorRecordContext enterFlushContext() {
        if (internalContext == null) {
            return null;
        }
        ProcessorRecordContext previous = internalContext.recordContext();
        internalContext.setRecordContext(new ProcessorRecordContext(changelogTimestamp, -1L, -1, null, new RecordHeaders()));
        return previous;
    }

    private void leaveFlushContext(ProcessorRecordContext previous) {
        if (internalContext != null) {
            internalContext.setRecordContext(previous);
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
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
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
        servesLive = false;
        live.reset();
        atCommit.clear();
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

    /** IQv2 reads RocksDB alone, as of the last write; Engagement's queries read through {@link ReadableSketchStore}. */
    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return inner.query(query, positionBound, config);
    }

    @Override
    public Position getPosition() {
        return inner.getPosition();
    }

    // ---- ReadableSketchStore (Interactive Queries, and the stream thread's own reads) ----------

    @Override
    public boolean servesLive() {
        return servesLive;
    }

    @Override
    public byte[] get(Bytes key) {
        LiveSketch sketch = servesLive ? live.liveSketch(key) : null;
        return sketch != null && !sketch.isEmpty() ? sketch.snapshotBytes() : inner.get(key);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return read(from, to, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
        return read(from, to, true);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        return read(null, null, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll() {
        return read(null, null, true);
    }

    /**
     * The live sketches over RocksDB. The live ones are taken first: one dropped from memory after
     * that was written to RocksDB before, and so is in the RocksDB iterator opened after.
     */
    private KeyValueIterator<Bytes, byte[]> read(Bytes from, Bytes to, boolean descending) {
        if (!servesLive) {
            return rocksDbRead(from, to, descending);
        }
        List<LiveIndex.Entry> liveSketches = live.liveRange(from, to, descending);
        return new LiveOverStoredIterator(liveSketches, rocksDbRead(from, to, descending), descending);
    }

    private KeyValueIterator<Bytes, byte[]> rocksDbRead(Bytes from, Bytes to, boolean descending) {
        if (from == null && to == null) {
            return descending ? inner.reverseAll() : inner.all();
        }
        return descending ? inner.reverseRange(from, to) : inner.range(from, to);
    }

    @Override
    public long approximateNumEntries() {
        return inner.approximateNumEntries();
    }
}
