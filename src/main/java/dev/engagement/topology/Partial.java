package dev.engagement.topology;

import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.TaskMetadata;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One input partition's sketch of a (segment, day), as carried on the partials topic: key the
 * {@link SegmentDayKey}, value {@code [partition: int32][reserved: byte, 0][sketch bytes]}. (The
 * reserved byte once said whether the partition had closed the day; watermarks carry that now, and
 * readers ignore it.) Watermark records share the topic: key {@link TaskMetadata#watermark}, value
 * the input partition's last closed day, sent to every partition of the topic.
 *
 * <p>The merger keeps each partition's latest partial under its own key, {@link #storeKey}: an
 * update rewrites that partition's sketch only, and one range scan finds every partition's
 * partial of a (segment, day), in partition order.
 *
 * @param partition the input partition whose pings the sketch holds
 * @param sketch    canonical compact sketch bytes
 */
record Partial(int partition, byte[] sketch) {

    private static final int HEADER = 5;

    static byte[] encode(int partition, byte[] sketch) {
        return ByteBuffer.allocate(HEADER + sketch.length).putInt(partition).put((byte) 0).put(sketch).array();
    }

    static Partial decode(byte[] value) {
        return new Partial(ByteBuffer.wrap(value).getInt(), Arrays.copyOfRange(value, HEADER, value.length));
    }

    /**
     * The merger's key of one partition's partial: the segment-day key, then the partition as a
     * 2-byte suffix. Segment-day keys are prefix-free (a day and a fixed number of length-prefixed
     * values), so the suffixed keys of one (segment, day) are exactly {@link #storeRangeStart} to
     * {@link #storeRangeEnd}, and sort by partition.
     */
    static byte[] storeKey(byte[] segmentDayKey, int partition) {
        byte[] key = Arrays.copyOf(segmentDayKey, segmentDayKey.length + 2);
        key[segmentDayKey.length] = (byte) (partition >>> 8);
        key[segmentDayKey.length + 1] = (byte) partition;
        return key;
    }

    static byte[] storeRangeStart(byte[] segmentDayKey) {
        return storeKey(segmentDayKey, 0);
    }

    static byte[] storeRangeEnd(byte[] segmentDayKey) {
        return storeKey(segmentDayKey, 0xFFFF);
    }

    /** The segment-day key of a {@link #storeKey}. */
    static byte[] segmentDayKeyOf(byte[] storeKey) {
        return Arrays.copyOf(storeKey, storeKey.length - 2);
    }
}
