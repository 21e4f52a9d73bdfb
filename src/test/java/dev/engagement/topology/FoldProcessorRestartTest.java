package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.sketch.Sketches;
import dev.engagement.testing.Pings;
import dev.engagement.store.IncompatibleStateException;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;
import dev.engagement.store.TaskMetadata;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

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

    /** Starts a fold processor under {@code settings} on the store (closing any processor before it). */
    private FoldProcessor start(EngagementConfig settings, EmbeddedSchemaRegistry registry,
                                MockProcessorContext<byte[], byte[]> context) {
        if (!store.isOpen()) {
            store.init(context.getStateStoreContext(), store);
        }
        context.addStateStore(store);
        context.setCurrentStreamTimeMs(TODAY.atTime(12, 0).toInstant(ZoneOffset.UTC).toEpochMilli());
        FoldProcessor fold = new FoldProcessor(settings, registry, new IngestCounters());
        fold.init(context);
        return fold;
    }

    private static Record<byte[], byte[]> record(Pings wire, String client, String locale) {
        Instant at = TODAY.atTime(12, 0).toInstant(ZoneOffset.UTC);
        return new Record<>(null, wire.bytes(Ping.newBuilder(Pings.ping(client, at, TODAY, "release", "Linux"))
            .setLocale(locale).build()), at.toEpochMilli());
    }

    @Test
    void aChangedListAppliesFromTheFirstOpenDayAndKeepsWhatWasStoredUnderTheOldOne() {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        Pings wire = new Pings(registry, config.pingsTopic());
        MockProcessorContext<byte[], byte[]> first = new MockProcessorContext<>();
        FoldProcessor before = start(config, registry, first);
        before.process(record(wire, "a", "de"));
        before.process(record(wire, "b", "fr"));
        store.flushCache();
        Bytes oldToday = SegmentDayKey.of(Days.of(TODAY), new String[] {"release", "Linux"});
        byte[] oldBytes = store.written().get(oldToday);
        assertThat(oldBytes).isNotNull();

        EngagementConfig withLocale = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,locale,os"));
        MockProcessorContext<byte[], byte[]> second = new MockProcessorContext<>();
        FoldProcessor after = start(withLocale, registry, second);
        after.process(record(wire, "a", "de")); // the same client, now with its locale
        after.process(record(wire, "c", "de"));
        store.flushCache();

        Layouts layouts = Layouts.read(store.written());
        int tag = Layouts.tagOf(List.of("channel", "locale", "os"));
        assertThat(layouts.currentTag()).isEqualTo(tag);
        assertThat(layouts.history()).extracting(Layouts.Span::fromDay).containsExactly(-1, Days.of(TODAY));
        assertThat(store.written().get(oldToday)).as("the sketch written under the old list, unchanged")
            .isEqualTo(oldBytes);
        Bytes newToday = SegmentDayKey.of(Days.of(TODAY), tag, new String[] {"release", "de", "Linux"});
        HllSketch fresh = Sketches.fromBytes(store.written().get(newToday));
        assertThat(fresh.getEstimate()).as("a and c, under the new list").isEqualTo(2.0, within(0.01));

        // A third start under the new list changes nothing, and its live set is the new list's only.
        MockProcessorContext<byte[], byte[]> third = new MockProcessorContext<>();
        start(withLocale, registry, third).process(record(wire, "d", "de"));
        store.flushCache();
        assertThat(Layouts.read(store.written()).history()).hasSize(2);
        assertThat(store.written().get(oldToday)).isEqualTo(oldBytes);
        assertThat(Sketches.fromBytes(store.written().get(newToday)).getEstimate()).isEqualTo(3.0, within(0.01));
    }

    @Test
    void aStoredLgKOrALaterKeyFormatStopsTheTaskWithWhatToDo() {
        EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
        start(config, registry, new MockProcessorContext<>());
        EngagementConfig finer = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os",
            "engagement.sketch.lg-k", "14"));
        assertThatThrownBy(() -> start(finer, registry, new MockProcessorContext<>()))
            .isInstanceOf(IncompatibleStateException.class)
            .hasMessageContaining("engagement.sketch.lg-k changed from 12 to 14").hasMessageContaining("application.id");

        store.put(TaskMetadata.KEY_FORMAT.key(), TaskMetadata.KEY_FORMAT.value(Layouts.KEY_FORMAT + 1));
        assertThatThrownBy(() -> start(config, registry, new MockProcessorContext<>()))
            .isInstanceOf(IncompatibleStateException.class).hasMessageContaining("later version");
    }
}
