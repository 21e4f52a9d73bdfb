package dev.engagement.ping;

import dev.engagement.avro.Ping;

import java.util.Arrays;

/**
 * Dense int ids for the segments (tuples of capped dimension values) of one input partition, so
 * that the per-ping path finds a ping's segment by hashing a few ints rather than building and
 * hashing a string key: {@link #idOf(Ping)} costs one hash-map probe per dimension (the value's
 * code, see {@link ValueCaps}) plus one probe of an open-addressing table of code tuples.
 *
 * <p>Ids are dense from 0 in order of first sight and live in memory only. An id, once given,
 * keeps its segment for the life of the index. Not thread-safe.
 */
public final class SegmentIndex {

    private static final int EMPTY = -1;

    private final ValueCaps caps;
    private final int width;
    private final int[] scratch;
    /** Code tuples, {@code width} ints per id. */
    private int[] tuples;
    /** Open addressing (linear probing) from tuple hash to id; a power of two, at most half full. */
    private int[] table;
    private int size;

    public SegmentIndex(ValueCaps caps) {
        this.caps = caps;
        this.width = caps.dimensionCount();
        this.scratch = new int[width];
        this.tuples = new int[64 * width];
        this.table = new int[128];
        Arrays.fill(table, EMPTY);
    }

    /** The segment of a ping, after placeholders and caps (admitting new values as {@link ValueCaps} does). */
    public int idOf(Ping ping) {
        for (int d = 0; d < width; d++) {
            scratch[d] = caps.code(d, ping);
        }
        return idOfCodes(scratch);
    }

    /** The segment of values read back from the state (see {@link ValueCaps#codeOfKnown}). */
    public int idOfKnown(String[] values) {
        if (values.length != width) {
            throw new IllegalArgumentException("expected " + width + " values, got " + values.length);
        }
        for (int d = 0; d < width; d++) {
            scratch[d] = caps.codeOfKnown(d, values[d]);
        }
        return idOfCodes(scratch);
    }

    /** The values of a segment, in dimension order. */
    public String[] values(int id) {
        if (id < 0 || id >= size) {
            throw new IndexOutOfBoundsException("no segment " + id);
        }
        String[] out = new String[width];
        for (int d = 0; d < width; d++) {
            out[d] = caps.value(d, tuples[id * width + d]);
        }
        return out;
    }

    /** Number of segments seen. */
    public int size() {
        return size;
    }

    private int idOfCodes(int[] codes) {
        int mask = table.length - 1;
        for (int slot = hash(codes, 0) & mask; ; slot = (slot + 1) & mask) {
            int id = table[slot];
            if (id == EMPTY) {
                return add(codes, slot);
            }
            if (matches(id, codes)) {
                return id;
            }
        }
    }

    private boolean matches(int id, int[] codes) {
        int base = id * width;
        for (int d = 0; d < width; d++) {
            if (tuples[base + d] != codes[d]) {
                return false;
            }
        }
        return true;
    }

    private int add(int[] codes, int slot) {
        int id = size++;
        if ((id + 1) * width > tuples.length) {
            tuples = Arrays.copyOf(tuples, tuples.length * 2);
        }
        System.arraycopy(codes, 0, tuples, id * width, width);
        table[slot] = id;
        if (size * 2 > table.length) {
            rehash();
        }
        return id;
    }

    private void rehash() {
        int[] bigger = new int[table.length * 2];
        Arrays.fill(bigger, EMPTY);
        int mask = bigger.length - 1;
        for (int id = 0; id < size; id++) {
            int slot = hash(tuples, id * width) & mask;
            while (bigger[slot] != EMPTY) {
                slot = (slot + 1) & mask;
            }
            bigger[slot] = id;
        }
        table = bigger;
    }

    private int hash(int[] ints, int offset) {
        int h = 0;
        for (int d = 0; d < width; d++) {
            h = (h + ints[offset + d]) * 0x9E3779B9;
        }
        return h ^ (h >>> 16);
    }
}
