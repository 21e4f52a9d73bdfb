package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LiveHll} against the DataSketches sketch it mirrors: the same updates must give the same
 * canonical bytes in every mode and across every transition, and an update must report a change
 * exactly when the DataSketches sketch's state changed.
 */
class LiveHllTest {

    /** Sizes around every transition at lgK 12: LIST (up to 7), SET (8 to 384), HLL (from 385). */
    private static final int[] CHECKPOINTS = {0, 1, 2, 7, 8, 9, 23, 24, 25, 96, 97, 383, 384, 385, 386, 1_000, 5_000, 40_000};

    /** What the fold did before {@link LiveHll}: DataSketches' heapify, as HLL_8. */
    private static HllSketch dataSketchesFrom(byte[] bytes) {
        HllSketch sketch = HllSketch.heapify(bytes);
        return sketch.getTgtHllType() == TgtHllType.HLL_8 ? sketch : sketch.copyAs(TgtHllType.HLL_8);
    }

    private static String clientId(Random random) {
        return new UUID(random.nextLong(), random.nextLong()).toString();
    }

    @ParameterizedTest
    @ValueSource(ints = {4, 7, 8, 10, 12, 14})
    void sameBytesAsDataSketchesThroughEveryMode(int lgK) {
        Random random = new Random(lgK);
        HllSketch reference = new HllSketch(lgK, TgtHllType.HLL_8);
        LiveHll live = LiveHll.empty(lgK);
        Set<String> distinct = new HashSet<>();
        List<String> seen = new ArrayList<>();
        int updates = 0;
        for (int checkpoint : CHECKPOINTS) {
            while (distinct.size() < checkpoint) {
                // one ping in three is a client seen before
                String id = !seen.isEmpty() && random.nextInt(3) == 0 ? seen.get(random.nextInt(seen.size())) : clientId(random);
                if (distinct.add(id)) {
                    seen.add(id);
                }
                reference.update(id);
                live.update(id);
                updates++;
            }
            assertThat(live.toBytes()).as("lgK %d after %d distinct in %d updates", lgK, distinct.size(), updates)
                .isEqualTo(Sketches.toBytes(reference));
        }
        assertThat(Sketches.fromBytes(live.toBytes()).getEstimate()).isEqualTo(reference.getEstimate());
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 12})
    void reportsAChangeExactlyWhenTheStateChanged(int lgK) {
        Random random = new Random(3);
        HllSketch reference = new HllSketch(lgK, TgtHllType.HLL_8);
        LiveHll live = LiveHll.empty(lgK);
        String[] ids = new String[3_000];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = clientId(random);
        }
        int changes = 0;
        for (int i = 0; i < 6_000; i++) {
            String id = ids[random.nextInt(ids.length)];
            byte[] before = Sketches.toBytes(reference);
            reference.update(id);
            boolean changed = !Arrays.equals(before, Sketches.toBytes(reference));
            assertThat(live.update(id)).as("update %d", i).isEqualTo(changed);
            changes += changed ? 1 : 0;
        }
        assertThat(changes).isBetween(100, 5_999); // both outcomes were exercised
        assertThat(live.update(null)).isFalse();
        assertThat(live.update("")).isFalse();
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 5, 8, 20, 200, 384, 385, 3_000})
    void continuesFromStoredBytesAsDataSketchesDoes(int size) {
        Sketches sketches = new Sketches(12);
        Random random = new Random(size);
        HllSketch first = sketches.newLive();
        for (int i = 0; i < size; i++) {
            first.update(clientId(random));
        }
        byte[] stored = Sketches.toBytes(first);
        HllSketch reference = dataSketchesFrom(stored);
        LiveHll live = LiveHll.fromBytes(stored);
        assertThat(live.toBytes()).isEqualTo(stored);
        assertThat(live.isEmpty()).isEqualTo(size == 0);
        for (int i = 0; i < 2_000; i++) {
            String id = clientId(random);
            reference.update(id);
            live.update(id);
            if (i % 97 == 0) {
                assertThat(live.toBytes()).as("size %d, then %d more", size, i + 1).isEqualTo(Sketches.toBytes(reference));
            }
        }
        assertThat(live.toBytes()).isEqualTo(Sketches.toBytes(reference));
    }

    @Test
    void readsOtherSerializationsThroughDataSketches() {
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
        HllSketch merged = union.getResult(TgtHllType.HLL_8); // out of order: no HIP
        HllSketch sparse = new HllSketch(12, TgtHllType.HLL_8);
        sparse.update("one");
        sparse.update("two");
        for (byte[] image : new byte[][] {hll4.toCompactByteArray(), merged.toCompactByteArray(),
                sparse.toUpdatableByteArray(), hll4.toUpdatableByteArray()}) {
            HllSketch reference = dataSketchesFrom(image);
            LiveHll live = LiveHll.fromBytes(image);
            assertThat(live.toBytes()).isEqualTo(Sketches.toBytes(reference));
            for (int i = 0; i < 500; i++) {
                String id = clientId(random);
                reference.update(id);
                live.update(id);
            }
            assertThat(live.toBytes()).isEqualTo(Sketches.toBytes(reference));
            assertThat(Sketches.fromBytes(live.toBytes()).getEstimate()).isEqualTo(reference.getEstimate());
        }
    }

    @Test
    void hashesEveryStringAsDataSketchesDoes() {
        Random random = new Random(5);
        StringBuilder ascii = new StringBuilder();
        for (int length = 1; length <= 70; length++) {
            ascii.append((char) (32 + random.nextInt(95)));
            String[] strings = {ascii.toString(), ascii + "\u00e9", "\u00e9" + ascii, ascii + "\u20ac",
                ascii + "\ud83d\ude00", ascii.toString().replace(' ', '\u007f') + "\u0080"};
            for (String datum : strings) {
                HllSketch reference = new HllSketch(21, TgtHllType.HLL_8);
                LiveHll live = LiveHll.empty(21);
                reference.update(datum);
                live.update(datum);
                // one coupon, stored as is in the list: equal bytes mean equal hashes
                assertThat(live.toBytes()).as("%s", datum).isEqualTo(Sketches.toBytes(reference));
            }
        }
    }

    @Test
    void rejectsBytesThatAreNoSketch() {
        assertThatThrownBy(() -> LiveHll.fromBytes(new byte[] {1, 2, 3}))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LiveHll.fromBytes("not a sketch, at all".getBytes()))
            .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> LiveHll.empty(3)).isInstanceOf(IllegalArgumentException.class);
        byte[] list = Sketches.toBytes(new Sketches(12).newLive());
        list[6] = 9; // claims nine coupons in an empty list
        assertThatThrownBy(() -> LiveHll.fromBytes(list)).isInstanceOf(IllegalArgumentException.class);
        byte[] full = Arrays.copyOf(list, 8 + 4 * 8);
        full[6] = 8; // eight coupons: a list that full has already turned into a set
        for (int i = 0; i < 8; i++) {
            full[8 + 4 * i] = (byte) (i + 1);
            full[8 + 4 * i + 3] = 4; // a value in the coupon's top bits
        }
        assertThatThrownBy(() -> LiveHll.fromBytes(full)).isInstanceOf(IllegalArgumentException.class);
        HllSketch dense = new HllSketch(12, TgtHllType.HLL_8);
        for (int i = 0; i < 10_000; i++) {
            dense.update(i);
        }
        byte[] truncated = Arrays.copyOf(dense.toCompactByteArray(), 1_000);
        assertThatThrownBy(() -> LiveHll.fromBytes(truncated)).isInstanceOf(IllegalArgumentException.class);
    }
}
