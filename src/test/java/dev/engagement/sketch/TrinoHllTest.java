package dev.engagement.sketch;

import io.airlift.slice.Slices;
import io.airlift.stats.cardinality.HyperLogLog;
import org.apache.datasketches.hash.MurmurHash3;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link TrinoHll} against airlift's own {@code HyperLogLog} (Trino's type): the converted bytes equal
 * what airlift builds from the mapped hash of every client, for every DataSketches mode and stored
 * type, lgK 12 and above, 1 to 1M clients; and converted sketches union and estimate within bounds.
 */
class TrinoHllTest {

    /** DataSketches' default update seed. */
    private static final long SEED = 9001L;
    private static final int[] SIZES = {1, 2, 7, 8, 9, 50, 100, 384, 385, 400, 511, 512, 600, 1_000, 1_536, 1_537,
        5_000, 30_000, 100_000, 1_000_000};

    /**
     * DataSketches' coupon of a long id, computed here from the hash rather than read from a sketch:
     * the low 26 bits of the first half of MurmurHash3 (seed 9001), and the leading zeros of the
     * second half plus 1 (at most 63).
     */
    private static int coupon(long id) {
        long[] h = MurmurHash3.hash(new long[] {id}, SEED);
        int address = (int) (h[0] & ((1 << 26) - 1));
        int value = Math.min(Long.numberOfLeadingZeros(h[1]), 62) + 1;
        return value << 26 | address;
    }

    /** What airlift builds from a client's mapped hash. */
    private static void addMapped(HyperLogLog airlift, long id) {
        int c = coupon(id);
        airlift.addHash(TrinoHll.hash(c & ((1 << 26) - 1), c >>> 26));
    }

    /** The mode of a sketch: LIST, SET or HLL (the low bits of compact preamble byte 7). */
    private static String mode(HllSketch sketch) {
        return switch (sketch.toCompactByteArray()[7] & 3) {
            case 0 -> "LIST";
            case 1 -> "SET";
            default -> "HLL";
        };
    }

    private static boolean dense(byte[] airlift) {
        return airlift[0] == 3;
    }

    private static HyperLogLog airlift(byte[] bytes) {
        return HyperLogLog.newInstance(Slices.wrappedBuffer(bytes));
    }

    @Test
    void mappedHashHasTheSlotOnTopAndTheValueInItsLeadingZeros() {
        Random rnd = new Random(14);
        for (int i = 0; i < 100_000; i++) {
            int address = rnd.nextInt(1 << 26);
            int value = 1 + rnd.nextInt(63);
            long hash = TrinoHll.hash(address, value);
            assertThat(hash >>> 52).isEqualTo(address & 0xFFF);
            // airlift's value: leading zeros after the 12 bucket bits (with its sentinel bit), plus 1
            int airliftValue = Long.numberOfLeadingZeros((hash << 12) | (1L << 11)) + 1;
            assertThat(airliftValue).isEqualTo(Math.min(value, 53));
        }
    }

    static Stream<Arguments> precisionsAndTypes() {
        List<Arguments> all = new ArrayList<>();
        for (int lgK : new int[] {12, 13, 16}) {
            for (TgtHllType type : TgtHllType.values()) {
                all.add(Arguments.of(lgK, type));
            }
        }
        return all.stream();
    }

    /**
     * Grows one DataSketches sketch and one airlift sketch of the mapped hashes side by side, and at
     * each size compares the converted bytes with airlift's. LIST and SET convert sparse while airlift
     * keeps that many entries sparse; HLL converts dense (airlift's own sketch made dense to compare).
     */
    @ParameterizedTest(name = "lgK {0} {1}")
    @MethodSource("precisionsAndTypes")
    void bytesEqualAirliftsOwnForEveryModeAndSize(int lgK, TgtHllType type) {
        HllSketch sketch = new HllSketch(lgK, type);
        HyperLogLog reference = HyperLogLog.newInstance(4096);
        Set<String> modesSeen = new HashSet<>();
        long id = 0;
        Random rnd = new Random(lgK * 31L + type.ordinal());
        long offset = rnd.nextLong();
        for (int size : SIZES) {
            for (; id < size; id++) {
                sketch.update(offset + id);
                addMapped(reference, offset + id);
            }
            String mode = mode(sketch);
            modesSeen.add(mode);
            byte[] converted = TrinoHll.fromDataSketches(sketch);
            // The stored form (compact bytes read back) converts the same.
            assertThat(TrinoHll.fromDataSketches(HllSketch.heapify(sketch.toCompactByteArray())))
                .as("heapified, %d ids", size).isEqualTo(converted);

            byte[] expected = reference.serialize().getBytes();
            if (mode.equals("HLL")) {
                assertThat(dense(converted)).as("HLL mode converts dense, %d ids", size).isTrue();
            } else {
                assertThat(dense(converted)).as("%s converts as airlift keeps it, %d ids", mode, size)
                    .isEqualTo(dense(expected));
            }
            if (dense(converted) && !dense(expected)) {
                HyperLogLog copy = airlift(expected);
                copy.makeDense();
                expected = copy.serialize().getBytes();
            }
            assertThat(converted).as("%s lgK %d %s, %d ids", mode, lgK, type, size).isEqualTo(expected);
        }
        assertThat(modesSeen).containsExactlyInAnyOrder("LIST", "SET", "HLL");
    }

    /** The sparse limit is airlift's own: it keeps 511 entries sparse and turns dense at the 512th. */
    @Test
    void sparseLimitIsAirliftsOwn() {
        HyperLogLog airlift = HyperLogLog.newInstance(4096);
        Random rnd = new Random(511);
        Set<Long> hashes = new HashSet<>();
        while (hashes.size() < TrinoHll.MAX_SPARSE_ENTRIES) {
            long hash = TrinoHll.hash(rnd.nextInt(1 << 26), 1 + rnd.nextInt(20));
            if (hashes.add(hash >>> 38)) { // a new sparse index: one more entry
                airlift.addHash(hash);
            }
        }
        assertThat(dense(airlift.serialize().getBytes())).isFalse();
        long hash;
        do {
            hash = TrinoHll.hash(rnd.nextInt(1 << 26), 1 + rnd.nextInt(20));
        } while (hashes.contains(hash >>> 38));
        airlift.addHash(hash);
        assertThat(dense(airlift.serialize().getBytes())).isTrue();
    }

    @Test
    void sparseEstimatesAreWithinDataSketchesBounds() {
        Random rnd = new Random(7);
        for (int size : new int[] {1, 10, 100, 300, 384}) {
            HllSketch sketch = new HllSketch(12, TgtHllType.HLL_8);
            for (int i = 0; i < size; i++) {
                sketch.update(rnd.nextLong());
            }
            byte[] converted = TrinoHll.fromDataSketches(sketch);
            assertThat(dense(converted)).isFalse();
            assertThat((double) airlift(converted).cardinality()).as("%d ids", size)
                .isBetween(Math.floor(sketch.getLowerBound(2)), Math.ceil(sketch.getUpperBound(2)));
        }
    }

    /**
     * 28 overlapping days of 30,000 clients out of 150,000, as a month of DAU: the converted daily
     * sketches merged by airlift give exactly the registers of DataSketches' own union, and an estimate
     * within that union's bounds, which hold the true count.
     */
    @Test
    void converted28DayUnionMatchesDataSketchesUnion() {
        Random rnd = new Random(28);
        Union union = new Union(12);
        HyperLogLog merged = null;
        Set<Long> truth = new HashSet<>();
        for (int day = 0; day < 28; day++) {
            HllSketch daily = new HllSketch(12, TgtHllType.HLL_8);
            for (int i = 0; i < 30_000; i++) {
                long id = rnd.nextInt(150_000);
                daily.update(id);
                truth.add(id);
            }
            union.update(daily);
            HyperLogLog converted = airlift(TrinoHll.fromDataSketches(HllSketch.heapify(Sketches.toBytes(daily))));
            if (merged == null) {
                merged = converted;
            } else {
                merged.mergeWith(converted);
            }
        }
        HllSketch result = union.getResult(TgtHllType.HLL_8);
        assertThat(merged.serialize().getBytes()).isEqualTo(TrinoHll.fromDataSketches(result));
        assertThat((double) truth.size()).isBetween(result.getLowerBound(2), result.getUpperBound(2));
        assertThat((double) merged.cardinality()).isBetween(result.getLowerBound(2), result.getUpperBound(2));
    }

    /** Converted sketches estimate with the usual error: RMSE under 2 % (1.04 / sqrt(4096) is 1.6 %). */
    @Test
    void convertedEstimatesHaveTheUsualError() {
        Random rnd = new Random(2000);
        for (int size : new int[] {1_000, 20_000}) {
            double squares = 0;
            int trials = 60;
            for (int t = 0; t < trials; t++) {
                HllSketch sketch = new HllSketch(12, TgtHllType.HLL_8);
                for (int i = 0; i < size; i++) {
                    sketch.update(rnd.nextLong());
                }
                double error = (airlift(TrinoHll.fromDataSketches(sketch)).cardinality() - size) / (double) size;
                squares += error * error;
            }
            assertThat(Math.sqrt(squares / trials)).as("RMSE at %d", size).isLessThan(0.02);
        }
    }

    /** Small sketches merge as sparse lists: 20 segments of 15 clients, some shared. */
    @Test
    void sparseUnionMatchesDataSketchesUnion() {
        Random rnd = new Random(3);
        Union union = new Union(12);
        HyperLogLog merged = HyperLogLog.newInstance(4096);
        Set<Long> truth = new HashSet<>();
        for (int segment = 0; segment < 20; segment++) {
            HllSketch sketch = new HllSketch(12, TgtHllType.HLL_8);
            for (int i = 0; i < 15; i++) {
                long id = rnd.nextInt(250);
                sketch.update(id);
                truth.add(id);
            }
            union.update(sketch);
            merged.mergeWith(airlift(TrinoHll.fromDataSketches(sketch)));
        }
        byte[] expected = TrinoHll.fromDataSketches(union.getResult(TgtHllType.HLL_8));
        assertThat(dense(expected)).isFalse();
        assertThat(merged.serialize().getBytes()).isEqualTo(expected);
        assertThat(merged.cardinality()).isEqualTo(truth.size());
    }

    @Test
    void refusesSketchesBelowLgK12() {
        assertThat(TrinoHll.converts(11)).isFalse();
        assertThat(TrinoHll.converts(12)).isTrue();
        assertThatThrownBy(() -> TrinoHll.fromDataSketches(new HllSketch(11)))
            .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lgK >= 12");
    }
}
