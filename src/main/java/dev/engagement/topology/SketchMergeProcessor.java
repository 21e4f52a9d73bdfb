package dev.engagement.topology;

import dev.engagement.avro.DimensionValue;
import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;
import dev.engagement.sketch.Sketches;
import dev.engagement.sketch.TrinoHll;
import dev.engagement.store.DayRanges;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.TaskMetadata;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the partial sketches of every input partition into one record per (segment, day) for the
 * downstream topic. Keeps the latest partial of each partition, each under its own key
 * ({@link Partial#storeKey}); marks changed keys in a persistent
 * pending store (so a crash cannot lose an update) and emits them at most once per downstream
 * interval.
 *
 * <p>A record is {@code final} once every input partition has passed the day's grace: each fold
 * task sends its last closed day (a watermark) to every merger task, and when the smallest
 * watermark moves past a day, every segment of that day is emitted again, final. An input partition
 * that never receives a ping has no stream time and holds finality back, as it would hold back any
 * Kafka Streams window.
 *
 * <p>Partial keys are tagged with the dimension list they were written under, whose names each
 * fold task sends (to every merger partition) before its first partial of that list; a record
 * names its values by that list. Untagged partials (of a version before tags) are dropped, once,
 * from the stores, and ignored: the fold tasks of this version send every retained day again, tagged.
 */
final class SketchMergeProcessor implements Processor<byte[], byte[], String, SegmentDaySketch> {

    /** Largest input partition the 2-byte suffix of {@link Partial#storeKey} can hold. */
    private static final int MAX_PARTITION = 0xFFFF;
    private static final byte[] NOTHING = new byte[0];

    private final EngagementConfig config;
    private final Sketches sketches;
    private ProcessorContext<String, SegmentDaySketch> context;
    private KeyValueStore<Bytes, byte[]> partials;
    private KeyValueStore<Bytes, byte[]> pending;
    private int purgedThrough = -1;
    private final PartitionCount inputPartitions;
    /** Each input partition's last closed day (-1: none yet), for as many partitions as seen so far. */
    private int[] watermarks = new int[0];
    /** Dimension lists by tag, as read from the store. */
    private final Map<Integer, List<String>> layouts = new HashMap<>();

    SketchMergeProcessor(EngagementConfig config, PartitionCount inputPartitions) {
        this.config = config;
        this.sketches = new Sketches(config.lgK());
        this.inputPartitions = inputPartitions;
    }

    @Override
    public void init(ProcessorContext<String, SegmentDaySketch> context) {
        this.context = context;
        this.partials = context.getStateStore(EngagementTopology.MERGE_STORE);
        this.pending = context.getStateStore(EngagementTopology.PENDING_STORE);
        watermarks = new int[0];
        layouts.clear();
        dropUntagged();
        coverPartitions(inputPartitions.current());
        context.schedule(config.downstreamInterval(), PunctuationType.WALL_CLOCK_TIME, this::emit);
    }

    /**
     * Tracks watermarks for {@code partitions} input partitions: partitions added to the pings
     * topic start with their stored watermark, or none, and so hold finality back until they
     * close the day too.
     */
    private void coverPartitions(int partitions) {
        if (partitions <= watermarks.length) {
            return;
        }
        int known = watermarks.length;
        watermarks = Arrays.copyOf(watermarks, partitions);
        for (int p = known; p < partitions; p++) {
            watermarks[p] = TaskMetadata.watermark(p).read(partials, -1);
        }
    }

    /** The last day every input partition (as many as the pings topic has now) has closed, or -1. */
    private int finalThrough() {
        coverPartitions(inputPartitions.current());
        int min = Integer.MAX_VALUE;
        for (int w : watermarks) {
            min = Math.min(min, w);
        }
        return watermarks.length == 0 ? -1 : min;
    }

    /** Drops the partials of a version before tagged keys, once (see the class notes). */
    private void dropUntagged() {
        if (TaskMetadata.KEY_FORMAT.read(partials, 1) >= Layouts.KEY_FORMAT) {
            return;
        }
        for (KeyValueStore<Bytes, byte[]> store : List.of(partials, pending)) {
            for (Bytes key : DayRanges.keys(store, 0, Integer.MAX_VALUE)) {
                if (SegmentDayKey.tag(key.get()) == SegmentDayKey.UNTAGGED) {
                    store.delete(key);
                }
            }
        }
        partials.put(TaskMetadata.KEY_FORMAT.key(), TaskMetadata.KEY_FORMAT.value(Layouts.KEY_FORMAT));
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
        int source = TaskMetadata.watermarkPartition(record.key());
        if (source >= 0) {
            watermark(source, ByteBuffer.wrap(record.value()).getInt(), record);
            return;
        }
        if (TaskMetadata.layoutTag(record.key()) != 0) {
            partials.put(Bytes.wrap(record.key()), record.value());
            return;
        }
        if (TaskMetadata.isMetadata(record.key()) || SegmentDayKey.tag(record.key()) == SegmentDayKey.UNTAGGED) {
            return; // of an earlier version: its day comes again, tagged
        }
        Partial update = Partial.decode(record.value());
        if (update.partition() < 0 || update.partition() > MAX_PARTITION) {
            return; // not a partition this layout can key; no fold task sends one
        }
        // Only this partition's sketch is rewritten; the others stay where they are.
        partials.put(Bytes.wrap(Partial.storeKey(record.key(), update.partition())), update.sketch());
        pending.put(Bytes.wrap(record.key()), NOTHING);
    }

    private void watermark(int source, int closedThrough, Record<byte[], byte[]> record) {
        if (source > MAX_PARTITION) {
            return;
        }
        coverPartitions(source + 1); // a watermark from a partition added since: counted from now on
        if (closedThrough <= watermarks[source]) {
            return;
        }
        int before = finalThrough();
        watermarks[source] = closedThrough;
        partials.put(Bytes.wrap(record.key()), record.value());
        int after = finalThrough();
        if (after > before) {
            // About to make days final: first make sure no partition was added that has not closed them.
            coverPartitions(inputPartitions.refreshed());
            after = finalThrough();
        }
        if (after > before) {
            // Every segment of the days that just became final is emitted again, marked final.
            byte[] previous = null;
            for (Bytes storeKey : DayRanges.keys(partials, before + 1, after)) {
                byte[] key = Partial.segmentDayKeyOf(storeKey.get());
                if (!Arrays.equals(key, previous)) { // one per (segment, day): its partitions are adjacent
                    pending.put(Bytes.wrap(key), NOTHING);
                    previous = key;
                }
            }
        }
    }

    private void emit(long wallClock) {
        List<Bytes> keys = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = pending.all()) {
            while (it.hasNext()) {
                keys.add(it.next().key);
            }
        }
        // Bounded by the number of (segment, day)s changed in one interval, at most one record each.
        for (Bytes key : keys) {
            List<byte[]> parts = partialsOf(key.get());
            if (!parts.isEmpty()) {
                context.forward(new Record<>(recordKey(key.get()), merge(key.get(), parts, wallClock),
                    Math.max(context.currentStreamTimeMs(), 0)));
            }
            pending.delete(key);
        }
        purge();
    }

    /** Every partition's latest partial of a (segment, day), in partition order. */
    private List<byte[]> partialsOf(byte[] segmentDayKey) {
        List<byte[]> parts = new ArrayList<>(watermarks.length);
        try (KeyValueIterator<Bytes, byte[]> it = partials.range(Bytes.wrap(Partial.storeRangeStart(segmentDayKey)),
            Bytes.wrap(Partial.storeRangeEnd(segmentDayKey)))) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                // Only this segment's keys: a longer key in the range is another segment whose values
                // extend these (possible only if the list of dimensions changed).
                if (kv.key.get().length == segmentDayKey.length + 2) {
                    parts.add(kv.value);
                }
            }
        }
        return parts;
    }

    private SegmentDaySketch merge(byte[] key, List<byte[]> parts, long now) {
        boolean isFinal = SegmentDayKey.day(key) <= finalThrough();
        byte[] union = parts.size() == 1 ? parts.get(0) : sketches.unionBytes(parts);
        HllSketch sketch = Sketches.fromBytes(union);
        Estimate estimate = Sketches.estimate(sketch);
        // Converted once per emitted record, not per ping: ~2 KB for a dense sketch, less when sparse.
        ByteBuffer trinoHll = TrinoHll.converts(config.lgK()) ? ByteBuffer.wrap(TrinoHll.fromDataSketches(sketch)) : null;
        String[] values = SegmentDayKey.values(key);
        List<DimensionValue> dimensions = new ArrayList<>(values.length);
        List<String> names = namesOf(key);
        for (int i = 0; i < values.length && i < names.size(); i++) {
            dimensions.add(new DimensionValue(names.get(i), values[i]));
        }
        return SegmentDaySketch.newBuilder()
            .setDimensions(dimensions)
            .setDay(LocalDate.ofEpochDay(SegmentDayKey.day(key)))
            .setSketch(ByteBuffer.wrap(union))
            .setLgK(config.lgK())
            .setEstimate(estimate.estimate())
            .setLower(estimate.lower())
            .setUpper(estimate.upper())
            .setUpdatedAt(Instant.ofEpochMilli(now))
            .setFinal$(isFinal)
            .setTrinoHll(trinoHll)
            .build();
    }

    /**
     * The record key on the downstream topic: {@code YYYY-MM-DD|dim=value|...}, with {@code %},
     * {@code |} and {@code =} in values percent-encoded. Stable per (segment, day), for compaction.
     */
    String recordKey(byte[] key) {
        StringBuilder sb = new StringBuilder(Days.toDate(SegmentDayKey.day(key)).toString());
        String[] values = SegmentDayKey.values(key);
        List<String> names = namesOf(key);
        for (int i = 0; i < values.length && i < names.size(); i++) {
            sb.append('|').append(names.get(i)).append('=').append(escape(values[i]));
        }
        return sb.toString();
    }

    /** The names of a key's values: its list's, as its fold task sent them. */
    private List<String> namesOf(byte[] key) {
        int tag = SegmentDayKey.tag(key);
        return layouts.computeIfAbsent(tag, t -> {
            byte[] names = partials.get(TaskMetadata.layout(t));
            // Sent before the first partial of its list, on the same partition: never missing.
            return names == null ? config.dimensionNames() : Layouts.names(names);
        });
    }

    private static String escape(String value) {
        return value.replace("%", "%25").replace("|", "%7C").replace("=", "%3D");
    }

    private void purge() {
        long streamTime = context.currentStreamTimeMs();
        if (streamTime < 0) {
            return;
        }
        int lastPurgeable = Days.ofMillis(streamTime - config.retention().toMillis()) - 1;
        if (lastPurgeable <= purgedThrough) {
            return;
        }
        DayRanges.keys(partials, purgedThrough + 1, lastPurgeable).forEach(partials::delete);
        purgedThrough = lastPurgeable;
    }
}
