package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.util.ArrayList;
import java.util.List;

/** Reads the (segment, day) entries of a range of days from a store keyed by {@link SegmentDayKey}. */
public final class DayRanges {

    private DayRanges() {
    }

    /** Receives data entries in key order; returns false to stop. */
    @FunctionalInterface
    public interface Visitor {
        boolean visit(Bytes key, byte[] value);
    }

    /**
     * Streams every data entry (metadata keys left out) of days {@code fromDay..toDay}, inclusive,
     * in key order, until the visitor returns false. The visitor must not write to the store. Days
     * before 0 are ignored; {@code Integer.MAX_VALUE} reads to the last day.
     *
     * @return false if the visitor stopped the walk
     */
    public static boolean forEach(ReadOnlyKeyValueStore<Bytes, byte[]> store, int fromDay, int toDay, Visitor visitor) {
        if (toDay < 0 || toDay < fromDay) {
            return true;
        }
        Bytes to = toDay == Integer.MAX_VALUE ? TaskMetadata.FIRST : SegmentDayKey.dayStart(toDay + 1);
        try (KeyValueIterator<Bytes, byte[]> it = store.range(SegmentDayKey.dayStart(Math.max(fromDay, 0)), to)) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] key = kv.key.get();
                if (key.length >= 4 && !SegmentDayKey.isMeta(key) && SegmentDayKey.day(key) <= toDay
                    && !visitor.visit(kv.key, kv.value)) {
                    return false;
                }
            }
        }
        return true;
    }

    /**
     * The entries of {@link #forEach}, read into a list so that the caller may write to the store
     * while using it.
     */
    public static List<KeyValue<Bytes, byte[]>> entries(ReadOnlyKeyValueStore<Bytes, byte[]> store, int fromDay, int toDay) {
        List<KeyValue<Bytes, byte[]>> out = new ArrayList<>();
        forEach(store, fromDay, toDay, (key, value) -> out.add(KeyValue.pair(key, value)));
        return out;
    }

    /** The keys of {@link #entries}. */
    public static List<Bytes> keys(ReadOnlyKeyValueStore<Bytes, byte[]> store, int fromDay, int toDay) {
        return entries(store, fromDay, toDay).stream().map(kv -> kv.key).toList();
    }
}
