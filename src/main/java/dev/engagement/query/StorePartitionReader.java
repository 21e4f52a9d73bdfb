package dev.engagement.query;

import dev.engagement.store.DayRanges;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.TaskMetadata;

import dev.engagement.store.ReadableSketchStore;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * Reads one partition's sketch store through Interactive Queries: open days as the live sketches
 * hold them now when the store serves an active task, otherwise as of the last commit.
 */
final class StorePartitionReader implements PartitionReader {

    private final int partition;
    private final ReadOnlyKeyValueStore<Bytes, byte[]> store;
    private final boolean standby;

    StorePartitionReader(int partition, ReadableSketchStore store) {
        this(partition, store, !store.servesLive());
    }

    /** Over any store laid out as the sketch store (tests, benchmarks). */
    StorePartitionReader(int partition, ReadOnlyKeyValueStore<Bytes, byte[]> store, boolean standby) {
        this.partition = partition;
        this.store = store;
        this.standby = standby;
    }

    @Override
    public boolean standby() {
        return standby;
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public void scan(int fromDay, int toDay, Visitor visitor) {
        // Streamed, not listed: a query day can hold tens of thousands of segments.
        DayRanges.forEach(store, fromDay, toDay, (key, value) -> {
            visitor.visit(key.get(), value);
            return true;
        });
    }

    @Override
    public void scanFirstValue(int day, String firstValue, Visitor visitor) {
        byte[] prefix = SegmentDayKey.prefix(day, firstValue);
        // The range ends at the prefix's successor: the prefix's last byte is a UTF-8 byte or a
        // length, never 0xFF, so adding one to it stays in range.
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        try (KeyValueIterator<Bytes, byte[]> it = store.range(Bytes.wrap(prefix), Bytes.wrap(end))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                byte[] key = kv.key.get();
                if (SegmentDayKey.startsWith(key, prefix)) {
                    visitor.visit(key, kv.value);
                }
            }
        }
    }

    @Override
    public void scanRange(Bytes from, Bytes to, Visitor visitor) {
        try (KeyValueIterator<Bytes, byte[]> it = store.range(from, to)) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                // Inclusive at both ends in Kafka Streams' range: the end is left out here.
                if (kv.key.compareTo(to) < 0) {
                    visitor.visit(kv.key.get(), kv.value);
                }
            }
        }
    }

    @Override
    public Layouts layouts() {
        return Layouts.read(store);
    }

    @Override
    public int closedThrough() {
        return TaskMetadata.CLOSED_THROUGH.read(store, -1);
    }

    /** The last day with data in this partition, or -1. */
    int lastDay() {
        try (KeyValueIterator<Bytes, byte[]> it = store.reverseRange(SegmentDayKey.dayStart(0), TaskMetadata.FIRST)) {
            while (it.hasNext()) {
                byte[] key = it.next().key.get();
                if (!SegmentDayKey.isMeta(key) && key.length >= 4) {
                    return SegmentDayKey.day(key);
                }
            }
        }
        return -1;
    }

    @Override
    public int firstDay() {
        try (KeyValueIterator<Bytes, byte[]> it = store.range(SegmentDayKey.dayStart(0), TaskMetadata.FIRST)) {
            while (it.hasNext()) {
                byte[] key = it.next().key.get();
                if (!SegmentDayKey.isMeta(key) && key.length >= 4) {
                    return SegmentDayKey.day(key);
                }
            }
        }
        return -1;
    }
}
