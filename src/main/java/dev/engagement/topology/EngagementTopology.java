package dev.engagement.topology;

import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SketchStoreBuilder;
import dev.engagement.store.TaskMetadata;

import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.Stores;

import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The Engagement topology, built by a pure function of the configuration.
 *
 * <pre>
 * pings ──▶ fold ──┬──▶ dead-letter topic      (malformed / implausible, original bytes + reason headers)
 *   (sketches      ├──▶ late topic             (days past grace)
 *    store)        └──▶ partials topic ──▶ merge ──▶ sketches topic (compacted, one record per segment-day)
 *                                        (partials-by-partition, pending-downstream stores)
 * </pre>
 *
 * <p>Pings are never repartitioned: each task folds its own partitions into partial sketches and
 * queries union them (HLL unions merge in any order). Only the flushed partial sketches travel to the
 * merger, at most once per downstream interval per (segment, day) and partition.
 */
public final class EngagementTopology {

    /** The per-task sketch store queried by Interactive Queries. */
    public static final String SKETCH_STORE = "sketches";
    /**
     * The merger's store of the latest partial per (segment, day) and partition. (Named apart from
     * the earlier {@code merged-partials}, which kept every partition's partial in one value.)
     */
    public static final String MERGE_STORE = "partials-by-partition";
    /** The merger's store of (segment, day)s waiting to be emitted downstream. */
    public static final String PENDING_STORE = "pending-downstream";

    static final String PINGS_SOURCE = "pings";
    static final String FOLD = "fold";
    static final String DEAD_LETTER_SINK = "dead-letter";
    static final String LATE_SINK = "late";
    static final String PARTIALS_SINK = "partials";
    static final String PARTIALS_SOURCE = "partials-in";
    static final String MERGE = "merge";
    static final String SKETCHES_SINK = "segment-day-sketches";

    private EngagementTopology() {
    }

    /**
     * Builds the topology.
     *
     * @param config   topics, dimensions, sketch precision, grace, retention and intervals
     * @param registry resolves ping schema ids and registers the downstream schema
     * @param counters counts pings by outcome (shared by every task)
     * @param pingPartitions partitions of the pings topic: a downstream record is final once every one
     *                 of them has passed the day's grace
     */
    public static Topology build(EngagementConfig config, SchemaRegistry registry, IngestCounters counters,
                                 int pingPartitions) {
        return build(config, registry, counters, PartitionCount.fixed(pingPartitions));
    }

    /**
     * Builds the topology for a pings topic whose partitions may grow while it runs.
     *
     * @param pingPartitions the pings topic's partitions, as they are now: a downstream record is
     *                       final once every one of them has passed the day's grace
     */
    public static Topology build(EngagementConfig config, SchemaRegistry registry, IngestCounters counters,
                                 PartitionCount pingPartitions) {
        Sketches sketches = new Sketches(config.lgK());
        Topology topology = new Topology();
        topology.addSource(Topology.AutoOffsetReset.EARLIEST, PINGS_SOURCE, new PingTimestampExtractor(registry),
            new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.pingsTopic());
        topology.addProcessor(FOLD, () -> new FoldProcessor(config, registry, counters), PINGS_SOURCE);
        topology.addStateStore(new SketchStoreBuilder(SKETCH_STORE, sketches), FOLD);
        topology.addSink(DEAD_LETTER_SINK, config.deadLetterTopic(), new ByteArraySerializer(), new ByteArraySerializer(), FOLD);
        topology.addSink(LATE_SINK, config.lateTopic(), new ByteArraySerializer(), new ByteArraySerializer(), FOLD);
        topology.addSink(PARTIALS_SINK, config.partialsTopic(), new ByteArraySerializer(), new ByteArraySerializer(),
            EngagementTopology::partialsPartitions, FOLD);

        topology.addSource(Topology.AutoOffsetReset.EARLIEST, PARTIALS_SOURCE, new ByteArrayDeserializer(), new ByteArrayDeserializer(), config.partialsTopic());
        topology.addProcessor(MERGE, () -> new SketchMergeProcessor(config, pingPartitions), PARTIALS_SOURCE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(MERGE_STORE),
            Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled().withLoggingEnabled(Map.of()), MERGE);
        topology.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PENDING_STORE),
            Serdes.Bytes(), Serdes.ByteArray()).withCachingDisabled().withLoggingEnabled(Map.of()), MERGE);
        topology.addSink(SKETCHES_SINK, config.sketchesTopic(), new StringSerializer(),
            new AvroWireSerializer<SegmentDaySketch>(registry, SegmentDaySketch.getClassSchema()), MERGE);
        return topology;
    }

    /**
     * Watermarks and dimension lists go to every partition of the partials topic; sketches by key
     * (default partitioning).
     */
    static Optional<Set<Integer>> partialsPartitions(String topic, byte[] key, byte[] value,
                                                                       int numPartitions) {
        if (TaskMetadata.watermarkPartition(key) < 0 && TaskMetadata.layoutTag(key) == 0) {
            return Optional.empty();
        }
        Set<Integer> all = new HashSet<>();
        for (int p = 0; p < numPartitions; p++) {
            all.add(p);
        }
        return Optional.of(all);
    }
}
