package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.QueryableStoreType;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.internals.StateStoreProvider;

import java.util.List;

/**
 * What Interactive Queries read of one partition's {@link SketchStore}, from any thread: its
 * (segment, day) sketches in key order, open days as of now when the store serves an active task.
 */
public interface ReadableSketchStore extends ReadOnlyKeyValueStore<Bytes, byte[]> {

    /**
     * Whether reads see the task's live sketches: true for an active task that is processing. False
     * for a standby replica, or an active task still restoring: reads then see the store as of the
     * last commit that reached this instance.
     */
    boolean servesLive();

    /**
     * The store type to ask Kafka Streams for (with a partition): the sketch store itself rather
     * than Kafka Streams' composite view, so that a query can tell a live answer from a standby's.
     */
    static QueryableStoreType<ReadableSketchStore> type() {
        return Type.INSTANCE;
    }

    /** See {@link #type()}. */
    final class Type implements QueryableStoreType<ReadableSketchStore> {
        private static final Type INSTANCE = new Type();

        private Type() {
        }

        @Override
        public boolean accepts(StateStore stateStore) {
            return stateStore instanceof ReadableSketchStore;
        }

        /**
         * @throws InvalidStateStoreException unless exactly one store is found: ask with a partition
         */
        @Override
        public ReadableSketchStore create(StateStoreProvider provider, String storeName) {
            List<ReadableSketchStore> stores = provider.stores(storeName, this);
            if (stores.size() != 1) {
                throw new InvalidStateStoreException(stores.size() + " stores named " + storeName
                    + " here: ask for one partition");
            }
            return stores.get(0);
        }
    }
}
