package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/** Every metadata key sorts after the data, keeps its own value, and reads back as written. */
class TaskMetadataTest {

    private final KeyValueStore<Bytes, byte[]> store = Stores.inMemoryKeyValueStore("meta").get();

    @Test
    void intEntriesReadBackAndAbsentOnesGiveTheDefault() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        assertThat(TaskMetadata.CLOSED_THROUGH.read(store, -1)).isEqualTo(-1);
        store.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(20_500));
        store.put(TaskMetadata.PURGED_THROUGH.key(), TaskMetadata.PURGED_THROUGH.value(-1));
        store.put(TaskMetadata.watermark(3).key(), TaskMetadata.watermark(3).value(7));
        assertThat(TaskMetadata.CLOSED_THROUGH.read(store, -1)).isEqualTo(20_500);
        assertThat(TaskMetadata.PURGED_THROUGH.read(store, 99)).isEqualTo(-1);
        assertThat(TaskMetadata.SENT_THROUGH.read(store, 99)).isEqualTo(99);
        assertThat(TaskMetadata.watermark(3).read(store, -1)).isEqualTo(7);
        assertThat(TaskMetadata.watermark(2).read(store, -1)).isEqualTo(-1);
        assertThat(TaskMetadata.IntKey.decode(new byte[] {1, 2}, -5)).as("not 4 bytes").isEqualTo(-5);
    }

    @Test
    void keysAreDistinctAndSortAfterEveryDay() {
        List<Bytes> keys = Stream.of(TaskMetadata.CLOSED_THROUGH, TaskMetadata.PURGED_THROUGH, TaskMetadata.SENT_THROUGH,
            TaskMetadata.PARTIALS_LAYOUT, TaskMetadata.watermark(0), TaskMetadata.watermark(10))
            .map(TaskMetadata.IntKey::key).collect(Collectors.toCollection(ArrayList::new));
        keys.add(TaskMetadata.admission("os", "Linux"));
        assertThat(Set.copyOf(keys)).hasSize(keys.size());
        Bytes lastDay = SegmentDayKey.of(Integer.MAX_VALUE, new String[] {"\uffff"});
        for (Bytes key : keys) {
            assertThat(TaskMetadata.isMetadata(key.get())).isTrue();
            assertThat(key.compareTo(TaskMetadata.FIRST)).isGreaterThan(0);
            assertThat(lastDay.compareTo(TaskMetadata.FIRST)).isLessThan(0);
        }
    }

    @Test
    void watermarkKeysNameTheirPartitionAndNoOtherKeyDoes() {
        assertThat(TaskMetadata.watermarkPartition(TaskMetadata.watermark(12).key().get())).isEqualTo(12);
        assertThat(TaskMetadata.watermarkPartition(TaskMetadata.CLOSED_THROUGH.key().get())).isEqualTo(-1);
        assertThat(TaskMetadata.watermarkPartition(SegmentDayKey.of(5, new String[] {"a"}).get())).isEqualTo(-1);
    }

    @Test
    void admissionsReadBackWhateverTheirValues() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        store.put(TaskMetadata.admission("os", "Linux"), new byte[0]);
        store.put(TaskMetadata.admission("locale", "de/DE \u0001 émoji 🦊"), new byte[0]);
        store.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(1));
        store.put(SegmentDayKey.of(3, new String[] {"cap/os"}), new byte[] {1});
        List<String> admitted = new ArrayList<>();
        TaskMetadata.forEachAdmission(store, (dimension, value) -> admitted.add(dimension + "=" + value));
        assertThat(admitted).containsExactlyInAnyOrder("os=Linux", "locale=de/DE \u0001 émoji 🦊");
    }
}
