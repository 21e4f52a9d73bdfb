package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;

/**
 * Factory and codec for the HLL sketches of one precision ({@code lgK}).
 *
 * <p>Updatable sketches here are DataSketches {@code HLL_8} (the fold's live ones are wrapped in {@link LiveSketch}); stored bytes are canonical compact {@code HLL_8}
 * (see the package notes). Instances are immutable and thread-safe; the sketches they return are not.
 */
public final class Sketches {

    /** Default precision: 4096 buckets, ~1.6 % relative standard error, as Mozilla's sketches. */
    public static final int DEFAULT_LG_K = 12;
    /** Number of standard deviations of the bounds: 2, about 95 %. */
    public static final int BOUND_STD_DEVS = 2;

    /** The type of stored and transmitted sketches (see the package notes for the measurements). */
    public static final TgtHllType STORED_TYPE = TgtHllType.HLL_8;

    private static final int MODE_BYTE = 7;
    private static final int HLL_MODE = 2;

    private final int lgK;

    /**
     * @param lgK log2 of the number of buckets, 4 to 21
     * @throws IllegalArgumentException outside that range
     */
    public Sketches(int lgK) {
        if (lgK < 4 || lgK > 21) {
            throw new IllegalArgumentException("lgK must be between 4 and 21, got " + lgK);
        }
        this.lgK = lgK;
    }

    public int lgK() {
        return lgK;
    }

    /** A new, empty updatable sketch. */
    public HllSketch newLive() {
        return new HllSketch(lgK, TgtHllType.HLL_8);
    }

    /**
     * The canonical stored form of a sketch: compact HLL_8, with the coupons of the sparse modes
     * sorted. Two sketches that hold the same clients, built by the same updates in any history of
     * serialization round trips, give the same bytes.
     */
    public static byte[] toBytes(HllSketch sketch) {
        byte[] bytes = sketch.getTgtHllType() == STORED_TYPE
            ? sketch.toCompactByteArray()
            : sketch.copyAs(STORED_TYPE).toCompactByteArray();
        return canonical(bytes);
    }

    /** Sorts the coupons of a compact LIST or SET sketch in place; dense sketches are left alone. */
    static byte[] canonical(byte[] compact) {
        if ((compact[MODE_BYTE] & 3) == HLL_MODE) {
            return compact;
        }
        int start = (compact[0] & 0x3f) * Integer.BYTES; // preamble ints
        int count = (compact.length - start) / Integer.BYTES;
        if (count < 2) {
            return compact;
        }
        ByteBuffer buf = ByteBuffer.wrap(compact).order(ByteOrder.LITTLE_ENDIAN);
        int[] coupons = new int[count];
        for (int i = 0; i < count; i++) {
            coupons[i] = buf.getInt(start + i * Integer.BYTES);
        }
        Arrays.sort(coupons);
        for (int i = 0; i < count; i++) {
            buf.putInt(start + i * Integer.BYTES, coupons[i]);
        }
        return compact;
    }

    /** Reads stored bytes (any DataSketches HLL serialization). */
    public static HllSketch fromBytes(byte[] bytes) {
        return HllSketch.heapify(bytes);
    }

    /** The estimate of a sketch with its ~95 % bounds. */
    public static Estimate estimate(HllSketch sketch) {
        if (sketch == null || sketch.isEmpty()) {
            return Estimate.ZERO;
        }
        return new Estimate(sketch.getEstimate(),
            sketch.getLowerBound(BOUND_STD_DEVS), sketch.getUpperBound(BOUND_STD_DEVS));
    }

    /** A new union at this precision. */
    public Union newUnion() {
        return new Union(lgK);
    }

    /**
     * The union of stored sketches, merged in list order (callers pass a deterministic order).
     *
     * @return the canonical bytes of the union
     */
    public byte[] unionBytes(List<byte[]> sketches) {
        Union union = newUnion();
        for (byte[] bytes : sketches) {
            union.update(HllSketch.heapify(bytes));
        }
        return toBytes(union.getResult(STORED_TYPE));
    }
}
