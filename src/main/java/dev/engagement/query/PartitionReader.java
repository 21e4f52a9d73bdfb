package dev.engagement.query;

import dev.engagement.store.Layouts;
import dev.engagement.store.ReadableSketchStore;
import dev.engagement.store.SegmentDayKey;

import org.apache.kafka.common.utils.Bytes;

/**
 * Read access to one partition's sketch store, as the query layer needs it.
 */
public interface PartitionReader {

    /** Receives one stored (segment, day) sketch. */
    @FunctionalInterface
    interface Visitor {
        void visit(byte[] key, byte[] sketch);
    }

    /**
     * A reader of one partition's sketch store, as Interactive Queries hand it out: open days from
     * the live sketches when the store serves an active task (see {@link #standby}).
     */
    static PartitionReader over(int partition, ReadableSketchStore store) {
        return new StorePartitionReader(partition, store);
    }

    /** The partition read. */
    int partition();

    /**
     * Visits every stored (segment, day) of days {@code fromDay..toDay} (inclusive) in key order.
     * Implementations close whatever iterator they open.
     */
    void scan(int fromDay, int toDay, Visitor visitor);

    /**
     * Visits the stored (segment, day)s of one day whose first dimension's value is
     * {@code firstValue}, in key order. Keys are {@code [day][first value][...]}, so stores read
     * one contiguous range; this default scans the day and filters.
     */
    default void scanFirstValue(int day, String firstValue, Visitor visitor) {
        byte[] prefix = SegmentDayKey.prefix(day, firstValue);
        scan(day, day, (key, sketch) -> {
            if (SegmentDayKey.startsWith(key, prefix)) {
                visitor.visit(key, sketch);
            }
        });
    }

    /**
     * Visits the stored (segment, day)s whose keys lie in {@code [from, to)}, all of one day, in key
     * order; this default scans the day and filters.
     */
    default void scanRange(Bytes from, Bytes to, Visitor visitor) {
        int day = SegmentDayKey.day(from.get());
        scan(day, day, (key, sketch) -> {
            Bytes k = Bytes.wrap(key);
            if (k.compareTo(from) >= 0 && k.compareTo(to) < 0) {
                visitor.visit(key, sketch);
            }
        });
    }

    /**
     * The dimension lists the partition's keys were written under; empty for a store that has
     * recorded none (its keys are all of the configured list).
     */
    default Layouts layouts() {
        return Layouts.none();
    }

    /** The last day that has passed grace in this partition (never changes again), or -1. */
    int closedThrough();

    /** The first day with data in this partition, or -1 when it holds none. */
    int firstDay();

    /**
     * Whether this read misses the partition's live sketches: a standby replica, or an active task
     * still restoring, holds the store only as of the last commit that reached it.
     */
    default boolean standby() {
        return false;
    }
}
