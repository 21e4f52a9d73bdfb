package dev.engagement.store;

import dev.engagement.sketch.LiveSketch;

import org.apache.kafka.common.utils.Bytes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The live sketches by store key, for query threads, kept so that the stream thread's part costs
 * almost nothing: when a sketch becomes live, it is appended to its day's log (an array store and a
 * volatile count); when days are dropped, their logs go. Readers sort each day's log themselves,
 * incrementally (only the entries appended since the last sort are sorted, then merged), under a
 * lock that only readers take.
 *
 * <p>An entry a reader took stays readable after the stream thread drops its day: a dropped sketch
 * never changes again, and it was written to the store before it was dropped.
 */
final class LiveIndex {

    /** A live sketch with its store key. */
    abstract static class Entry extends LiveSketch {
        final Bytes key;
        /** Deleted from the store (retention): readers leave it out. */
        volatile boolean removed;

        Entry(Bytes key, int lgK) {
            super(lgK);
            this.key = key;
        }

        Entry(Bytes key, byte[] stored) {
            super(stored);
            this.key = key;
        }
    }

    private static final Comparator<Entry> BY_KEY = Comparator.comparing(entry -> entry.key);

    private final Map<Integer, Day> days = new ConcurrentHashMap<>();
    /** The stream thread's last day appended to, so that a run of first touches finds it at once. */
    private int lastDay = Integer.MIN_VALUE;
    private Day last;

    // ---- stream thread ------------------------------------------------------------------------

    /** Makes an entry readable. Its key must not be in the index yet. */
    void add(int day, Entry entry) {
        if (day != lastDay || last == null) {
            last = days.computeIfAbsent(day, d -> new Day());
            lastDay = day;
        }
        last.append(entry);
    }

    /** Drops every day up to {@code lastDay}. */
    void dropThrough(int lastDay) {
        days.keySet().removeIf(day -> day <= lastDay);
        forgetLast();
    }

    /** Drops every day. */
    void clear() {
        days.clear();
        forgetLast();
    }

    private void forgetLast() {
        lastDay = Integer.MIN_VALUE;
        last = null;
    }

    // ---- any thread ---------------------------------------------------------------------------

    /**
     * The entries whose keys lie in {@code [from, to]} (a null bound is open), in key order or its
     * reverse, as of now.
     */
    List<Entry> range(Bytes from, Bytes to, boolean descending) {
        List<Integer> wanted = new ArrayList<>();
        for (Integer day : days.keySet()) {
            Bytes start = SegmentDayKey.dayStart(day);
            Bytes end = SegmentDayKey.dayStart(day + 1); // day keys lie in [start, end)
            if ((to == null || start.compareTo(to) <= 0) && (from == null || end.compareTo(from) > 0)) {
                wanted.add(day);
            }
        }
        Collections.sort(wanted);
        List<Entry> out = new ArrayList<>();
        for (int day : wanted) {
            Day log = days.get(day);
            if (log == null) {
                continue; // dropped meanwhile: written to the store first
            }
            Entry[] sorted = log.sorted();
            int lo = from == null ? 0 : firstAtLeast(sorted, from);
            for (int i = lo; i < sorted.length && (to == null || sorted[i].key.compareTo(to) <= 0); i++) {
                if (!sorted[i].removed) {
                    out.add(sorted[i]);
                }
            }
        }
        if (descending) {
            Collections.reverse(out);
        }
        return out;
    }

    /** The entry of a key, or null. */
    Entry get(Bytes key) {
        byte[] bytes = key.get();
        if (bytes.length < 4 || SegmentDayKey.isMeta(bytes)) {
            return null;
        }
        Day log = days.get(SegmentDayKey.day(bytes));
        if (log == null) {
            return null;
        }
        Entry[] sorted = log.sorted();
        int at = firstAtLeast(sorted, key);
        return at < sorted.length && sorted[at].key.equals(key) && !sorted[at].removed ? sorted[at] : null;
    }

    private static int firstAtLeast(Entry[] sorted, Bytes key) {
        int lo = 0;
        int hi = sorted.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (sorted[mid].key.compareTo(key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** One day's entries: appended by the stream thread, sorted by readers. */
    private static final class Day {
        private volatile Entry[] log = new Entry[64];
        /** Entries appended: written after the entry (a release), read before the log (an acquire). */
        private volatile int size;
        /** Readers' sorted copy of the first {@link #sortedCount} entries; guarded by {@code this}. */
        private Entry[] sorted = new Entry[0];
        private int sortedCount;

        void append(Entry entry) {
            Entry[] current = log;
            int n = size;
            if (n == current.length) {
                current = Arrays.copyOf(current, n * 2);
                log = current;
            }
            current[n] = entry;
            size = n + 1;
        }

        synchronized Entry[] sorted() {
            int n = size; // first: the log read next holds at least n entries
            if (n > sortedCount) {
                Entry[] fresh = Arrays.copyOfRange(log, sortedCount, n);
                Arrays.sort(fresh, BY_KEY);
                sorted = merge(sorted, fresh);
                sortedCount = n;
            }
            return sorted;
        }

        private static Entry[] merge(Entry[] a, Entry[] b) {
            if (a.length == 0) {
                return b;
            }
            Entry[] out = new Entry[a.length + b.length];
            int i = 0;
            int j = 0;
            for (int k = 0; k < out.length; k++) {
                out[k] = j >= b.length || (i < a.length && BY_KEY.compare(a[i], b[j]) <= 0) ? a[i++] : b[j++];
            }
            return out;
        }
    }
}
