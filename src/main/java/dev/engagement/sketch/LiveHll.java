package dev.engagement.sketch;

import org.apache.datasketches.hash.MurmurHash3;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.thetacommon.ThetaUtil;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * The live, updatable {@code HLL_8} sketch of the fold: the same states, in the same order, as an
 * Apache DataSketches heap {@code HllSketch(lgK, HLL_8)} given the same updates, so that
 * {@link #toBytes()} equals {@link Sketches#toBytes} of that sketch byte for byte (including the
 * floating-point HIP and KxQ registers).
 *
 * <p>Why not the DataSketches object itself: the fold updates one of tens of thousands of sketches
 * at random, so an update's cost is its chain of cache misses. A DataSketches sketch is three
 * objects deep before its coupons or registers; this one is one, and {@code LiveSketches} extends
 * it with its own bookkeeping so the chain is array, object, data. It also tells whether an update
 * changed the sketch, which the fold needs to write only what changed.
 *
 * <p>Modes, as in DataSketches: a LIST of up to 8 coupons, then a SET (an open-addressing table
 * that grows to {@code K/8} ints), then the dense array of {@code K} one-byte registers with the
 * HIP estimator. Not thread-safe.
 */
public class LiveHll {

    private static final int LIST = 0;
    private static final int SET = 1;
    private static final int HLL = 2;
    private static final int HLL_8_TYPE = 2;
    private static final int KEY_BITS_26 = 26;
    private static final int KEY_MASK_26 = (1 << KEY_BITS_26) - 1;
    private static final int VALUE_MASK_6 = 0x3f;
    private static final int LG_INIT_LIST = 3;
    private static final int LG_INIT_SET = 5;
    private static final int FAMILY_ID = 7;
    private static final int SER_VER = 1;
    private static final int EMPTY_FLAG = 4;
    private static final int COMPACT_FLAG = 8;
    private static final int OUT_OF_ORDER_FLAG = 16;
    private static final int REBUILD_FLAG = 32;
    private static final int HLL_PREAMBLE_BYTES = 40;
    /** The estimate a LIST or SET sketch has when it turns dense, by lgK (see {@link #promotionEstimate}). */
    private static final ConcurrentMap<Integer, Double> PROMOTION_ESTIMATES = new ConcurrentHashMap<>();
    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(LiveHll.class, "seq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final int lgK;
    private int mode;
    /** LIST and SET: the coupons (0 is empty) and how many; log2 of the array's length. */
    private int[] coupons;
    private int count;
    private int lgArr;
    /** HLL: one register per bucket, and the HIP estimator's state. */
    private byte[] registers;
    private double hipAccum;
    private double kxq0;
    private double kxq1;
    private int zeros;
    private boolean outOfOrder;
    /** Odd while the writer changes the state; read and written through {@link #SEQ}. */
    @SuppressWarnings("unused")
    private int seq;

    /** An empty sketch of {@code 2^lgK} buckets. */
    protected LiveHll(int lgK) {
        if (lgK < 4 || lgK > 21) {
            throw new IllegalArgumentException("lgK must be between 4 and 21, got " + lgK);
        }
        this.lgK = lgK;
        this.mode = LIST;
        this.lgArr = LG_INIT_LIST;
        this.coupons = new int[1 << LG_INIT_LIST];
    }

    /**
     * A sketch that continues from stored bytes, as {@code HllSketch.heapify} (and a copy as
     * {@code HLL_8}) would.
     *
     * @throws IllegalArgumentException when the bytes are not an HLL sketch
     */
    protected LiveHll(byte[] stored) {
        this(lgKOf(stored));
        try {
            load(normalized(stored));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a readable HLL sketch: " + e.getMessage(), e);
        }
        seq = 0; // loading is no change a reader can see: the sketch is not shared yet
    }

    /** An empty sketch of {@code 2^lgK} buckets. */
    public static LiveHll empty(int lgK) {
        return new LiveHll(lgK);
    }

    /**
     * A sketch that continues from stored bytes (any DataSketches HLL serialization).
     *
     * @throws IllegalArgumentException when the bytes are not a readable HLL sketch
     */
    public static LiveHll fromBytes(byte[] stored) {
        return new LiveHll(stored);
    }

    /**
     * Counts a client id, as {@code HllSketch.update(String)} does (null and empty are ignored).
     *
     * @return whether the sketch changed: false when it already held this id's coupon
     */
    public final boolean update(String datum) {
        if (datum == null || datum.isEmpty()) {
            return false;
        }
        if (!couponUpdate(coupon(datum))) {
            return false;
        }
        SEQ.setRelease(this, seq + 1); // even: the change is whole
        return true;
    }

    /**
     * Called before the first write of a change: makes the sequence number odd, and keeps the
     * writes that follow from being seen before it. Once per change (a promotion re-enters).
     */
    private void writing() {
        int s = seq;
        if ((s & 1) == 0) {
            SEQ.setOpaque(this, s + 1);
            VarHandle.storeStoreFence();
        }
    }

    /**
     * The canonical bytes of {@link #toBytes()}, safe to call from any thread while the owner
     * updates: a copy of one whole state, never of a change half made. Optimistic: it reads
     * without locking and tries again when the writer changed the sketch meanwhile (a read of a
     * half-made state may also throw, which is caught and tried again). The writer changes a
     * given sketch at most a few hundred thousand times a second, so a retry is rare.
     */
    public final byte[] snapshotBytes() {
        for (int attempt = 1; ; attempt++) {
            int before = (int) SEQ.getAcquire(this);
            if ((before & 1) == 0) {
                byte[] bytes;
                try {
                    bytes = toBytes();
                } catch (RuntimeException torn) {
                    bytes = null;
                }
                VarHandle.acquireFence(); // the reads above complete before the number is read again
                if (bytes != null && (int) SEQ.getOpaque(this) == before) {
                    return bytes;
                }
            }
            if (attempt % 64 == 0) {
                Thread.yield();
            } else {
                Thread.onSpinWait();
            }
        }
    }

    /**
     * The coupon of a string, as DataSketches computes it: MurmurHash3 (x64, 128 bits, seed
     * {@link ThetaUtil#DEFAULT_UPDATE_SEED}) of its UTF-8 bytes; the low 26 bits of the first half
     * address the coupon, the leading zeros of the second give its value. An ASCII string (a client
     * id in practice) is hashed from its chars, which are its UTF-8 bytes, with no copy; any other
     * is encoded first.
     */
    static int coupon(String datum) {
        int length = datum.length();
        long h1 = ThetaUtil.DEFAULT_UPDATE_SEED;
        long h2 = ThetaUtil.DEFAULT_UPDATE_SEED;
        int nonAscii = 0;
        int at = 0;
        for (; at + 16 <= length; at += 16) {
            long k1 = 0;
            long k2 = 0;
            for (int j = 7; j >= 0; j--) {
                char c1 = datum.charAt(at + j);
                char c2 = datum.charAt(at + 8 + j);
                nonAscii |= c1 | c2;
                k1 = k1 << 8 | c1;
                k2 = k2 << 8 | c2;
            }
            h1 ^= mixK1(k1);
            h1 = Long.rotateLeft(h1, 27) + h2;
            h1 = h1 * 5 + 0x52dce729;
            h2 ^= mixK2(k2);
            h2 = Long.rotateLeft(h2, 31) + h1;
            h2 = h2 * 5 + 0x38495ab5;
        }
        long k1 = 0;
        long k2 = 0;
        for (int j = length - 1; j >= at + 8; j--) {
            char c = datum.charAt(j);
            nonAscii |= c;
            k2 = k2 << 8 | c;
        }
        for (int j = Math.min(length, at + 8) - 1; j >= at; j--) {
            char c = datum.charAt(j);
            nonAscii |= c;
            k1 = k1 << 8 | c;
        }
        if (nonAscii >= 0x80) {
            long[] hash = MurmurHash3.hash(datum.getBytes(StandardCharsets.UTF_8), ThetaUtil.DEFAULT_UPDATE_SEED);
            return coupon(hash[0], hash[1]);
        }
        h1 ^= mixK1(k1);
        h2 ^= mixK2(k2);
        h1 ^= length;
        h2 ^= length;
        h1 += h2;
        h2 += h1;
        h1 = finalMix(h1);
        h2 = finalMix(h2);
        h1 += h2;
        h2 += h1;
        return coupon(h1, h2);
    }

    private static int coupon(long hash0, long hash1) {
        int lz = Long.numberOfLeadingZeros(hash1);
        return ((lz > 62 ? 62 : lz) + 1) << KEY_BITS_26 | (int) (hash0 & KEY_MASK_26);
    }

    private static long mixK1(long k) {
        return Long.rotateLeft(k * 0x87c37b91114253d5L, 31) * 0x4cf5ad432745937fL;
    }

    private static long mixK2(long k) {
        return Long.rotateLeft(k * 0x4cf5ad432745937fL, 33) * 0x87c37b91114253d5L;
    }

    private static long finalMix(long h) {
        h = (h ^ h >>> 33) * 0xff51afd7ed558ccdL;
        h = (h ^ h >>> 33) * 0xc4ceb9fe1a85ec53L;
        return h ^ h >>> 33;
    }

    private boolean couponUpdate(int coupon) {
        return switch (mode) {
            case HLL -> registerUpdate(coupon);
            case SET -> setUpdate(coupon);
            default -> listUpdate(coupon);
        };
    }

    private boolean listUpdate(int coupon) {
        int length = 1 << lgArr;
        for (int i = 0; i < length; i++) {
            int at = coupons[i];
            if (at == 0) {
                writing();
                coupons[i] = coupon;
                count++;
                if (count >= length) {
                    if (lgK < 8) {
                        promoteToHll();
                    } else {
                        promoteToSet();
                    }
                }
                return true;
            }
            if (at == coupon) {
                return false;
            }
        }
        throw new IllegalStateException("coupon list full without promotion");
    }

    private void promoteToSet() {
        int[] list = coupons;
        int n = count;
        mode = SET;
        lgArr = LG_INIT_SET;
        coupons = new int[1 << LG_INIT_SET];
        count = 0;
        for (int i = 0; i < n; i++) {
            setUpdate(list[i]);
        }
    }

    private boolean setUpdate(int coupon) {
        int index = find(coupons, coupon);
        if (index >= 0) {
            return false;
        }
        writing();
        coupons[~index] = coupon;
        count++;
        if (4 * count > 3 * (1 << lgArr)) {
            if (lgArr == lgK - 3) {
                promoteToHll();
            } else {
                coupons = grown(coupons, ++lgArr);
            }
        }
        return true;
    }

    /**
     * Linear probing from the coupon's low bits (random: they are hash bits), so that a lookup
     * usually stays within one cache line. DataSketches strides instead; the table's layout is not
     * observable: stored coupons are sorted ({@link Sketches#canonical}), and turning dense gives
     * the same registers and KxQ sums in any order (see {@link #promoteToHll}).
     */
    private static int find(int[] table, int coupon) {
        int mask = table.length - 1;
        for (int probe = coupon & mask; ; probe = (probe + 1) & mask) {
            int at = table[probe];
            if (at == 0) {
                return ~probe;
            }
            if (at == coupon) {
                return probe;
            }
        }
    }

    private static int[] grown(int[] table, int lgLength) {
        int[] bigger = new int[1 << lgLength];
        for (int coupon : table) {
            if (coupon != 0) {
                bigger[~find(bigger, coupon)] = coupon;
            }
        }
        return bigger;
    }

    /**
     * Turns dense, as DataSketches does: every coupon into the registers, then the HIP accumulator
     * set to the sparse estimate. The order of the coupons does not matter: KxQ0 adds and subtracts
     * powers of two from 2^lgK down to 2^-31, and KxQ1 from 2^-32 down to 2^-63, each within the
     * 53 bits of a double's mantissa, so both sums are exact.
     */
    private void promoteToHll() {
        int[] sparse = coupons;
        mode = HLL;
        registers = new byte[1 << lgK];
        hipAccum = 0;
        kxq0 = 1 << lgK;
        kxq1 = 0;
        zeros = 1 << lgK;
        outOfOrder = false;
        for (int coupon : sparse) {
            if (coupon != 0) {
                registerUpdate(coupon);
            }
        }
        hipAccum = promotionEstimate(lgK);
        coupons = null;
        count = 0;
        lgArr = 0;
    }

    private boolean registerUpdate(int coupon) {
        int value = coupon >>> KEY_BITS_26;
        int slot = coupon & ((1 << lgK) - 1);
        int old = registers[slot] & VALUE_MASK_6;
        if (value <= old) {
            return false;
        }
        writing();
        registers[slot] = (byte) (value & VALUE_MASK_6);
        hipAccum += (1 << lgK) / (kxq0 + kxq1); // before the KxQ registers change
        if (old < 32) {
            kxq0 -= invPow2(old);
        } else {
            kxq1 -= invPow2(old);
        }
        if (value < 32) {
            kxq0 += invPow2(value);
        } else {
            kxq1 += invPow2(value);
        }
        if (old == 0) {
            zeros--;
        }
        return true;
    }

    private static double invPow2(int e) {
        return Double.longBitsToDouble(1023L - e << 52);
    }

    /** Whether no client was counted. */
    public final boolean isEmpty() {
        return mode != HLL && count == 0;
    }

    /** Canonical compact bytes: those of {@link Sketches#toBytes} for the equivalent DataSketches sketch. */
    public final byte[] toBytes() {
        if (mode == HLL) {
            ByteBuffer out = ByteBuffer.allocate(HLL_PREAMBLE_BYTES + registers.length).order(ByteOrder.LITTLE_ENDIAN);
            // HLL_8's compact form is its updatable form: no compact flag, no lgArr, no aux table.
            out.put(0, (byte) 10).put(1, (byte) SER_VER).put(2, (byte) FAMILY_ID).put(3, (byte) lgK)
                .put(5, (byte) (outOfOrder ? OUT_OF_ORDER_FLAG : 0))
                .put(7, (byte) (HLL_8_TYPE << 2 | HLL))
                .putDouble(8, hipAccum).putDouble(16, kxq0).putDouble(24, kxq1)
                .putInt(32, zeros).putInt(36, 0)
                .put(HLL_PREAMBLE_BYTES, registers);
            return out.array();
        }
        int start = mode == LIST ? 8 : 12;
        ByteBuffer out = ByteBuffer.allocate(start + 4 * count).order(ByteOrder.LITTLE_ENDIAN);
        out.put(0, (byte) (start / 4)).put(1, (byte) SER_VER).put(2, (byte) FAMILY_ID).put(3, (byte) lgK)
            .put(4, (byte) lgArr)
            .put(5, (byte) (COMPACT_FLAG | (count == 0 ? EMPTY_FLAG : 0)))
            .put(7, (byte) (HLL_8_TYPE << 2 | mode));
        if (mode == LIST) {
            out.put(6, (byte) count);
        } else {
            out.putInt(8, count);
        }
        int[] sorted = new int[count]; // canonical: sorted, as Sketches.canonical leaves them
        int n = 0;
        for (int coupon : coupons) {
            if (coupon != 0) {
                sorted[n++] = coupon;
            }
        }
        Arrays.sort(sorted);
        for (int i = 0; i < n; i++) {
            out.putInt(start + 4 * i, sorted[i]);
        }
        return out.array();
    }

    /** Reads a compact HLL_8 image of this class's lgK, as the DataSketches heapify methods do. */
    private void load(byte[] image) {
        ByteBuffer in = ByteBuffer.wrap(image).order(ByteOrder.LITTLE_ENDIAN);
        int imageMode = image[7] & 3;
        if (imageMode == HLL) {
            mode = HLL;
            registers = new byte[1 << lgK];
            in.get(HLL_PREAMBLE_BYTES, registers);
            hipAccum = in.getDouble(8);
            kxq0 = in.getDouble(16);
            kxq1 = in.getDouble(24);
            zeros = in.getInt(32);
            outOfOrder = (image[5] & OUT_OF_ORDER_FLAG) != 0;
            coupons = null;
            lgArr = 0;
        } else if (imageMode == LIST) {
            // heapifyList: the coupons, in stored order, in a fresh list
            int n = image[6] & 0xff;
            if (n >= coupons.length || image.length < 8 + 4 * n) { // a full list has turned into a set
                throw new IllegalArgumentException(n + " coupons in a list of " + image.length + " bytes");
            }
            for (int i = 0; i < n; i++) {
                coupons[i] = in.getInt(8 + 4 * i);
            }
            count = n;
        } else {
            // heapifySet of a compact image: the coupons, in stored order, into a fresh set
            mode = SET;
            lgArr = LG_INIT_SET;
            coupons = new int[1 << LG_INIT_SET];
            int n = in.getInt(8);
            if (lgK < 8 || n < 0 || image.length < 12 + 4L * n) {
                throw new IllegalArgumentException(n + " coupons in a set of " + image.length + " bytes at lgK " + lgK);
            }
            for (int i = 0; i < n; i++) {
                setUpdate(in.getInt(12 + 4 * i));
            }
        }
    }

    private static int lgKOf(byte[] stored) {
        if (stored == null || stored.length < 8 || stored[2] != FAMILY_ID || stored[1] != SER_VER) {
            throw new IllegalArgumentException("not an HLL sketch");
        }
        return stored[3];
    }

    /**
     * The bytes in the one form {@link #load} reads: compact {@code HLL_8}, from a sketch that is in
     * order or needs no rebuild. Anything else (another HLL type, an updatable coupon image, a
     * union's result) goes through DataSketches once.
     */
    private static byte[] normalized(byte[] stored) {
        int flags = stored[5];
        int imageMode = stored[7] & 3;
        boolean hll8 = (stored[7] >> 2 & 3) == HLL_8_TYPE;
        boolean direct = imageMode == HLL
            ? hll8 && (flags & REBUILD_FLAG) == 0 && stored.length >= HLL_PREAMBLE_BYTES + (1 << stored[3])
            : hll8 && (flags & COMPACT_FLAG) != 0;
        if (direct) {
            return stored;
        }
        HllSketch sketch = HllSketch.heapify(stored);
        return (sketch.getTgtHllType() == TgtHllType.HLL_8 ? sketch : sketch.copyAs(TgtHllType.HLL_8)).toCompactByteArray();
    }

    /**
     * The estimate a LIST or SET sketch of this lgK holds when it turns dense: DataSketches sets
     * the HIP accumulator to it, and it depends only on the number of coupons then, which is fixed
     * for an lgK. Read once from a DataSketches sketch fed until it turns dense.
     */
    private static double promotionEstimate(int lgK) {
        return PROMOTION_ESTIMATES.computeIfAbsent(lgK, k -> {
            HllSketch sketch = new HllSketch(k, TgtHllType.HLL_8);
            int dense = HLL_PREAMBLE_BYTES + (1 << k);
            for (long i = 0; sketch.getCompactSerializationBytes() < dense; i++) {
                sketch.update(i);
            }
            return ByteBuffer.wrap(sketch.toCompactByteArray()).order(ByteOrder.LITTLE_ENDIAN).getDouble(8);
        });
    }
}
