package dev.engagement.store;

import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Query threads read a task's sketches while its stream thread folds pings, commits, closes days
 * and drops the live set under the memory cap: every answer decodes, nothing read ever shrinks,
 * and the final state equals that of the same pings folded with no one reading.
 */
class SketchStoreConcurrencyTest {

    private static final int LG_K = 12;
    private static final int FIRST_DAY = 20_500;
    private static final int DAYS = 6;
    private static final int PINGS_PER_DAY = 150_000;
    private static final int SEGMENTS = 120;
    private static final int READERS = 4;

    /** The modes a sketch passes through, read from its serialized form (byte 7, low bits). */
    private enum Mode { LIST, SET, HLL }

    @Test
    void queriesDuringIngestSeeWholeGrowingSketchesAndChangeNothing(@TempDir Path dir) throws Exception {
        List<KeyValue<Bytes, byte[]>> withReaders;
        Set<Mode> modesSeen = EnumSet.noneOf(Mode.class);
        AtomicLong reads = new AtomicLong();
        AtomicLong sketchesRead = new AtomicLong();
        SketchStore store = RocksSketchStores.open(dir.resolve("read"), LG_K);
        try {
            store.loadFrom(0, key -> -1, 0); // the processor's start: reads now include the live set
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            Set<Mode> seen = ConcurrentHashMap.newKeySet();
            for (int r = 0; r < READERS; r++) {
                int seed = r;
                Thread reader = new Thread(() -> {
                    try {
                        read(store, seed, done, seen, reads, sketchesRead);
                    } catch (Throwable t) {
                        failure.compareAndSet(null, t);
                    }
                }, "query-" + r);
                reader.start();
                readers.add(reader);
            }
            try {
                fold(store);
            } finally {
                done.set(true);
                for (Thread reader : readers) {
                    reader.join();
                }
            }
            assertThat(failure.get()).as("a query thread failed").isNull();
            modesSeen.addAll(seen);
            store.flushDirty();
            withReaders = DayRanges.entries(store, 0, Integer.MAX_VALUE);
        } finally {
            store.close();
        }
        List<KeyValue<Bytes, byte[]>> alone;
        SketchStore reference = RocksSketchStores.open(dir.resolve("alone"), LG_K);
        try {
            reference.loadFrom(0, key -> -1, 0);
            fold(reference);
            reference.flushDirty();
            alone = DayRanges.entries(reference, 0, Integer.MAX_VALUE);
        } finally {
            reference.close();
        }

        assertThat(modesSeen).as("queries read sketches in every mode").containsExactlyInAnyOrder(Mode.values());
        assertThat(reads.get()).as("day scans by the query threads").isGreaterThan(100);
        assertThat(withReaders).hasSize(alone.size()).hasSize(DAYS * SEGMENTS);
        for (int i = 0; i < alone.size(); i++) {
            assertThat(withReaders.get(i).key).isEqualTo(alone.get(i).key);
            assertThat(withReaders.get(i).value).as("bytes of %s", alone.get(i).key).isEqualTo(alone.get(i).value);
        }
        System.out.printf("concurrency: %,d day scans, %,d sketches read during %,d pings%n", reads.get(),
            sketchesRead.get(), (long) DAYS * PINGS_PER_DAY);
    }

    /**
     * The stream thread's part, as the fold processor drives the store: pings into today and
     * yesterday, a commit every 2,000 pings, the day before yesterday closed (written, then dropped
     * from memory) when a day starts, and the whole live set dropped every 50,000 pings. A few
     * segments grow past the SET into HLL, some into a SET, the rest stay a LIST.
     */
    private static void fold(SketchStore store) {
        Random random = new Random(42);
        LiveSketches.SegmentKeys keys = (day, segment) -> key(day, segment);
        long ping = 0;
        for (int d = 0; d < DAYS; d++) {
            int today = FIRST_DAY + d;
            if (d >= 2) {
                store.evict(today - 2);
            }
            for (int i = 0; i < PINGS_PER_DAY; i++, ping++) {
                int day = d > 0 && random.nextInt(5) == 0 ? today - 1 : today;
                int segment = random.nextInt(SEGMENTS);
                int clients = segment < 4 ? 20_000 : segment < 24 ? 300 : 6;
                store.update(day, segment, keys, "client-" + random.nextInt(clients));
                if (ping % 2_000 == 1_999) {
                    store.flushDirty(); // a commit
                }
                if (ping % 50_000 == 49_999) {
                    store.drainDownstream();
                    store.evictAll(); // the memory cap
                }
            }
        }
    }

    private static Bytes key(int day, int segment) {
        return SegmentDayKey.of(day, new String[] {"channel-" + segment % 3, "segment-" + segment});
    }

    /**
     * A query thread: scans whole days, decodes every sketch, and checks that no sketch it saw
     * before is gone or smaller, and that no day's union is smaller than when it last read it.
     */
    private static void read(SketchStore store, int seed, AtomicBoolean done, Set<Mode> modes, AtomicLong reads,
                             AtomicLong sketchesRead) {
        Random random = new Random(seed);
        Map<Bytes, Double> lastSketch = new HashMap<>();
        double[] lastDay = new double[DAYS];
        while (!done.get()) {
            int d = random.nextInt(DAYS);
            int day = FIRST_DAY + d;
            Union union = new Union(LG_K);
            Map<Bytes, Double> now = new HashMap<>();
            DayRanges.forEach(store, day, day, (key, value) -> {
                HllSketch sketch = Sketches.fromBytes(value); // throws if the bytes do not decode
                modes.add(Mode.values()[value[7] & 3]);
                now.put(key, sketch.getEstimate());
                union.update(sketch);
                return true;
            });
            for (Map.Entry<Bytes, Double> before : lastSketch.entrySet()) {
                if (SegmentDayKey.day(before.getKey().get()) == day) {
                    assertThat(now).as("sketches of day %d", day).containsKey(before.getKey());
                    assertThat(now.get(before.getKey())).as("estimate of %s", before.getKey())
                        .isGreaterThanOrEqualTo(before.getValue());
                }
            }
            // Each sketch above is checked exactly. A union's estimate is not strictly monotone in its
            // inputs (the HLL composite estimator, and the union's merge order of sparse sketches):
            // one whose inputs only grew was seen 1.6e-5 lower. A lost sketch or a torn read costs far
            // more than the 1e-4 allowed here.
            double estimate = union.getEstimate();
            assertThat(estimate).as("union of day %d", day).isGreaterThanOrEqualTo(lastDay[d] * (1 - 1e-4));
            lastDay[d] = Math.max(lastDay[d], estimate);
            lastSketch.putAll(now);
            reads.incrementAndGet();
            sketchesRead.addAndGet(now.size());
        }
    }
}
