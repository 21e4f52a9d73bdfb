package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32;

/**
 * The dimension lists (layouts) a task's sketch store has been written under, and the days each
 * covers, as recorded in the store's {@link TaskMetadata} and restored with it.
 *
 * <p>The first list a store is written with is its <i>base</i>: its keys are untagged. A later
 * list gets a tag, {@link #tagOf} of its names, and its keys carry it ({@link SegmentDayKey}), so
 * every stored sketch can be read back under the list it was written with, by dimension name,
 * whatever the list is now. Tags are derived from the names alone, so every task (and the merger)
 * gives a list the same tag. The {@link #history} says from which day each list applied: a day
 * that was open when the list changed holds keys of both (its sketches union without counting a
 * client twice).
 *
 * <p>Immutable; {@link #adopt} returns the entries to write for a change.
 */
public final class Layouts {

    /** The key format this version writes: tagged layouts. A store of a later format is refused. */
    public static final int KEY_FORMAT = 2;

    /**
     * One list's time as the current one.
     *
     * @param tag        its tag, or {@link SegmentDayKey#UNTAGGED} for the base list
     * @param dimensions the list, in key order
     * @param fromDay    the first day written under it (-1: from the store's first day)
     * @param untilDay   the last day with data when the next list replaced it (-1: it is current)
     */
    public record Span(int tag, List<String> dimensions, int fromDay, int untilDay) {
    }

    /** A change of the list, as {@link #adopt} found it. */
    public record Change(List<String> from, List<String> to, int fromDay, List<KeyValue<Bytes, byte[]>> writes) {

        /** What was added, removed or reordered, in one line. */
        public String describe() {
            Set<String> added = new LinkedHashSet<>(to);
            from.forEach(added::remove);
            Set<String> removed = new LinkedHashSet<>(from);
            to.forEach(removed::remove);
            List<String> keptBefore = new ArrayList<>(from);
            keptBefore.removeAll(removed);
            List<String> keptAfter = new ArrayList<>(to);
            keptAfter.removeAll(added);
            List<String> parts = new ArrayList<>();
            if (!added.isEmpty()) {
                parts.add("added " + String.join(",", added));
            }
            if (!removed.isEmpty()) {
                parts.add("removed " + String.join(",", removed));
            }
            if (!keptBefore.equals(keptAfter)) {
                parts.add("reordered " + String.join(",", keptAfter));
            }
            return String.join("; ", parts);
        }
    }

    private final List<String> base;
    private final Map<Integer, List<String>> tagged;
    private final List<Span> history;

    private Layouts(List<String> base, Map<Integer, List<String>> tagged, List<Span> history) {
        this.base = base;
        this.tagged = tagged;
        this.history = history;
    }

    /** A store that has recorded no list: every key untagged, of the configured list. */
    public static Layouts none() {
        return new Layouts(null, Map.of(), List.of());
    }

    /** What {@code store} records; {@link #isEmpty()} for a store this version has not written yet. */
    public static Layouts read(ReadOnlyKeyValueStore<Bytes, byte[]> store) {
        byte[] baseBytes = store.get(TaskMetadata.LAYOUT_BASE);
        if (baseBytes == null) {
            return new Layouts(null, Map.of(), List.of());
        }
        List<String> base = names(baseBytes);
        Map<Integer, List<String>> tagged = new HashMap<>();
        List<Span> history = new ArrayList<>();
        byte[] historyBytes = store.get(TaskMetadata.LAYOUT_HISTORY);
        ByteBuffer entries = ByteBuffer.wrap(historyBytes == null ? new byte[0] : historyBytes);
        while (entries.remaining() >= 12) {
            int tag = entries.getInt();
            List<String> names = base;
            if (tag != SegmentDayKey.UNTAGGED) {
                byte[] bytes = store.get(TaskMetadata.layout(tag));
                names = bytes == null ? null : names(bytes);
                if (names != null) {
                    tagged.put(tag, names);
                }
            }
            int fromDay = entries.getInt();
            int untilDay = entries.getInt();
            if (names != null) {
                history.add(new Span(tag, names, fromDay, untilDay));
            }
        }
        if (history.isEmpty()) {
            history.add(new Span(SegmentDayKey.UNTAGGED, base, -1, -1));
        }
        return new Layouts(base, Map.copyOf(tagged), List.copyOf(history));
    }

    /** Whether nothing is recorded: a store of an earlier version (or new), whose keys are all untagged. */
    public boolean isEmpty() {
        return base == null;
    }

    /** The list untagged keys were written under (null when {@link #isEmpty()}). */
    public List<String> base() {
        return base;
    }

    /** The list keys with tag {@code tag} were written under, or null when unknown. */
    public List<String> namesOf(int tag) {
        return tag == SegmentDayKey.UNTAGGED ? base : tagged.get(tag);
    }

    /** The list of a data key, or null when its tag is unknown. */
    public List<String> namesOf(byte[] key) {
        return namesOf(SegmentDayKey.tag(key));
    }

    /** The tag new keys are written under: the current list's. */
    public int currentTag() {
        return history.isEmpty() ? SegmentDayKey.UNTAGGED : history.get(history.size() - 1).tag();
    }

    /** Each list in the order it applied, the current one last. */
    public List<Span> history() {
        return history;
    }

    /** Whether keys of more than one list may be stored. */
    public boolean mixed() {
        return history.size() > 1;
    }

    /**
     * Makes {@code dimensions} the current list, from day {@code fromDay} on.
     *
     * @param lastDataDay the last day with data now (the days {@code fromDay..lastDataDay} then hold
     *                    keys of both lists)
     * @return the entries to write, and what changed; null when the list is already the current one
     *         (or when a store of an earlier version is first recorded under it: nothing changed)
     * @throws IncompatibleStateException when another recorded list has the same tag (never seen;
     *                                     the operator is told to pick another order)
     */
    public Change adopt(List<String> dimensions, int fromDay, int lastDataDay) {
        List<KeyValue<Bytes, byte[]>> writes = new ArrayList<>();
        if (isEmpty()) {
            writes.add(KeyValue.pair(TaskMetadata.LAYOUT_BASE, bytes(dimensions)));
            writes.add(KeyValue.pair(TaskMetadata.LAYOUT_HISTORY, history(List.of(
                new Span(SegmentDayKey.UNTAGGED, dimensions, -1, -1)))));
            return new Change(dimensions, dimensions, -1, writes);
        }
        Span current = history.get(history.size() - 1);
        if (current.dimensions().equals(dimensions)) {
            return null;
        }
        int tag = dimensions.equals(base) ? SegmentDayKey.UNTAGGED : tagOf(dimensions);
        if (tag != SegmentDayKey.UNTAGGED) {
            List<String> known = tagged.get(tag);
            if (known != null && !known.equals(dimensions)) {
                throw new IncompatibleStateException("the dimension list " + dimensions + " has the same tag as "
                    + known + ", recorded earlier: list the dimensions in another order");
            }
            writes.add(KeyValue.pair(TaskMetadata.layout(tag), bytes(dimensions)));
        }
        List<Span> next = new ArrayList<>(history.subList(0, history.size() - 1));
        next.add(new Span(current.tag(), current.dimensions(), current.fromDay(), Math.max(lastDataDay, fromDay - 1)));
        next.add(new Span(tag, dimensions, fromDay, -1));
        writes.add(KeyValue.pair(TaskMetadata.LAYOUT_HISTORY, history(next)));
        return new Change(current.dimensions(), dimensions, fromDay, writes);
    }

    /**
     * The tag of a list: 30 bits of the CRC-32 of its names, never 0, so {@code tag + 1} (the end of
     * its key range) is a tag too. The same list has the same tag in every task and version.
     */
    public static int tagOf(List<String> dimensions) {
        CRC32 crc = new CRC32();
        crc.update(bytes(dimensions));
        return (int) (crc.getValue() & 0x3FFF_FFFFL) | 1;
    }

    /** A list as stored: its names, comma-separated, in UTF-8 (names never hold a comma). */
    public static byte[] bytes(List<String> dimensions) {
        return String.join(",", dimensions).getBytes(StandardCharsets.UTF_8);
    }

    /** The inverse of {@link #bytes}. */
    public static List<String> names(byte[] bytes) {
        String text = new String(bytes, StandardCharsets.UTF_8);
        return text.isEmpty() ? List.of() : List.of(text.split(","));
    }

    private static byte[] history(List<Span> spans) {
        ByteBuffer out = ByteBuffer.allocate(12 * spans.size());
        for (Span s : spans) {
            out.putInt(s.tag()).putInt(s.fromDay()).putInt(s.untilDay());
        }
        return out.array();
    }

    @Override
    public String toString() {
        return "Layouts" + Arrays.toString(history.toArray());
    }
}
