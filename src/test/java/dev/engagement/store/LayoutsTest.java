package dev.engagement.store;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The dimension lists a store records: adopted in turn, read back by tag, with the days each covers. */
class LayoutsTest {

    private static final List<String> FIRST = List.of("channel", "os", "country");
    private final KeyValueStore<Bytes, byte[]> store = Stores.inMemoryKeyValueStore("layouts").get();

    @BeforeEach
    void open() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
    }

    private Layouts adopt(List<String> dimensions, int fromDay, int lastDataDay) {
        Layouts.Change change = Layouts.read(store).adopt(dimensions, fromDay, lastDataDay);
        if (change != null) {
            change.writes().forEach(kv -> store.put(kv.key, kv.value));
        }
        return Layouts.read(store);
    }

    @Test
    void aStoreRecordsItsFirstListAsTheUntaggedBase() {
        assertThat(Layouts.read(store).isEmpty()).isTrue();
        Layouts first = adopt(FIRST, 100, 101);
        assertThat(first.isEmpty()).isFalse();
        assertThat(first.base()).isEqualTo(FIRST);
        assertThat(first.currentTag()).isEqualTo(SegmentDayKey.UNTAGGED);
        assertThat(first.mixed()).isFalse();
        assertThat(first.namesOf(SegmentDayKey.of(5, new String[] {"a", "b", "c"}).get())).isEqualTo(FIRST);
        assertThat(Layouts.read(store).adopt(FIRST, 120, 121)).as("the same list again: no change").isNull();
    }

    @Test
    void changesAreRecordedWithTheirDaysAndKeysReadBackUnderTheirOwnList() {
        adopt(FIRST, 0, 10);
        List<String> added = List.of("channel", "os", "locale", "country");
        Layouts.Change change = Layouts.read(store).adopt(added, 11, 12);
        assertThat(change.describe()).isEqualTo("added locale");
        change.writes().forEach(kv -> store.put(kv.key, kv.value));
        List<String> reordered = List.of("os", "channel", "locale", "country");
        assertThat(Layouts.read(store).adopt(reordered, 20, 21).describe()).isEqualTo("reordered os,channel,locale,country");
        Layouts withReorder = adopt(reordered, 20, 21);
        assertThat(Layouts.read(store).adopt(List.of("os", "locale"), 30, 30).describe())
            .isEqualTo("removed channel,country");

        assertThat(withReorder.mixed()).isTrue();
        assertThat(withReorder.currentTag()).isEqualTo(Layouts.tagOf(reordered));
        assertThat(withReorder.history()).extracting(Layouts.Span::dimensions).containsExactly(FIRST, added, reordered);
        assertThat(withReorder.history()).extracting(Layouts.Span::fromDay).containsExactly(-1, 11, 20);
        assertThat(withReorder.history()).extracting(Layouts.Span::untilDay).containsExactly(12, 21, -1);
        assertThat(withReorder.namesOf(SegmentDayKey.of(15, Layouts.tagOf(added), new String[] {"a"}).get()))
            .isEqualTo(added);
        assertThat(withReorder.namesOf(SegmentDayKey.of(15, new String[] {"a"}).get())).isEqualTo(FIRST);
        assertThat(withReorder.namesOf(12345)).as("a tag never recorded").isNull();

        // Back to the base list: its keys are untagged again.
        Layouts back = adopt(FIRST, 40, 41);
        assertThat(back.currentTag()).isEqualTo(SegmentDayKey.UNTAGGED);
        assertThat(back.history()).hasSize(4);
    }

    @Test
    void tagsDependOnTheNamesAloneAndLeaveRoomForTheirRangeEnd() {
        assertThat(Layouts.tagOf(List.of("channel", "os"))).isEqualTo(Layouts.tagOf(List.of("channel", "os")));
        assertThat(Layouts.tagOf(List.of("channel", "os"))).isNotEqualTo(Layouts.tagOf(List.of("os", "channel")));
        for (List<String> names : List.of(List.<String>of(), List.of("a"), FIRST, List.of("attributes.x", "locale"))) {
            int tag = Layouts.tagOf(names);
            assertThat(tag).isPositive().isLessThan(0x3FFF_FFFF + 1);
            assertThat(Layouts.names(Layouts.bytes(names))).isEqualTo(names);
        }
    }

    @Test
    void aTagCollisionIsRefused() {
        adopt(FIRST, 0, 0);
        List<String> other = List.of("os");
        // Stand in a collision: another list recorded, in the history, under the tag "os" would take.
        int tag = Layouts.tagOf(other);
        store.put(TaskMetadata.layout(tag), Layouts.bytes(List.of("locale")));
        byte[] history = store.get(TaskMetadata.LAYOUT_HISTORY);
        store.put(TaskMetadata.LAYOUT_HISTORY, ByteBuffer.allocate(history.length + 12).put(history)
            .putInt(tag).putInt(1).putInt(-1).array());
        assertThatThrownBy(() -> Layouts.read(store).adopt(other, 5, 5)).isInstanceOf(IncompatibleStateException.class)
            .hasMessageContaining("same tag");
    }
}
