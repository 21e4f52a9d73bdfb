package dev.engagement.sketch;

import org.apache.datasketches.hll.HllSketch;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A live sketch of the fold: a DataSketches {@code HllSketch(lgK, HLL_8)} that one thread updates
 * while others may read it, and whose update says whether it changed it.
 *
 * <p>Threading: one writer, any number of readers. {@link #update} belongs to one thread; {@link
 * #snapshotBytes} may be called from any thread at any time and never sees a sketch mid-update (a
 * LIST or SET being rehashed, a promotion to HLL, an array being replaced). A sequence number (a
 * seqlock) guards the sketch: the writer makes it odd before the update and even after it, with
 * plain stores and a store-store fence (free on x86); a reader copies the sketch optimistically
 * and tries again if the number moved. The writer never waits for a reader.
 *
 * <p>A change is known exactly: in the LIST and SET modes a new coupon grows the compact size; in
 * HLL mode a register that grows adds to the HIP estimate. (A sketch read from a union's image is
 * out of order and estimated by the composite estimator instead, which moves with any register
 * change.) The fold writes and sends only the sketches that changed.
 */
public class LiveSketch {

    private static final VarHandle SEQ;

    static {
        try {
            SEQ = MethodHandles.lookup().findVarHandle(LiveSketch.class, "seq", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final HllSketch sketch;
    /** Odd while the writer updates the sketch; read and written through {@link #SEQ}. */
    @SuppressWarnings("unused")
    private int seq;

    /** An empty sketch of {@code 2^lgK} buckets. */
    protected LiveSketch(int lgK) {
        this.sketch = new HllSketch(lgK, Sketches.STORED_TYPE);
    }

    /**
     * A sketch that continues from stored bytes (any DataSketches HLL serialization, as
     * {@code HLL_8}).
     *
     * @throws IllegalArgumentException when the bytes are not a readable HLL sketch
     */
    protected LiveSketch(byte[] stored) {
        HllSketch heap;
        try {
            heap = HllSketch.heapify(stored);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a readable HLL sketch: " + e.getMessage(), e);
        }
        this.sketch = heap.getTgtHllType() == Sketches.STORED_TYPE ? heap : heap.copyAs(Sketches.STORED_TYPE);
    }

    /** An empty sketch of {@code 2^lgK} buckets. */
    public static LiveSketch empty(int lgK) {
        return new LiveSketch(lgK);
    }

    /**
     * A sketch that continues from stored bytes.
     *
     * @throws IllegalArgumentException when the bytes are not a readable HLL sketch
     */
    public static LiveSketch fromBytes(byte[] stored) {
        return new LiveSketch(stored);
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
        int size = sketch.getCompactSerializationBytes();
        double estimate = sketch.getEstimate();
        int s = seq;
        SEQ.setOpaque(this, s + 1); // odd: an update is under way
        VarHandle.storeStoreFence(); // ... before any of its writes can be seen
        sketch.update(datum);
        SEQ.setRelease(this, s + 2); // even: the update is whole
        return sketch.getCompactSerializationBytes() != size || sketch.getEstimate() != estimate;
    }

    /**
     * The canonical bytes of {@link #toBytes()}, safe to call from any thread while the owner
     * updates: a copy of one whole state. Optimistic: it reads without locking and tries again when
     * the writer updated the sketch meanwhile (a read of a half-made state may also throw, which is
     * caught and tried again). An update takes well under a microsecond, so a retry is rare.
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

    /** Whether no client was counted. From another thread, as of some recent moment. */
    public final boolean isEmpty() {
        return sketch.isEmpty();
    }

    /** Canonical compact bytes ({@link Sketches#toBytes}). The writer's thread only; see {@link #snapshotBytes}. */
    public final byte[] toBytes() {
        return Sketches.toBytes(sketch);
    }
}
