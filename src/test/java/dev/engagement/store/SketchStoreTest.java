package dev.engagement.store;

import dev.engagement.sketch.Sketches;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

class SketchStoreTest {

    private static final int DAY = 20_522;

    private final KeyValueStore<Bytes, byte[]> inner = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore("sketches"), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingDisabled().withCachingDisabled().build();
    private final SketchStore store = new SketchStore(inner, new Sketches(12));

    @BeforeEach
    void open() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Bytes key(String os) {
        return SegmentDayKey.of(DAY, new String[] {"release", os});
    }

    private double estimate(String os) {
        return Sketches.fromBytes(store.get(key(os))).getEstimate();
    }

    @Test
    void loadingAgainWithNewSegmentIdsLeavesNothingOfTheOldLiveSet() {
        // First life of the task: ids X=0, A=1, B=2.
        Map<Integer, String> first = Map.of(0, "X", 1, "A", 2, "B");
        store.update(DAY, 1, (day, id) -> key(first.get(id)), "a1");
        store.update(DAY, 2, (day, id) -> key(first.get(id)), "b1");
        store.flushDirty();

        // Kafka Streams resumes the task: init runs again and gives new ids (A=0, B=1).
        Map<String, Integer> second = Map.of("A", 0, "B", 1);
        int loaded = store.loadFrom(DAY, k -> second.get(SegmentDayKey.values(k.get())[1]), 100);
        assertThat(loaded).isEqualTo(2);
        // A new segment E takes id 2, B's old id: its clients must not land in B's sketch.
        store.update(DAY, 2, (day, id) -> key("E"), "e1");
        store.update(DAY, 1, (day, id) -> key("B"), "b2");
        store.flushDirty();

        assertThat(estimate("A")).isEqualTo(1.0, offset(1e-6));
        assertThat(estimate("B")).isEqualTo(2.0, offset(1e-6));
        assertThat(estimate("E")).isEqualTo(1.0, offset(1e-6));
        assertThat(store.liveCount()).isEqualTo(3);
    }

    @Test
    void loadingStopsAtItsLimitAndLaterFirstTouchesReadTheStore() {
        for (int i = 0; i < 10; i++) {
            int id = i;
            store.update(DAY, id, (day, s) -> key("os-" + s), "first-" + i);
        }
        store.flushDirty();

        assertThat(store.loadFrom(DAY, k -> Integer.parseInt(SegmentDayKey.values(k.get())[1].substring(3)), 3))
            .isEqualTo(3);
        assertThat(store.liveCount()).isEqualTo(3);
        // Not loaded, so read from RocksDB on first touch: the earlier client is still counted.
        store.update(DAY, 9, (day, s) -> key("os-" + s), "second-9");
        store.flushDirty();
        assertThat(estimate("os-9")).isEqualTo(2.0, offset(1e-6));
    }

    @Test
    void keysLeftOutByTheSegmentFunctionAreNotLoaded() {
        store.update(DAY, 0, (day, s) -> key("kept"), "a");
        store.update(DAY, 1, (day, s) -> key("other-layout"), "b");
        store.flushDirty();

        int loaded = store.loadFrom(DAY, k -> SegmentDayKey.values(k.get())[1].equals("kept") ? 0 : -1, 100);
        assertThat(loaded).isEqualTo(1);
        assertThat(store.liveCount()).isEqualTo(1);
    }
}
