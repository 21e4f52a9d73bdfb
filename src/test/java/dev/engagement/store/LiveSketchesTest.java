package dev.engagement.store;

import dev.engagement.sketch.LiveSketch;
import dev.engagement.sketch.Sketches;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

class LiveSketchesTest {

    private static final int DAY = 20_522; // 2026-03-10
    private static final Sketches SKETCHES = new Sketches(12);

    private final LiveSketches live = new LiveSketches(SKETCHES);

    /** Calls of the key builder, as "day/segment". */
    private final List<String> keyCalls = new ArrayList<>();
    private final LiveSketches.SegmentKeys keys = (day, segment) -> {
        keyCalls.add(day + "/" + segment);
        return key(day, segment);
    };

    /** A fake store: what was written, read back on first touch. */
    private final Map<Bytes, byte[]> store = new HashMap<>();
    /** Keys read from the store. */
    private final List<Bytes> reads = new ArrayList<>();
    private final Function<Bytes, byte[]> stored = key -> {
        reads.add(key);
        return store.get(key);
    };
    private static final Function<Bytes, byte[]> NO_READ = key -> fail("unexpected store read of day %d",
        SegmentDayKey.day(key.get()));

    private static String[] segmentValues(int segment) {
        return new String[] {segment % 2 == 0 ? "release" : "beta", "os-" + segment, "(none)"};
    }

    private static Bytes key(int day, int segment) {
        return SegmentDayKey.of(day, segmentValues(segment));
    }

    private static byte[] bytesOf(String... clients) {
        HllSketch sketch = SKETCHES.newLive();
        for (String client : clients) {
            sketch.update(client);
        }
        return Sketches.toBytes(sketch);
    }

    private static List<Bytes> keysOf(List<KeyValue<Bytes, byte[]>> entries) {
        return entries.stream().map(kv -> kv.key).toList();
    }

    private static double estimate(LiveSketch sketch) {
        return Sketches.fromBytes(sketch.toBytes()).getEstimate();
    }

    private LiveSketch touch(int day, int segment, String client) {
        LiveSketch sketch = live.sketchFor(day, segment, keys, stored);
        sketch.update(client);
        return sketch;
    }

    /** Writes what changed to the fake store, as SketchStore.flushDirty does. */
    private List<KeyValue<Bytes, byte[]>> flush() {
        List<KeyValue<Bytes, byte[]>> batch = live.takeStoreDirty();
        for (KeyValue<Bytes, byte[]> kv : batch) {
            store.put(kv.key, kv.value);
        }
        return batch;
    }

    @Test
    void sameDayAndSegmentGiveTheSameLiveSketchAndBuildTheKeyOnce() {
        LiveSketch first = live.sketchFor(DAY, 0, keys, stored);
        LiveSketch otherSegment = live.sketchFor(DAY, 1, keys, stored);
        LiveSketch otherDay = live.sketchFor(DAY + 1, 0, keys, stored);
        // Far segments grow the day's slots; interleaved days defeat the last-day shortcut.
        LiveSketch far = live.sketchFor(DAY, 100, keys, stored);

        for (int round = 0; round < 3; round++) {
            assertThat(live.sketchFor(DAY, 0, keys, stored)).isSameAs(first);
            assertThat(live.sketchFor(DAY + 1, 0, keys, stored)).isSameAs(otherDay);
            assertThat(live.sketchFor(DAY, 1, keys, stored)).isSameAs(otherSegment);
            assertThat(live.sketchFor(DAY, 100, keys, stored)).isSameAs(far);
        }
        assertThat(List.of(first, otherSegment, otherDay, far)).doesNotHaveDuplicates();
        assertThat(keyCalls).containsExactly(DAY + "/0", DAY + "/1", (DAY + 1) + "/0", DAY + "/100");
        assertThat(reads).hasSize(4);
        assertThat(live.size()).isEqualTo(4);
    }

    @Test
    void manySegmentsOverManyDaysEachGetTheirOwnSketch() {
        Map<String, LiveSketch> seen = new HashMap<>();
        for (int round = 0; round < 2; round++) {
            for (int segment = 0; segment < 300; segment += 7) {
                for (int day = DAY; day < DAY + 5; day++) {
                    LiveSketch sketch = live.sketchFor(day, segment, keys, stored);
                    LiveSketch before = seen.putIfAbsent(day + "/" + segment, sketch);
                    if (before != null) {
                        assertThat(sketch).isSameAs(before);
                    }
                }
            }
        }
        assertThat(live.size()).isEqualTo(seen.size());
        assertThat(keyCalls).hasSize(seen.size()).doesNotHaveDuplicates();
        assertThat(seen.values().stream().distinct().count()).isEqualTo(seen.size());
    }

    @Test
    void firstTouchStartsFromTheStoredBytesByDefault() {
        store.put(key(DAY, 0), bytesOf("a", "b", "c"));

        LiveSketch sketch = live.sketchFor(DAY, 0, keys, stored);

        assertThat(reads).containsExactly(key(DAY, 0));
        assertThat(estimate(sketch)).isCloseTo(3, within(0.01));
        sketch.update("a");
        sketch.update("d");
        assertThat(estimate(sketch)).isCloseTo(4, within(0.01));
        // Later touches use the live sketch: no second read.
        assertThat(live.sketchFor(DAY, 0, keys, stored)).isSameAs(sketch);
        assertThat(reads).hasSize(1);
    }

    @Test
    void firstTouchWithNothingStoredStartsEmpty() {
        LiveSketch sketch = live.sketchFor(DAY, 0, keys, stored);
        assertThat(reads).containsExactly(key(DAY, 0));
        assertThat(sketch.isEmpty()).isTrue();
    }

    @Test
    void afterStoredThroughOnlyDaysUpToItReadTheStore() {
        store.put(key(DAY, 0), bytesOf("a", "b", "c"));
        store.put(key(DAY - 1, 0), bytesOf("a", "b"));
        live.storedThrough(DAY);

        // Later days are new: no read.
        assertThat(live.sketchFor(DAY + 1, 0, keys, NO_READ).isEmpty()).isTrue();
        assertThat(live.sketchFor(DAY + 30, 5, keys, NO_READ).isEmpty()).isTrue();
        // The boundary day and earlier ones may hold stored sketches.
        assertThat(estimate(live.sketchFor(DAY, 0, keys, stored))).isCloseTo(3, within(0.01));
        assertThat(estimate(live.sketchFor(DAY - 1, 0, keys, stored))).isCloseTo(2, within(0.01));
        assertThat(reads).containsExactly(key(DAY, 0), key(DAY - 1, 0));
    }

    @Test
    void loadedSketchesAreLiveAndClean() {
        live.load(DAY, 3, key(DAY, 3), bytesOf("a", "b", "c"));

        assertThat(live.size()).isEqualTo(1);
        assertThat(live.takeStoreDirty()).isEmpty();
        assertThat(live.takeDownstreamDirty()).isEmpty();
        LiveSketches.SegmentKeys noKeys = (day, segment) -> fail("unexpected key build");
        LiveSketch sketch = live.sketchFor(DAY, 3, noKeys, NO_READ);
        assertThat(estimate(sketch)).isCloseTo(3, within(0.01));
        assertThat(keysOf(live.takeStoreDirty())).containsExactly(key(DAY, 3));
    }

    @Test
    void takeStoreDirtyReturnsEachChangedSketchOnceWithCanonicalBytes() {
        LiveSketch a = touch(DAY, 0, "x");
        touch(DAY, 0, "y");
        LiveSketch b = touch(DAY + 1, 2, "z");
        touch(DAY, 0, "x");

        List<KeyValue<Bytes, byte[]>> batch = live.takeStoreDirty();

        assertThat(keysOf(batch)).containsExactlyInAnyOrder(key(DAY, 0), key(DAY + 1, 2));
        Map<Bytes, LiveSketch> byKey = Map.of(key(DAY, 0), a, key(DAY + 1, 2), b);
        for (KeyValue<Bytes, byte[]> kv : batch) {
            assertThat(kv.value).isEqualTo(byKey.get(kv.key).toBytes());
        }
        assertThat(Sketches.fromBytes(batch.get(keysOf(batch).indexOf(key(DAY, 0))).value).getEstimate())
            .isCloseTo(2, within(0.01));
        // Clean until touched again.
        assertThat(live.takeStoreDirty()).isEmpty();
        touch(DAY + 1, 2, "w");
        List<KeyValue<Bytes, byte[]>> next = live.takeStoreDirty();
        assertThat(keysOf(next)).containsExactly(key(DAY + 1, 2));
        assertThat(next.get(0).value).isEqualTo(b.toBytes());
        assertThat(live.takeStoreDirty()).isEmpty();
    }

    @Test
    void takeDownstreamDirtyReturnsChangedKeysOnceWithTheTakenBytes() {
        touch(DAY, 0, "x");
        touch(DAY, 1, "y");
        touch(DAY, 0, "z");
        List<KeyValue<Bytes, byte[]>> written = live.takeStoreDirty();
        // Taking the store writes does not take the downstream sends.
        assertThat(live.takeStoreDirty()).isEmpty();

        List<KeyValue<Bytes, byte[]>> sent = live.takeDownstreamDirty();

        assertThat(keysOf(sent)).containsExactlyInAnyOrder(key(DAY, 0), key(DAY, 1));
        Map<Bytes, byte[]> writtenBytes = new HashMap<>();
        written.forEach(kv -> writtenBytes.put(kv.key, kv.value));
        sent.forEach(kv -> assertThat(kv.value).isEqualTo(writtenBytes.get(kv.key)));
        assertThat(live.takeDownstreamDirty()).isEmpty();

        touch(DAY, 1, "w");
        live.takeStoreDirty();
        assertThat(keysOf(live.takeDownstreamDirty())).containsExactly(key(DAY, 1));
        assertThat(live.takeDownstreamDirty()).isEmpty();
    }

    @Test
    void evictThroughDropsTheDaysUpToItAndTheirPendingSends() {
        touch(DAY - 1, 0, "a");
        LiveSketch kept = touch(DAY + 1, 0, "b");
        touch(DAY + 1, 1, "c");
        touch(DAY, 0, "d");
        touch(DAY, 1, "e"); // the last day touched, as the one a shortcut may remember
        flush();
        assertThat(live.size()).isEqualTo(5);

        live.evictThrough(DAY);

        assertThat(live.size()).isEqualTo(2);
        assertThat(keysOf(live.takeDownstreamDirty())).containsExactlyInAnyOrder(key(DAY + 1, 0), key(DAY + 1, 1));
        // An evicted day comes back from the store on its next touch, with a new key.
        keyCalls.clear();
        reads.clear();
        LiveSketch reloaded = live.sketchFor(DAY, 1, keys, stored);
        assertThat(keyCalls).containsExactly(DAY + "/1");
        assertThat(reads).containsExactly(key(DAY, 1));
        assertThat(estimate(reloaded)).isCloseTo(1, within(0.01));
        assertThat(live.size()).isEqualTo(3);
        // Later days keep their live sketches.
        assertThat(live.sketchFor(DAY + 1, 0, keys, NO_READ)).isSameAs(kept);
        assertThat(live.size()).isEqualTo(3);
    }

    @Test
    void evictThroughKeepsSendsOfLaterDaysTouchedAfterwards() {
        touch(DAY, 0, "a");
        flush();
        live.evictThrough(DAY);
        touch(DAY + 1, 0, "b");
        flush();
        assertThat(keysOf(live.takeDownstreamDirty())).containsExactly(key(DAY + 1, 0));
    }

    @Test
    void afterEvictAllEveryPreviouslyLiveDayReadsTheStoreAgain() {
        live.storedThrough(DAY - 1);
        live.sketchFor(DAY, 0, keys, NO_READ).update("a");
        LiveSketch later = live.sketchFor(DAY + 2, 1, keys, NO_READ);
        later.update("b");
        later.update("c");
        flush();

        live.evictAll();

        assertThat(live.size()).isZero();
        assertThat(live.takeDownstreamDirty()).isEmpty();
        assertThat(live.takeStoreDirty()).isEmpty();
        // storedThrough was DAY - 1: evictAll raised it past the evicted days.
        assertThat(estimate(live.sketchFor(DAY, 0, keys, stored))).isCloseTo(1, within(0.01));
        assertThat(estimate(live.sketchFor(DAY + 2, 1, keys, stored))).isCloseTo(2, within(0.01));
        assertThat(reads).containsExactly(key(DAY, 0), key(DAY + 2, 1));
        // Days after every evicted day still hold nothing stored.
        assertThat(live.sketchFor(DAY + 3, 0, keys, NO_READ).isEmpty()).isTrue();
    }

    @Test
    void evictAllKeepsTheDefaultOfReadingEveryDay() {
        touch(DAY, 0, "a");
        flush();
        live.evictAll();
        live.sketchFor(DAY + 100, 0, keys, stored);
        live.sketchFor(DAY - 100, 0, keys, stored);
        assertThat(reads).containsExactly(key(DAY, 0), key(DAY + 100, 0), key(DAY - 100, 0));
    }

    @Test
    void removeDropsOneEntryAndItsPendingWrites() {
        touch(DAY, 0, "a");
        LiveSketch other = touch(DAY, 1, "b");
        touch(DAY + 1, 0, "c");

        live.remove(key(DAY, 0));

        assertThat(live.size()).isEqualTo(2);
        assertThat(keysOf(live.takeStoreDirty())).containsExactlyInAnyOrder(key(DAY, 1), key(DAY + 1, 0));
        assertThat(keysOf(live.takeDownstreamDirty())).containsExactlyInAnyOrder(key(DAY, 1), key(DAY + 1, 0));
        assertThat(live.sketchFor(DAY, 1, keys, NO_READ)).isSameAs(other);
        // The removed entry starts afresh on its next touch.
        keyCalls.clear();
        LiveSketch again = live.sketchFor(DAY, 0, keys, stored);
        assertThat(again.isEmpty()).isTrue();
        assertThat(keyCalls).containsExactly(DAY + "/0");
        assertThat(live.size()).isEqualTo(3);
    }

    @Test
    void removeOfAKeyThatIsNotLiveChangesNothing() {
        touch(DAY, 0, "a");
        live.remove(key(DAY, 5));
        live.remove(key(DAY + 9, 0));
        live.remove(TaskMetadata.CLOSED_THROUGH.key());
        assertThat(live.size()).isEqualTo(1);
        assertThat(keysOf(live.takeStoreDirty())).containsExactly(key(DAY, 0));
        assertThat(keysOf(live.takeDownstreamDirty())).containsExactly(key(DAY, 0));
    }

    @Test
    void resetForgetsEverything() {
        live.storedThrough(DAY - 1);
        touch(DAY, 0, "a");
        touch(DAY + 1, 3, "b");
        flush();
        touch(DAY, 0, "c");

        live.reset();

        assertThat(live.size()).isZero();
        assertThat(live.takeStoreDirty()).isEmpty();
        assertThat(live.takeDownstreamDirty()).isEmpty();
        // Every day may hold stored sketches again, and keys are built anew.
        keyCalls.clear();
        reads.clear();
        LiveSketch sketch = live.sketchFor(DAY + 1, 3, keys, stored);
        live.sketchFor(DAY + 50, 0, keys, stored);
        assertThat(reads).containsExactly(key(DAY + 1, 3), key(DAY + 50, 0));
        assertThat(keyCalls).containsExactly((DAY + 1) + "/3", (DAY + 50) + "/0");
        assertThat(estimate(sketch)).isCloseTo(1, within(0.01));
    }

    @Test
    void aClientAlreadyCountedMarksNothingDirtyInEveryMode() {
        live.storedThrough(DAY - 1);
        // List mode (a few clients), set mode (hundreds) and dense mode (tens of thousands).
        for (int clients : new int[] {3, 400, 20_000}) {
            int segment = clients; // one segment per size
            int changes = 0;
            for (int i = 0; i < clients; i++) {
                // Dense, a new client may land in a bucket that already holds a higher value.
                changes += live.update(DAY, segment, keys, NO_READ, "client-" + i) ? 1 : 0;
            }
            assertThat(changes).isPositive();
            flush();
            live.takeDownstreamDirty();
            for (int i = 0; i < clients; i++) {
                assertThat(live.update(DAY, segment, keys, NO_READ, "client-" + i))
                    .as("client %d of %d again", i, clients).isFalse();
            }
            assertThat(live.takeStoreDirty()).isEmpty();
            assertThat(live.takeDownstreamDirty()).isEmpty();

            // A new client does change it, and its bytes are what a fresh sketch of everyone gives.
            boolean changed = false;
            for (int i = clients; i < clients + 50 && !changed; i++) {
                changed = live.update(DAY, segment, keys, NO_READ, "client-" + i);
            }
            assertThat(changed).isTrue();
            List<KeyValue<Bytes, byte[]>> written = flush();
            assertThat(keysOf(written)).containsExactly(key(DAY, segment));
        }
    }
}
