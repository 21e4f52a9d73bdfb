package dev.engagement.store;

import dev.engagement.sketch.LiveSketch;
import dev.engagement.sketch.Sketches;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The in-memory half of a {@link SketchStore}: live {@code HLL_8} sketches by day and dense segment
 * id (see {@code SegmentIndex}), so that folding a ping is two array reads and an HLL update, with
 * the sketches changed since the last write and since the last downstream send. Each live sketch
 * is a {@link LiveSketch} that carries its own key and dirty flags: one object per (day, segment).
 *
 * <p>It knows which days may hold sketches that are stored but not live ({@link #storedThrough}):
 * only a first touch on those days reads the store.
 *
 * <p>Threading: every method but {@link #liveRange} belongs to the stream thread that owns the
 * task. Queries read through {@link #liveRange}, from any thread: a {@link LiveIndex} of the live
 * sketches by key (written only when a sketch becomes live or is dropped, never per ping), whose
 * sketches they copy with {@link LiveSketch#snapshotBytes}.
 */
public final class LiveSketches {

    /** Builds the store key of a (day, segment) the first time it is touched. */
    @FunctionalInterface
    public interface SegmentKeys {
        Bytes key(int day, int segment);
    }

    /** A live sketch and whether it changed since it was last written / sent downstream. */
    private static final class Live extends LiveIndex.Entry {
        boolean storeDirty;
        boolean downstreamDirty;
        boolean evicted;
        /** The canonical bytes as of the last {@link #image} (null: not taken yet). */
        byte[] bytes;
        /** Changed since {@link #bytes} was taken. */
        boolean imageStale;

        /** The current canonical bytes, serialized again only if the sketch changed. */
        byte[] image() {
            if (bytes == null || imageStale) {
                bytes = toBytes();
                imageStale = false;
            }
            return bytes;
        }

        Live(Bytes key, int lgK) {
            super(key, lgK);
        }

        Live(Bytes key, byte[] stored) {
            super(key, stored);
            this.bytes = stored;
        }
    }

    private static final Live[] NO_SLOTS = new Live[0];

    private final int lgK;
    private final Map<Integer, Live[]> byDay = new HashMap<>();
    private int lastDay = Integer.MIN_VALUE;
    private Live[] lastSlots = NO_SLOTS;
    private int count;
    /**
     * Days up to this one may hold stored sketches that are not live (evicted under the memory
     * cap, or never loaded): a first touch there reads the store. On later days a first touch is
     * a new sketch and costs no read.
     */
    private int storedThrough = Integer.MAX_VALUE;
    // Changed since the last write / downstream send: a flush costs what changed, not what is live.
    private final List<Live> storeDirty = new ArrayList<>();
    private final List<Live> downstreamDirty = new ArrayList<>();
    /** Every live sketch by key, for queries: written on first touch and when dropped, never per ping. */
    private final LiveIndex index = new LiveIndex();

    public LiveSketches(Sketches sketches) {
        this.lgK = sketches.lgK();
    }

    /**
     * The live sketch of a (day, segment), marked dirty: the caller is about to update it. On first
     * touch it is new, or read with {@code stored} on days that may hold unloaded sketches.
     */
    public LiveSketch sketchFor(int day, int segment, SegmentKeys keys, Function<Bytes, byte[]> stored) {
        Live entry = entryFor(day, segment, keys, stored);
        markDirty(entry);
        return entry;
    }

    /**
     * Folds a client id into the live sketch of a (day, segment) (found as by {@link #sketchFor}),
     * and marks it dirty only if that changed it: a client the sketch already holds, the common case
     * for a client that pings many times a day, costs no write, no changelog record and no
     * downstream send.
     *
     * @return whether the sketch changed
     */
    public boolean update(int day, int segment, SegmentKeys keys, Function<Bytes, byte[]> stored, String clientId) {
        Live entry = entryFor(day, segment, keys, stored);
        if (!entry.update(clientId)) {
            return false;
        }
        markDirty(entry);
        return true;
    }

    private Live entryFor(int day, int segment, SegmentKeys keys, Function<Bytes, byte[]> stored) {
        Live[] slots = day == lastDay ? lastSlots : slotsOf(day);
        Live entry = segment < slots.length ? slots[segment] : null;
        if (entry == null) {
            Bytes key = keys.key(day, segment);
            byte[] bytes = day <= storedThrough ? stored.apply(key) : null;
            entry = bytes == null ? new Live(key, lgK) : new Live(key, bytes);
            place(day, segment, entry);
        }
        return entry;
    }

    private void markDirty(Live entry) {
        entry.imageStale = true;
        if (!entry.storeDirty) {
            entry.storeDirty = true;
            storeDirty.add(entry);
        }
        if (!entry.downstreamDirty) {
            entry.downstreamDirty = true;
            downstreamDirty.add(entry);
        }
    }

    /** Makes a stored sketch live, clean (it is what the store holds). */
    public void load(int day, int segment, Bytes key, byte[] bytes) {
        place(day, segment, new Live(key, bytes));
    }

    /** Days up to {@code day} may hold stored sketches that are not live. */
    public void storedThrough(int day) {
        storedThrough = day;
    }

    private Live[] slotsOf(int day) {
        Live[] slots = byDay.getOrDefault(day, NO_SLOTS);
        lastDay = day;
        lastSlots = slots;
        return slots;
    }

    private void place(int day, int segment, Live entry) {
        Live[] slots = byDay.getOrDefault(day, NO_SLOTS);
        if (segment >= slots.length) {
            slots = Arrays.copyOf(slots, Math.max(segment + 1, Math.max(16, slots.length * 2)));
            byDay.put(day, slots);
        }
        if (slots[segment] == null) {
            count++;
        }
        slots[segment] = entry;
        index.add(day, entry);
        lastDay = day;
        lastSlots = slots;
    }

    /** Number of live sketches. */
    public int size() {
        return count;
    }

    /**
     * The live sketches whose keys lie in {@code [from, to]} (either bound null: open), in key
     * order or, when {@code descending}, in reverse: the sketches live at the time of the call.
     * Thread-safe: for queries. A sketch dropped from memory after this call stays readable through
     * the returned list, with its last state (a dropped sketch never changes again), and was
     * written to the store before it was dropped. Read each with {@link LiveSketch#snapshotBytes}.
     */
    List<LiveIndex.Entry> liveRange(Bytes from, Bytes to, boolean descending) {
        return index.range(from, to, descending);
    }

    /** The live sketch of a key, or null when it is not live. Thread-safe, as {@link #liveRange}. */
    LiveSketch liveSketch(Bytes key) {
        return index.get(key);
    }

    /**
     * The canonical bytes of every sketch changed since the last call, now marked clean: the caller
     * writes them to the store.
     */
    public List<KeyValue<Bytes, byte[]>> takeStoreDirty() {
        List<KeyValue<Bytes, byte[]>> batch = new ArrayList<>(storeDirty.size());
        for (Live entry : storeDirty) {
            entry.storeDirty = false;
            batch.add(KeyValue.pair(entry.key, entry.image()));
        }
        storeDirty.clear();
        return batch;
    }

    /**
     * The current canonical bytes of every live sketch changed since the last call, for the
     * downstream topic. Independent of {@link #takeStoreDirty}: sending downstream writes nothing
     * to the store (a sketch serialized for one is not serialized again for the other unless it
     * changed in between).
     */
    public List<KeyValue<Bytes, byte[]>> takeDownstreamDirty() {
        List<KeyValue<Bytes, byte[]>> changed = new ArrayList<>(downstreamDirty.size());
        for (Live entry : downstreamDirty) {
            entry.downstreamDirty = false;
            if (!entry.evicted) {
                changed.add(KeyValue.pair(entry.key, entry.image()));
            }
        }
        downstreamDirty.clear();
        return changed;
    }

    /**
     * Drops every live sketch, which must be clean (taken): they are read from the store when
     * touched again. Pending downstream sends are dropped.
     */
    public void evictAll() {
        for (Map.Entry<Integer, Live[]> day : byDay.entrySet()) {
            storedThrough = Math.max(storedThrough, day.getKey()); // this day now lives only in the store
            markEvicted(day.getValue());
        }
        clear();
    }

    /** Drops the (clean) live sketches of every day up to {@code lastDay}, and their pending downstream sends. */
    public void evictThrough(int lastDay) {
        Iterator<Map.Entry<Integer, Live[]>> days = byDay.entrySet().iterator();
        while (days.hasNext()) {
            Map.Entry<Integer, Live[]> day = days.next();
            if (day.getKey() <= lastDay) {
                count -= markEvicted(day.getValue());
                days.remove();
            }
        }
        index.dropThrough(lastDay);
        this.lastDay = Integer.MIN_VALUE;
        this.lastSlots = NO_SLOTS;
        downstreamDirty.removeIf(entry -> {
            if (entry.evicted) {
                entry.downstreamDirty = false;
            }
            return entry.evicted;
        });
    }

    /** Drops one key, with its pending writes and sends. */
    public void remove(Bytes key) {
        Live[] slots = SegmentDayKey.isMeta(key.get()) ? null : byDay.get(SegmentDayKey.day(key.get()));
        for (int i = 0; slots != null && i < slots.length; i++) {
            Live entry = slots[i];
            if (entry != null && entry.key.equals(key)) {
                slots[i] = null;
                entry.removed = true;
                count--;
                entry.evicted = true;
                storeDirty.remove(entry);
                downstreamDirty.remove(entry);
            }
        }
    }

    /** Forgets everything, as after a task closes: every day may then hold stored sketches. */
    public void reset() {
        clear();
        storedThrough = Integer.MAX_VALUE;
    }

    private void clear() {
        index.clear();
        byDay.clear();
        count = 0;
        lastDay = Integer.MIN_VALUE;
        lastSlots = NO_SLOTS;
        storeDirty.clear();
        downstreamDirty.clear();
    }

    private static int markEvicted(Live[] slots) {
        int n = 0;
        for (Live entry : slots) {
            if (entry != null) {
                entry.evicted = true;
                n++;
            }
        }
        return n;
    }
}
