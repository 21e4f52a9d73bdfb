package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * Every per-task metadata entry, kept in a task's store beside its sketches and restored with them
 * from the changelog. Metadata keys are {@code 0xFF} followed by a UTF-8 name, so they sort after
 * every data key ({@link SegmentDayKey}: a day first) and never collide with one. Values are a
 * 4-byte big-endian int, nothing (an admission), or a layout's own encoding ({@link Layouts}).
 *
 * <p>In the fold's sketch store:
 * <ul>
 *   <li>{@link #CLOSED_THROUGH}: the last day this partition has closed; queries read it for
 *   {@code complete};</li>
 *   <li>{@link #PURGED_THROUGH}: the last day deleted as past retention;</li>
 *   <li>{@link #SENT_THROUGH}: the last closed day whose partials were sent before a commit;</li>
 *   <li>{@link #PARTIALS_LAYOUT}: the layout of partials the merger keeps, as last synced;</li>
 *   <li>admissions: each value a capped dimension has admitted ({@link #admission});</li>
 *   <li>the layouts, {@link #LAYOUT_BASE}, {@link #LAYOUT_HISTORY} and {@link #layout(int)}: the
 *   dimension lists the keys were written under ({@link Layouts});</li>
 *   <li>{@link #KEY_FORMAT} and {@link #LG_K}: what the stored keys and sketches need of the
 *   version and settings that read them.</li>
 * </ul>
 * In the merger's partials store: {@link #watermark(int)}, the last day input partition {@code p}
 * has closed (also the key of the watermark records on the partials topic).
 */
public final class TaskMetadata {

    public static final IntKey CLOSED_THROUGH = new IntKey("closed-through");
    public static final IntKey PURGED_THROUGH = new IntKey("purged-through");
    public static final IntKey SENT_THROUGH = new IntKey("closed-sent-through");
    public static final IntKey PARTIALS_LAYOUT = new IntKey("partials-layout");
    public static final IntKey KEY_FORMAT = new IntKey("key-format");
    public static final IntKey LG_K = new IntKey("lg-k");
    /** The base list: the names of untagged keys, comma-separated. */
    public static final Bytes LAYOUT_BASE = key("layout/base");
    /** Each list's span, in order: (tag, from day, until day) as three 4-byte ints. */
    public static final Bytes LAYOUT_HISTORY = key("layout/history");
    private static final String LAYOUT = "layout/tag/";

    /** Below every metadata key and above every data key: the exclusive end of "all days". */
    public static final Bytes FIRST = key("");

    private static final String ADMISSION = "cap/";
    private static final String WATERMARK = "watermark/";

    private TaskMetadata() {
    }

    /** An int metadata entry: its key and its 4-byte big-endian value. */
    public static final class IntKey {
        private final Bytes key;

        private IntKey(String name) {
            this.key = TaskMetadata.key(name);
        }

        public Bytes key() {
            return key;
        }

        /** The stored value, or {@code absent} when there is none (or it is not 4 bytes). */
        public int read(ReadOnlyKeyValueStore<Bytes, byte[]> store, int absent) {
            return decode(store.get(key), absent);
        }

        /** {@code value} as this entry stores it. */
        public byte[] value(int value) {
            return ByteBuffer.allocate(4).putInt(value).array();
        }

        /** A stored value, or {@code absent} for none. */
        public static int decode(byte[] value, int absent) {
            return value == null || value.length != 4 ? absent : ByteBuffer.wrap(value).getInt();
        }
    }

    /** The names of the list with tag {@code tag}, comma-separated (also a record on the partials topic). */
    public static Bytes layout(int tag) {
        return key(LAYOUT + tag);
    }

    /** The tag of a {@link #layout(int)} key, or 0 when it is none. */
    public static int layoutTag(byte[] key) {
        if (!isMetadata(key)) {
            return 0;
        }
        String name = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
        return name.startsWith(LAYOUT) ? Integer.parseInt(name.substring(LAYOUT.length())) : 0;
    }

    /** The watermark of input partition {@code partition} in the merger's store. */
    public static IntKey watermark(int partition) {
        return new IntKey(WATERMARK + partition);
    }

    /** The input partition whose watermark {@code key} is, or -1 when it is no watermark key. */
    public static int watermarkPartition(byte[] key) {
        if (!isMetadata(key)) {
            return -1;
        }
        String name = new String(key, 1, key.length - 1, StandardCharsets.UTF_8);
        return name.startsWith(WATERMARK) ? Integer.parseInt(name.substring(WATERMARK.length())) : -1;
    }

    /** The key recording that {@code dimension} admitted {@code value} under its cap (its value is empty). */
    public static Bytes admission(String dimension, String value) {
        return key(ADMISSION + dimension + '\u0000' + value);
    }

    /** Calls {@code admitted} with (dimension, value) for every admission in {@code store}. */
    public static void forEachAdmission(ReadOnlyKeyValueStore<Bytes, byte[]> store, BiConsumer<String, String> admitted) {
        int skip = 1 + ADMISSION.length();
        try (KeyValueIterator<Bytes, byte[]> it = store.range(key(ADMISSION), key("cap0"))) {
            while (it.hasNext()) {
                byte[] key = it.next().key.get();
                String entry = new String(key, skip, key.length - skip, StandardCharsets.UTF_8);
                int sep = entry.indexOf('\u0000');
                if (sep > 0) {
                    admitted.accept(entry.substring(0, sep), entry.substring(sep + 1));
                }
            }
        }
    }

    /** Whether {@code key} is a metadata key rather than a (day, segment) key. */
    public static boolean isMetadata(byte[] key) {
        return SegmentDayKey.isMeta(key);
    }

    private static Bytes key(String name) {
        return SegmentDayKey.meta(name);
    }
}
