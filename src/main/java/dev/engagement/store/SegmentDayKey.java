package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary key of a (segment, day) in the sketch stores and on the partials topic:
 * {@code [day: int32 big-endian][value 1][value 2]...}, each value a varint length and UTF-8 bytes,
 * in the order of the dimension list the key was written under (its {@link Layouts layout}).
 *
 * <p>A key written under the store's base layout (the list it was first written with) is
 * <i>untagged</i>, as above. A key written under any other list is <i>tagged</i>:
 * {@code [day][0x80 0x00][tag: int32 big-endian][values...]}, the tag being that list's
 * {@link Layouts#tagOf id}. No untagged key has {@code 0x80 0x00} after its day (that would be a
 * length of zero in a varint's two-byte form, which is never written), so every key says which list
 * it was written under. A day's keys of one tag are one contiguous range
 * ({@link #layoutStart}); its untagged keys surround them.
 *
 * <p>The day comes first so that "every segment of days d1..d2" is one contiguous range scan,
 * whatever the layouts. Days are non-negative (validation refuses timestamps before 2000), so keys
 * starting with {@code 0xFF} never collide with data and hold per-task metadata (see
 * {@link TaskMetadata}).
 */
public final class SegmentDayKey {

    /** First byte of metadata keys; data keys start with a non-negative day. */
    public static final byte META_PREFIX = (byte) 0xFF;
    /** The tag of an untagged key (no tag is 0: see {@link Layouts#tagOf}). */
    public static final int UNTAGGED = 0;
    private static final int TAGGED_HEADER = 10;
    /** The two bytes after the day that mark a tagged key: a non-minimal varint zero. */
    private static final int MARK_1 = 0x80;
    private static final int MARK_2 = 0x00;

    private SegmentDayKey() {
    }

    /** An untagged key: a (segment, day) of the base layout. */
    public static Bytes of(int day, String[] values) {
        return of(day, UNTAGGED, values);
    }

    /**
     * A key of a (segment, day) written under the layout with tag {@code tag}, or untagged when
     * {@code tag} is {@link #UNTAGGED}.
     */
    public static Bytes of(int day, int tag, String[] values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(9 + values.length * 8);
        writeInt(out, day);
        if (tag != UNTAGGED) {
            out.write(MARK_1);
            out.write(MARK_2);
            writeInt(out, tag);
        }
        for (String value : values) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            writeVarint(out, utf8.length);
            out.write(utf8, 0, utf8.length);
        }
        return Bytes.wrap(out.toByteArray());
    }

    /**
     * The start of every untagged key of a day whose first value is {@code firstValue}: those keys
     * are one contiguous range (see {@link #startsWith}).
     */
    public static byte[] prefix(int day, String firstValue) {
        return of(day, new String[] {firstValue}).get();
    }

    /** As {@link #prefix(int, String)}, for the keys of the layout with tag {@code tag}. */
    public static byte[] prefix(int day, int tag, String firstValue) {
        return of(day, tag, new String[] {firstValue}).get();
    }

    /**
     * The start of every key of a day written under the layout with tag {@code tag}, up to
     * {@code layoutStart(day, tag + 1)} (tags are positive ints below 2^30). For
     * {@link #UNTAGGED}, the day's start: untagged keys surround the tagged ones, so a reader of
     * that range skips keys whose {@link #tag} is not its own.
     */
    public static Bytes layoutStart(int day, int tag) {
        if (tag == UNTAGGED) {
            return dayStart(day);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(TAGGED_HEADER);
        writeInt(out, day);
        out.write(MARK_1);
        out.write(MARK_2);
        writeInt(out, tag);
        return Bytes.wrap(out.toByteArray());
    }

    /** The exclusive end of {@link #layoutStart}'s range. */
    public static Bytes layoutEnd(int day, int tag) {
        return tag == UNTAGGED ? dayStart(day + 1) : layoutStart(day, tag + 1);
    }

    /** The tag of a data key's layout, or {@link #UNTAGGED}. */
    public static int tag(byte[] key) {
        if (key.length < TAGGED_HEADER || (key[4] & 0xff) != MARK_1 || key[5] != MARK_2) {
            return UNTAGGED;
        }
        return ((key[6] & 0xff) << 24) | ((key[7] & 0xff) << 16) | ((key[8] & 0xff) << 8) | (key[9] & 0xff);
    }

    /** The same (segment, day) under tag {@code tag}: the values and day of {@code key}, retagged. */
    public static Bytes retag(byte[] key, int tag) {
        return of(day(key), tag, values(key));
    }

    /** Whether a key starts with a {@link #prefix}. */
    public static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The smallest key of a day: the inclusive start of its range. */
    public static Bytes dayStart(int day) {
        return Bytes.wrap(new byte[] {(byte) (day >>> 24), (byte) (day >>> 16), (byte) (day >>> 8), (byte) day});
    }

    /** The day of a data key. */
    public static int day(byte[] key) {
        return ((key[0] & 0xff) << 24) | ((key[1] & 0xff) << 16) | ((key[2] & 0xff) << 8) | (key[3] & 0xff);
    }

    public static boolean isMeta(byte[] key) {
        return key.length > 0 && key[0] == META_PREFIX;
    }

    /** The segment values of a data key, in dimension order. */
    public static String[] values(byte[] key) {
        // Each value takes at least its one-byte length, so there are fewer values than key bytes.
        int[] offsets = new int[key.length];
        int[] lengths = new int[key.length];
        String[] values = new String[valueBounds(key, offsets, lengths)];
        for (int i = 0; i < values.length; i++) {
            values[i] = new String(key, offsets[i], lengths[i], StandardCharsets.UTF_8);
        }
        return values;
    }

    /**
     * Where each value of a data key lies, without decoding it: {@code offsets[i]} and
     * {@code lengths[i]} give the UTF-8 bytes of value {@code i}. Reads at most {@code offsets.length}
     * values.
     *
     * @return how many values were found
     */
    public static int valueBounds(byte[] key, int[] offsets, int[] lengths) {
        int pos = tag(key) == UNTAGGED ? 4 : TAGGED_HEADER;
        int count = 0;
        while (pos < key.length && count < offsets.length) {
            int length = 0;
            int shift = 0;
            int b;
            do {
                b = key[pos++] & 0xff;
                length |= (b & 0x7f) << shift;
                shift += 7;
            } while ((b & 0x80) != 0);
            offsets[count] = pos;
            lengths[count] = length;
            count++;
            pos += length;
        }
        return count;
    }

    /** The segment part of a key, without the day (its tag kept, for caching decoded segments). */
    public static Bytes segmentPart(byte[] key) {
        byte[] segment = new byte[key.length - 4];
        System.arraycopy(key, 4, segment, 0, segment.length);
        return Bytes.wrap(segment);
    }

    /** A metadata key: {@code 0xFF}, then the UTF-8 name (the names are {@link TaskMetadata}'s). */
    static Bytes meta(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        byte[] key = new byte[utf8.length + 1];
        key[0] = META_PREFIX;
        System.arraycopy(utf8, 0, key, 1, utf8.length);
        return Bytes.wrap(key);
    }

    private static void writeInt(ByteArrayOutputStream out, int value) {
        out.write(value >>> 24);
        out.write(value >>> 16);
        out.write(value >>> 8);
        out.write(value);
    }

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        while ((value & ~0x7f) != 0) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }
}
