package dev.engagement.query;

import dev.engagement.store.SegmentDayKey;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A partition store in memory: (segment, day) keys to stored sketch bytes, in unsigned byte order
 * as RocksDB keeps them. Counts the days it scans.
 */
final class MemoryPartitionReader implements PartitionReader {

    private final int partition;
    private final TreeMap<byte[], byte[]> store = new TreeMap<>(Arrays::compareUnsigned);
    private final Map<Integer, AtomicInteger> scansByDay = new TreeMap<>();
    private volatile int closedThrough;

    MemoryPartitionReader(int partition, int closedThrough) {
        this.partition = partition;
        this.closedThrough = closedThrough;
    }

    void put(int day, String[] values, byte[] sketch) {
        store.put(SegmentDayKey.of(day, values).get(), sketch);
    }

    void closedThrough(int day) {
        this.closedThrough = day;
    }

    /** How many scans read the day. */
    synchronized int scans(int day) {
        AtomicInteger n = scansByDay.get(day);
        return n == null ? 0 : n.get();
    }

    synchronized int totalScans() {
        return scansByDay.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public int partition() {
        return partition;
    }

    @Override
    public synchronized void scan(int fromDay, int toDay, Visitor visitor) {
        for (int d = Math.max(fromDay, 0); d <= toDay; d++) {
            scansByDay.computeIfAbsent(d, x -> new AtomicInteger()).incrementAndGet();
        }
        byte[] start = SegmentDayKey.dayStart(Math.max(fromDay, 0)).get();
        byte[] end = SegmentDayKey.dayStart(toDay + 1).get();
        for (Map.Entry<byte[], byte[]> e : store.subMap(start, true, end, false).entrySet()) {
            visitor.visit(e.getKey(), e.getValue());
        }
    }

    @Override
    public int closedThrough() {
        return closedThrough;
    }

    @Override
    public synchronized int firstDay() {
        return store.isEmpty() ? -1 : SegmentDayKey.day(store.firstKey());
    }
}
