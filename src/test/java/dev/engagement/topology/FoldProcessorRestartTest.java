package dev.engagement.topology;

import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;
import dev.engagement.store.TaskMetadata;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The fold processor started again on a store it (or an earlier build) left behind, which
 * TopologyTestDriver cannot do: it wipes its state when it closes.
 */
class FoldProcessorRestartTest {

    private static final LocalDate TODAY = LocalDate.of(2026, 10, 20);
    private static final int OLD_DAY = Days.of(TODAY.minusDays(10));

    private final EngagementConfig config = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os"));
    private final SketchStore store = SketchStore.over(Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(EngagementTopology.SKETCH_STORE), Serdes.Bytes(), Serdes.ByteArray())
        .withLoggingDisabled().withCachingDisabled().build(), new Sketches(12));
    private final Bytes oldKey = SegmentDayKey.of(OLD_DAY, new String[] {"release", "Linux"});

    @AfterEach
    void close() {
        store.close();
    }

    /** Starts a fold processor on the store and runs its first punctuation; returns the partials it sent. */
    private List<Bytes> startAndSync() {
        MockProcessorContext<byte[], byte[]> context = new MockProcessorContext<>();
        if (!store.isOpen()) {
            store.init(context.getStateStoreContext(), store);
        }
        context.addStateStore(store);
        FoldProcessor fold = new FoldProcessor(config, new EmbeddedSchemaRegistry(), new IngestCounters());
        fold.init(context);
        context.setCurrentStreamTimeMs(TODAY.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli());
        context.scheduledPunctuators().get(0).getPunctuator().punctuate(System.currentTimeMillis());
        store.flushCache(); // the commit after it: writes the markers
        return context.forwarded().stream()
            .filter(f -> f.childName().orElse("").equals(EngagementTopology.PARTIALS_SINK))
            .map(f -> Bytes.wrap(f.record().key()))
            .toList();
    }

    @Test
    void afterAMergerLayoutChangeEveryRetainedDayIsSentOnce() {
        // As a build with the earlier merger layout left it: a closed day whose partials were sent
        // (closed-sent-through), and no partials-layout marker.
        HllSketch old = new Sketches(12).newLive();
        old.update("from-the-old-build");
        MockProcessorContext<byte[], byte[]> setup = new MockProcessorContext<>();
        store.init(setup.getStateStoreContext(), store);
        store.put(oldKey, Sketches.toBytes(old));
        store.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(OLD_DAY));
        store.put(TaskMetadata.SENT_THROUGH.key(), TaskMetadata.SENT_THROUGH.value(OLD_DAY));

        // On the partials topic every key is tagged with its list (the merger names values by it).
        Bytes sent = SegmentDayKey.retag(oldKey.get(), Layouts.tagOf(List.of("channel", "os")));
        assertThat(startAndSync()).as("first start of this build").contains(sent);
        assertThat(startAndSync()).as("later starts").doesNotContain(sent);
    }
}
