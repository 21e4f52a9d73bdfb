package dev.engagement.query;

import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class StorePartitionReaderTest {

    private static final int DAY = 20_522;
    /** First values that share leading characters, an empty one, and non-ASCII ones. */
    private static final String[] FIRST = {"release", "release2", "rel", "", "é", "éa", "nightly"};
    private static final List<String> DIMENSIONS = List.of("channel", "os", "country");

    private final KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore("sketches"), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingDisabled().withCachingDisabled().build();
    private final StorePartitionReader reader = new StorePartitionReader(0, store, false);
    private final MemoryPartitionReader memory = new MemoryPartitionReader(0, DAY - 1);

    @BeforeEach
    void fill() {
        store.init(new MockProcessorContext<>().getStateStoreContext(), store);
        Sketches sketches = new Sketches(12);
        Random random = new Random(3);
        for (int day = DAY - 1; day <= DAY + 1; day++) {
            for (int i = 0; i < 300; i++) {
                String[] values = {FIRST[random.nextInt(FIRST.length)], "os" + random.nextInt(4), "C" + random.nextInt(9)};
                HllSketch sketch = sketches.newLive();
                for (int c = 0; c < 1 + random.nextInt(20); c++) {
                    sketch.update("client-" + random.nextInt(500));
                }
                byte[] bytes = Sketches.toBytes(sketch);
                store.put(SegmentDayKey.of(day, values), bytes);
                memory.put(day, values, bytes);
            }
        }
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void aFirstValueRangeHoldsExactlyThatValuesKeysOfThatDay() {
        for (String first : FIRST) {
            List<String> expected = new ArrayList<>();
            reader.scan(DAY, DAY, (key, sketch) -> {
                if (SegmentDayKey.values(key)[0].equals(first)) {
                    expected.add(String.join("|", SegmentDayKey.values(key)));
                }
            });
            List<String> ranged = new ArrayList<>();
            reader.scanFirstValue(DAY, first, (key, sketch) -> ranged.add(String.join("|", SegmentDayKey.values(key))));
            assertThat(ranged).as("first value '%s'", first).isEqualTo(expected);
        }
    }

    @Test
    void queriesFilteringTheFirstDimensionAnswerAsAFullScanDoes() {
        for (Set<String> channels : List.of(Set.of("release"), Set.of("release", "rel", "é"), Set.of("absent"))) {
            EngagementQuery query = new EngagementQuery(LocalDate.ofEpochDay(DAY),
                LocalDate.ofEpochDay(DAY + 1), EnumSet.allOf(Metric.class), List.of("os"),
                Map.of("channel", channels));
            PartitionAnswer ranged = new PartitionQuery(DIMENSIONS, 12, 100).answer(query, reader);
            PartitionAnswer scanned = new PartitionQuery(DIMENSIONS, 12, 100).answer(query, memory);
            assertThat(ranged.unions().keySet()).as("%s", channels).isEqualTo(scanned.unions().keySet());
            ranged.unions().forEach((groupDay, bytes) ->
                assertThat(bytes).as("%s %s", channels, groupDay).isEqualTo(scanned.unions().get(groupDay)));
        }
    }
}
