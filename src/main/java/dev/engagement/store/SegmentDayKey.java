package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The binary key of a (segment, day) in the sketch stores and on the partials topic:
 * {@code [day: int32 big-endian][value 1][value 2]...}, each value a varint length and UTF-8 bytes,
 * in the configured dimension order.
 *
 * <p>The day comes first so that "every segment of days d1..d2" is one contiguous range scan.
 * Days are non-negative (validation refuses timestamps before 2000), so keys starting with
 * {@code 0xFF} never collide with data and hold per-task metadata (see {@link TaskMetadata}).
 */
public final class SegmentDayKey {

    /** First byte of metadata keys; data keys start with a non-negative day. */
    public static final byte META_PREFIX = (byte) 0xFF;

    private SegmentDayKey() {
    }

    public static Bytes of(int day, String[] values) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4 + values.length * 8);
        out.write(day >>> 24);
        out.write(day >>> 16);
        out.write(day >>> 8);
        out.write(day);
        for (String value : values) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            writeVarint(out, utf8.length);
            out.write(utf8, 0, utf8.length);
        }
        return Bytes.wrap(out.toByteArray());
    }

    /**
     * The start of every key of a day whose first value is {@code firstValue}: those keys are one
     * contiguous range (see {@link #startsWith}).
     */
    public static byte[] prefix(int day, String firstValue) {
        return of(day, new String[] {firstValue}).get();
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
        int pos = 4;
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

    /** The segment part of a key, without the day (for caching decoded segments). */
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

    private static void writeVarint(ByteArrayOutputStream out, int value) {
        while ((value & ~0x7f) != 0) {
            out.write((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }
}
