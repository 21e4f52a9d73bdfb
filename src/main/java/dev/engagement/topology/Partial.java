package dev.engagement.topology;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One input partition's sketch of a (segment, day), as carried on the partials topic
 * ({@code [partition: int32][closed: byte][sketch bytes]}) and kept by the merger (a list of them,
 * {@code [count: int32]} then {@code [partition][closed][length: int32][sketch]} each, sorted by
 * partition so unions always merge in the same order).
 *
 * @param partition the input partition whose pings the sketch holds
 * @param closed    true once that partition's stream time passed the day's grace
 * @param sketch    canonical compact sketch bytes
 */
record Partial(int partition, boolean closed, byte[] sketch) {

    private static final String WATERMARK = "watermark/";

    /**
     * The key of a watermark record: an input partition's last closed day (value: int32), sent to
     * every partition of the partials topic so every merger task knows every input partition's
     * progress.
     */
    static byte[] watermarkKey(int partition) {
        return dev.engagement.store.SegmentDayKey.meta(WATERMARK + partition).get();
    }

    /** The input partition of a watermark key, or -1 for a sketch key. */
    static int watermarkPartition(byte[] key) {
        if (!dev.engagement.store.SegmentDayKey.isMeta(key)) {
            return -1;
        }
        String name = new String(key, 1, key.length - 1, java.nio.charset.StandardCharsets.UTF_8);
        return name.startsWith(WATERMARK) ? Integer.parseInt(name.substring(WATERMARK.length())) : -1;
    }

    static byte[] encode(int partition, boolean closed, byte[] sketch) {
        return ByteBuffer.allocate(5 + sketch.length).putInt(partition).put((byte) (closed ? 1 : 0)).put(sketch).array();
    }

    static Partial decode(byte[] value) {
        ByteBuffer buf = ByteBuffer.wrap(value);
        int partition = buf.getInt();
        boolean closed = buf.get() != 0;
        byte[] sketch = new byte[buf.remaining()];
        buf.get(sketch);
        return new Partial(partition, closed, sketch);
    }

    /** Replaces the entry of {@code update.partition()} in an encoded list (or adds it). */
    static List<Partial> upsert(byte[] encodedList, Partial update) {
        List<Partial> list = decodeList(encodedList);
        list.removeIf(p -> p.partition() == update.partition());
        list.add(update);
        list.sort(Comparator.comparingInt(Partial::partition));
        return list;
    }

    static byte[] encodeList(List<Partial> list) {
        int size = 4;
        for (Partial p : list) {
            size += 9 + p.sketch().length;
        }
        ByteBuffer buf = ByteBuffer.allocate(size).putInt(list.size());
        for (Partial p : list) {
            buf.putInt(p.partition()).put((byte) (p.closed() ? 1 : 0)).putInt(p.sketch().length).put(p.sketch());
        }
        return buf.array();
    }

    static List<Partial> decodeList(byte[] encoded) {
        List<Partial> list = new ArrayList<>();
        if (encoded == null) {
            return list;
        }
        ByteBuffer buf = ByteBuffer.wrap(encoded);
        int count = buf.getInt();
        for (int i = 0; i < count; i++) {
            int partition = buf.getInt();
            boolean closed = buf.get() != 0;
            byte[] sketch = new byte[buf.getInt()];
            buf.get(sketch);
            list.add(new Partial(partition, closed, sketch));
        }
        return list;
    }
}
