package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LiveSketch}: DataSketches' sketch, an exact "changed" on every update, and copies that other
 * threads can take while it grows.
 */
class LiveSketchTest {

    private static String clientId(Random random) {
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 8, 12, 14})
    void reportsAChangeExactlyWhenTheBytesChangeThroughEveryMode(int lgK) {
        Random random = new Random(lgK);
        LiveSketch live = LiveSketch.empty(lgK);
        HllSketch reference = new HllSketch(lgK, TgtHllType.HLL_8);
        List<String> seen = new ArrayList<>();
        byte[] before = live.toBytes();
        int changes = 0;
        for (int i = 0; i < 30_000; i++) {
            // one update in three is a client seen before
            String id = !seen.isEmpty() && random.nextInt(3) == 0 ? seen.get(random.nextInt(seen.size())) : clientId(random);
            seen.add(id);
            boolean changed = live.update(id);
            reference.update(id);
            byte[] after = live.toBytes();
            assertThat(changed).as("update %d", i).isEqualTo(!Arrays.equals(before, after));
            assertThat(after).isEqualTo(Sketches.toBytes(reference));
            changes += changed ? 1 : 0;
            before = after;
        }
        assertThat(changes).isGreaterThan(50).isLessThan(30_000);
        assertThat(before[7] & 3).as("ends dense").isEqualTo(2);
        assertThat(live.update(null)).isFalse();
        assertThat(live.update("")).isFalse();
    }

    @Test
    void continuesFromOtherSerializations() {
        Random random = new Random(9);
        HllSketch hll4 = new HllSketch(12, TgtHllType.HLL_4);
        HllSketch a = new HllSketch(12, TgtHllType.HLL_8);
        HllSketch b = new HllSketch(12, TgtHllType.HLL_8);
        for (int i = 0; i < 5_000; i++) {
            String id = clientId(random);
            hll4.update(id);
            (i % 2 == 0 ? a : b).update(id);
        }
        Union union = new Union(12);
        union.update(a);
        union.update(b);
        HllSketch merged = union.getResult(TgtHllType.HLL_8); // out of order: the composite estimator
        HllSketch sparse = new HllSketch(12, TgtHllType.HLL_8);
        sparse.update("one");
        sparse.update("two");
        for (byte[] image : new byte[][] {hll4.toCompactByteArray(), merged.toCompactByteArray(),
                sparse.toUpdatableByteArray(), hll4.toUpdatableByteArray()}) {
            LiveSketch live = LiveSketch.fromBytes(image);
            double start = Sketches.fromBytes(live.toBytes()).getEstimate();
            int changes = 0;
            for (int i = 0; i < 500; i++) {
                byte[] before = live.toBytes();
                boolean changed = live.update(clientId(random));
                assertThat(changed).isEqualTo(!Arrays.equals(before, live.toBytes()));
                changes += changed ? 1 : 0;
            }
            assertThat(changes).isPositive();
            assertThat(Sketches.fromBytes(live.toBytes()).getEstimate()).isGreaterThan(start);
        }
    }

    @Test
    void copiesTakenWhileItGrowsAreWholeAndNeverShrink() throws Exception {
        LiveSketch live = LiveSketch.empty(12);
        AtomicBoolean done = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Integer> modes = new ArrayList<>();
        CountDownLatch reading = new CountDownLatch(1);
        AtomicInteger seen = new AtomicInteger(-1);
        Thread reader = new Thread(() -> {
            double last = 0;
            try {
                while (!done.get()) {
                    byte[] copy = live.snapshotBytes();
                    HllSketch sketch = Sketches.fromBytes(copy); // decodes, or the test fails
                    assertThat(sketch.getEstimate()).isGreaterThanOrEqualTo(last);
                    last = sketch.getEstimate();
                    int mode = copy[7] & 3;
                    if (modes.isEmpty() || modes.get(modes.size() - 1) != mode) {
                        modes.add(mode);
                    }
                    seen.set(mode);
                    reading.countDown();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        reader.start();
        assertThat(reading.await(30, TimeUnit.SECONDS)).as("the reader started").isTrue();
        Random random = new Random(1);
        // Through the sparse modes one update at a time: at each change of mode the writer waits,
        // with a deadline, until the reader has copied the sketch in that mode; then on to dense.
        int mode = 0;
        for (int i = 0; i < 100_000 && failure.get() == null; i++) {
            live.update(clientId(random));
            if (mode < 2) {
                int now = live.toBytes()[7] & 3;
                if (now != mode) {
                    mode = now;
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (seen.get() != mode && failure.get() == null && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                }
            }
        }
        done.set(true);
        reader.join();
        assertThat(failure.get()).isNull();
        assertThat(modes).as("LIST, SET, then HLL").containsSubsequence(0, 1, 2);
        assertThat(live.snapshotBytes()).isEqualTo(live.toBytes());
    }

    @Test
    void rejectsBytesThatAreNoSketch() {
        assertThatThrownBy(() -> LiveSketch.fromBytes(new byte[] {1, 2, 3}))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LiveSketch.fromBytes("not a sketch, at all".getBytes()))
            .isInstanceOf(IllegalArgumentException.class);
        HllSketch dense = new HllSketch(12, TgtHllType.HLL_8);
        for (int i = 0; i < 10_000; i++) {
            dense.update(i);
        }
        byte[] truncated = Arrays.copyOf(dense.toCompactByteArray(), 1_000);
        assertThatThrownBy(() -> LiveSketch.fromBytes(truncated)).isInstanceOf(IllegalArgumentException.class);
    }
}
