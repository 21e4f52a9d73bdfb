package dev.engagement.ping;

import dev.engagement.avro.Ping;

import java.util.Arrays;

/**
 * Dense int ids for the segments (tuples of capped dimension values) of one input partition, so
 * that the per-ping path finds a ping's segment without building a key.
 *
 * <p>{@link #idOf(Ping)} first hashes the ping's values together and probes one open-addressing
 * table of the segments whose values were all kept as they came (the common case): one probe and
 * a string comparison per dimension. Otherwise (a new segment, or a value folded by its cap) each
 * value gets its code from {@link ValueCaps} and the code tuple is looked up in a second table.
 *
 * <p>Ids are dense from 0 in order of first sight and live in memory only. An id, once given,
 * keeps its segment for the life of the index. Not thread-safe.
 */
public final class SegmentIndex {

    private static final int EMPTY = -1;
    /** An empty slot of {@link #raw}: no entry has it, since no id is -1. */
    private static final long EMPTY_RAW = -1L;

    private final ValueCaps caps;
    private final int width;
    private final int[] scratch;
    private final String[] rawScratch;
    /** Values by id, {@code width} per id: what the fast path compares a ping's values with. */
    private String[] valuesById;
    /**
     * Fast path, for segments whose values are kept as is: each slot holds a value-tuple hash (high
     * half, to skip other segments without reading their values) and the id (low half), so a probe
     * is one memory access. Linear probing; a power of two, at most half full.
     */
    private long[] raw;
    private int rawSize;
    /** Code tuples, {@code width} ints per id. */
    private int[] tuples;
    /** Open addressing (linear probing) from tuple hash to id; a power of two, at most half full. */
    private int[] table;
    private int size;

    public SegmentIndex(ValueCaps caps) {
        this.caps = caps;
        this.width = caps.dimensionCount();
        this.scratch = new int[width];
        this.rawScratch = new String[width];
        this.tuples = new int[64 * width];
        this.valuesById = new String[64 * width];
        this.table = new int[128];
        Arrays.fill(table, EMPTY);
        this.raw = new long[128];
        Arrays.fill(raw, EMPTY_RAW);
    }

    /** The segment of a ping, after placeholders and caps (admitting new values as {@link ValueCaps} does). */
    public int idOf(Ping ping) {
        int h = 0;
        for (int d = 0; d < width; d++) {
            String value = Dimension.normalize(caps.field(d, ping));
            rawScratch[d] = value;
            h = (h + value.hashCode()) * 0x9E3779B9;
        }
        h ^= h >>> 16;
        int mask = raw.length - 1;
        long entry;
        for (int slot = h & mask; (entry = raw[slot]) != EMPTY_RAW; slot = (slot + 1) & mask) {
            if ((int) (entry >>> 32) == h && keptAsIs((int) entry, rawScratch)) {
                return (int) entry;
            }
        }
        for (int d = 0; d < width; d++) {
            scratch[d] = caps.code(d, ping);
        }
        int id = idOfCodes(scratch);
        if (keptAsIs(id, rawScratch)) {
            addRaw(h, id); // a value folded into Other never gets here: its pings keep the slow path
        }
        return id;
    }

    /** Whether a segment's values are exactly these (no value folded by its cap). */
    private boolean keptAsIs(int id, String[] values) {
        int base = id * width;
        for (int d = 0; d < width; d++) {
            if (!valuesById[base + d].equals(values[d])) {
                return false;
            }
        }
        return true;
    }

    private void addRaw(int hash, int id) {
        if ((rawSize + 1) * 2 > raw.length) {
            long[] bigger = new long[raw.length * 2];
            Arrays.fill(bigger, EMPTY_RAW);
            for (long entry : raw) {
                if (entry != EMPTY_RAW) {
                    insertRaw(bigger, entry);
                }
            }
            raw = bigger;
        }
        insertRaw(raw, (long) hash << 32 | (id & 0xffff_ffffL));
        rawSize++;
    }

    private static void insertRaw(long[] table, long entry) {
        int mask = table.length - 1;
        int slot = (int) (entry >>> 32) & mask;
        while (table[slot] != EMPTY_RAW) {
            slot = (slot + 1) & mask;
        }
        table[slot] = entry;
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
        return Arrays.copyOfRange(valuesById, id * width, (id + 1) * width);
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
            valuesById = Arrays.copyOf(valuesById, tuples.length);
        }
        System.arraycopy(codes, 0, tuples, id * width, width);
        for (int d = 0; d < width; d++) {
            valuesById[id * width + d] = caps.value(d, codes[d]);
        }
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
