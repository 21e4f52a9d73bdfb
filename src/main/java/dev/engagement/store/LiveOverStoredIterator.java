package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

import java.util.List;
import java.util.NoSuchElementException;

/**
 * A store range with the live sketches laid over it: the union of the two key sets, in the
 * store's order (or its reverse); where a key is in both, the live sketch's bytes, which hold
 * everything the stored ones do. A live sketch that is still empty (created, not yet updated) is
 * left out, as the store would not hold it yet.
 */
final class LiveOverStoredIterator implements KeyValueIterator<Bytes, byte[]> {

    private final KeyValueIterator<Bytes, byte[]> stored;
    private final List<LiveIndex.Entry> live;
    private final int direction;
    private int at;
    private KeyValue<Bytes, byte[]> next;

    /**
     * @param live   the live sketches of the range, taken <em>before</em> {@code stored} was opened:
     *               a sketch dropped from memory in between was written to the store first, so the
     *               iterator sees it either way
     * @param stored the store's range, in the same order as {@code live}
     */
    LiveOverStoredIterator(List<LiveIndex.Entry> live, KeyValueIterator<Bytes, byte[]> stored,
                           boolean descending) {
        this.live = live;
        this.stored = stored;
        this.direction = descending ? -1 : 1;
    }

    @Override
    public boolean hasNext() {
        while (next == null) {
            boolean storedLeft = stored.hasNext();
            if (!storedLeft && at >= live.size()) {
                return false;
            }
            if (at >= live.size()) {
                next = stored.next();
                break;
            }
            LiveIndex.Entry entry = live.get(at);
            int order = storedLeft ? direction * stored.peekNextKey().compareTo(entry.key) : 1;
            if (order < 0) {
                next = stored.next();
                break;
            }
            at++;
            KeyValue<Bytes, byte[]> same = order == 0 ? stored.next() : null;
            if (!entry.isEmpty()) {
                next = KeyValue.pair(entry.key, entry.snapshotBytes());
            } else if (same != null) {
                next = same;
            }
        }
        return true;
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        KeyValue<Bytes, byte[]> out = next;
        next = null;
        return out;
    }

    @Override
    public Bytes peekNextKey() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return next.key;
    }

    @Override
    public void close() {
        stored.close();
    }
}
