package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Converts a DataSketches HLL sketch into the bytes of Trino's and Presto's {@code HyperLogLog} type
 * (airlift's {@code io.airlift.stats.cardinality.HyperLogLog}) with 4,096 buckets, so that
 * {@code cardinality(merge(cast(trino_hll AS HyperLogLog)))} counts what the sketch counts.
 *
 * <p>Contract: {@link #fromDataSketches} accepts any sketch of lgK 12 or more, in any mode (LIST,
 * SET, HLL) and any stored type (HLL_4, HLL_6, HLL_8). The bytes are exactly those that airlift
 * builds when it is given {@link #hash} of each of the sketch's coupons (LIST, SET) or registers
 * (HLL): sparse (format 2) for the sparse modes while they hold at most {@value #MAX_SPARSE_ENTRIES}
 * entries, otherwise dense (format 3). Sketches below lgK 12 have too few buckets to fill 4,096 and
 * are refused. Stateless and thread-safe.
 *
 * <h2>The mapping, and why it is exact</h2>
 * A DataSketches coupon is a 26-bit address (the low bits of the first half of MurmurHash3's 128-bit
 * hash, seed 9001) and a 6-bit value (the leading zeros of the second half, plus 1). In HLL mode the
 * register of slot {@code s} (the low lgK bits of the address) holds the largest value of its
 * coupons. The coupon maps to the 64-bit hash whose top 12 bits are the slot at lgK 12 (the low 12
 * bits of the address), followed by {@code value - 1} zeros and a one, then the address's other 14
 * bits. Airlift's bucket is the top 12 bits of a hash and its value the leading zeros after them,
 * plus 1: so every converted register equals DataSketches' own register at lgK 12, and a sketch of
 * lgK above 12 folds down as DataSketches itself folds a union to lgK 12 (the value does not depend on
 * the address bits dropped). Airlift's sparse form keeps the top 26 bits of the hash, which here hold
 * the slot, the value and most of the remaining address bits, so distinct coupons stay distinct
 * entries and its sparse estimate (linear counting over 2^26) is as exact as DataSketches' list.
 * Converted sketches union correctly with each other, in Trino's {@code merge} or airlift's
 * {@code mergeWith}, because the same client always maps to the same hash.
 *
 * <h2>Limits</h2>
 * <ul>
 *   <li>Between 385 and 511 distinct clients (at lgK 12) DataSketches is already in HLL mode while
 *   airlift would still keep a sparse list; the converted sketch is then dense and its estimate (linear
 *   counting over 4,096 buckets) is a little less exact than DataSketches' own. Elsewhere the two agree
 *   within the usual error (measured: RMSE 1.15-1.5 % from 1k to 1M ids; unions within 0.5 % of
 *   DataSketches' union).</li>
 *   <li>Values above 53, airlift's largest at 4,096 buckets, are capped at 53 (a chance below
 *   2^-52 per client).</li>
 *   <li>A converted sketch is a sketch of the clients under DataSketches' hash, not Trino's. It does
 *   <b>not</b> merge meaningfully with Trino's own {@code approx_set(client_id)} (MurmurHash3 seed 0):
 *   the same client lands in unrelated buckets, and shared clients are counted twice.</li>
 * </ul>
 */
public final class TrinoHll {

    /** Airlift's p: log2 of the number of buckets of the converted sketch. */
    private static final int P = 12;
    /** The smallest lgK that converts: below it there are fewer than 4,096 registers. */
    private static final int MIN_LG_K = P;
    /**
     * The most entries airlift keeps sparse at p = 12: it turns a sparse sketch dense when its memory
     * exceeds that of a dense one, at the 512th entry (measured with airlift 214 in the tests).
     */
    static final int MAX_SPARSE_ENTRIES = 511;

    private static final byte SPARSE_V2 = 2;
    private static final byte DENSE_V2 = 3;
    private static final int BUCKETS = 1 << P;
    /** Bits of airlift's sparse index: 32 minus its 6 value bits. */
    private static final int SPARSE_INDEX_BITS = 26;
    private static final int ADDRESS_BITS = 26;
    /** The coupon address bits past the 12 of the slot, stored after the value's marker bit. */
    private static final int REST_BITS = ADDRESS_BITS - P;
    /** Bits of the hash after the bucket: 52, so values run from 1 to 53. */
    private static final int TAIL_BITS = Long.SIZE - P;
    private static final int MAX_VALUE = TAIL_BITS + 1;
    private static final int MAX_DELTA = 15;
    private static final int HLL_MODE = 2;
    private static final int MODE_BYTE = 7;
    /** Where the registers start in compact HLL_8 bytes (after the 40-byte preamble). */
    private static final int HLL_8_REGISTERS = 40;

    private TrinoHll() {
    }

    /** True if sketches of this lgK convert (12 and above). */
    public static boolean converts(int lgK) {
        return lgK >= MIN_LG_K;
    }

    /**
     * The airlift {@code HyperLogLog} bytes of a sketch (see the class notes).
     *
     * @throws IllegalArgumentException if the sketch's lgK is below 12
     */
    public static byte[] fromDataSketches(HllSketch sketch) {
        int lgK = sketch.getLgConfigK();
        if (!converts(lgK)) {
            throw new IllegalArgumentException("a Trino HyperLogLog needs lgK >= " + MIN_LG_K + ", got " + lgK);
        }
        HllSketch hll8 = sketch.getTgtHllType() == TgtHllType.HLL_8 ? sketch : sketch.copyAs(TgtHllType.HLL_8);
        byte[] compact = hll8.toCompactByteArray();
        if ((compact[MODE_BYTE] & 3) == HLL_MODE) {
            return dense(registersOfHll(compact, lgK));
        }
        int[] entries = sparseEntries(compact);
        return entries.length <= MAX_SPARSE_ENTRIES ? sparse(entries) : dense(registersOfEntries(entries));
    }

    /**
     * The 64-bit hash a coupon (or register) maps to: the slot at lgK 12 on top, then
     * {@code value - 1} zeros and a one, then the address's other bits.
     *
     * @param address the coupon's 26-bit address, or an HLL-mode register's slot
     * @param value   the coupon's or register's value, 1 to 63
     */
    static long hash(int address, int value) {
        long hash = (long) (address & (BUCKETS - 1)) << TAIL_BITS;
        if (value > TAIL_BITS) {
            return hash; // all zeros after the bucket: airlift's largest value, 53
        }
        int below = TAIL_BITS - value; // bits under the marker
        long rest = (address >>> P) & ((1L << REST_BITS) - 1);
        hash |= 1L << below;
        hash |= below >= REST_BITS ? rest << (below - REST_BITS) : rest >>> (REST_BITS - below);
        return hash;
    }

    /** Airlift's sparse entry of a hash: its top 26 bits, then the leading zeros after them (6 bits). */
    private static int sparseEntry(long hash) {
        int index = (int) (hash >>> (Long.SIZE - SPARSE_INDEX_BITS));
        int zeros = Long.numberOfLeadingZeros((hash << SPARSE_INDEX_BITS) | (1L << (SPARSE_INDEX_BITS - 1)));
        return (index << (Integer.SIZE - SPARSE_INDEX_BITS)) | zeros;
    }

    /** The sparse entries of a compact LIST or SET sketch's coupons, sorted by index, one per index. */
    private static int[] sparseEntries(byte[] compact) {
        ByteBuffer buf = ByteBuffer.wrap(compact).order(ByteOrder.LITTLE_ENDIAN);
        int start = (compact[0] & 0x3f) * Integer.BYTES; // after the preamble ints
        int count = (compact.length - start) / Integer.BYTES;
        int[] entries = new int[count];
        int n = 0;
        for (int i = 0; i < count; i++) {
            int coupon = buf.getInt(start + i * Integer.BYTES);
            if (coupon != 0) { // 0 marks an empty slot of a hash set
                entries[n++] = sparseEntry(hash(coupon & ((1 << ADDRESS_BITS) - 1), coupon >>> ADDRESS_BITS));
            }
        }
        // Unsigned order is index order (the index is the high bits); equal indexes keep the larger value.
        int[] sorted = Arrays.stream(entries, 0, n).mapToLong(Integer::toUnsignedLong).sorted()
            .mapToInt(e -> (int) e).toArray();
        int kept = 0;
        for (int e : sorted) {
            if (kept > 0 && (sorted[kept - 1] >>> 6) == (e >>> 6)) {
                sorted[kept - 1] = e; // same index, and sorted: this value is the larger
            } else {
                sorted[kept++] = e;
            }
        }
        return Arrays.copyOf(sorted, kept);
    }

    /** The 4,096 register values of an HLL-mode compact HLL_8 sketch, folded down from its lgK. */
    private static int[] registersOfHll(byte[] compact, int lgK) {
        int[] registers = new int[BUCKETS];
        for (int slot = 0; slot < 1 << lgK; slot++) {
            int value = compact[HLL_8_REGISTERS + slot];
            if (value > 0) {
                int bucket = slot & (BUCKETS - 1);
                registers[bucket] = Math.max(registers[bucket], Math.min(value, MAX_VALUE));
            }
        }
        return registers;
    }

    /** The registers a list of sparse entries gives, as airlift's sparse-to-dense conversion does. */
    private static int[] registersOfEntries(int[] entries) {
        int[] registers = new int[BUCKETS];
        int bitsAfterBucket = SPARSE_INDEX_BITS - P;
        for (int entry : entries) {
            int bucket = entry >>> (Integer.SIZE - P);
            int zeros = Integer.numberOfLeadingZeros(entry << P);
            if (zeros > bitsAfterBucket) {
                zeros = bitsAfterBucket + (entry & 0x3f);
            }
            registers[bucket] = Math.max(registers[bucket], zeros + 1);
        }
        return registers;
    }

    /** Airlift's sparse v2 bytes: tag, p, a little-endian short count, then the entries. */
    private static byte[] sparse(int[] entries) {
        ByteBuffer out = ByteBuffer.allocate(4 + entries.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        out.put(SPARSE_V2).put((byte) P).putShort((short) entries.length);
        for (int e : entries) {
            out.putInt(e);
        }
        return out.array();
    }

    /**
     * Airlift's dense v2 bytes: tag, p, the baseline (the smallest register), 4-bit deltas from it
     * (the even bucket in the high nibble), then the registers more than 15 above it: a short count,
     * their buckets as shorts in order, and the excess over 15 as bytes.
     */
    private static byte[] dense(int[] registers) {
        int baseline = Arrays.stream(registers).min().orElse(0);
        int overflows = 0;
        for (int r : registers) {
            if (r - baseline > MAX_DELTA) {
                overflows++;
            }
        }
        ByteBuffer out = ByteBuffer.allocate(3 + BUCKETS / 2 + 2 + overflows * 3).order(ByteOrder.LITTLE_ENDIAN);
        out.put(DENSE_V2).put((byte) P).put((byte) baseline);
        for (int bucket = 0; bucket < BUCKETS; bucket += 2) {
            int high = Math.min(registers[bucket] - baseline, MAX_DELTA);
            int low = Math.min(registers[bucket + 1] - baseline, MAX_DELTA);
            out.put((byte) (high << 4 | low));
        }
        out.putShort((short) overflows);
        for (int bucket = 0; bucket < BUCKETS; bucket++) {
            if (registers[bucket] - baseline > MAX_DELTA) {
                out.putShort((short) bucket);
            }
        }
        for (int r : registers) {
            if (r - baseline > MAX_DELTA) {
                out.put((byte) (r - baseline - MAX_DELTA));
            }
        }
        return out.array();
    }
}
