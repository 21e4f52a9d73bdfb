package dev.engagement.app;

import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.registry.AvroWireDeserializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;
import dev.engagement.testing.TestData;
import dev.engagement.topology.EngagementTopology;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The ingest pipeline on a real in-process KRaft broker: pings in, sketches in the stores and on the
 * downstream topic; and a stop, a state wipe and a replay mid-stream that end byte-identical to an
 * uninterrupted run.
 */
class IngestIT {

    private static final int PARTITIONS = 3;
    private static final LocalDate FIRST_DAY = LocalDate.of(2026, 9, 1);

    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final TestData DATA = new TestData(FIRST_DAY, 4, 1500, 3000, 42);
    private static final byte[][] BAD = {new byte[] {1, 2, 3}, new byte[] {0, 0, 0, 0, 77, 1, 2}};

    @TempDir
    Path stateDir;



    private EngagementConfig config(String name) {
        Map<String, String> p = TestConfigs.instance(KAFKA.bootstrapServers(), name, stateDir.resolve(name), PARTITIONS);
        p.put("engagement.downstream-interval", "200ms");
        return EngagementConfig.defaults(p);
    }

    private static void createPingsTopic(String topic) throws Exception {
        KafkaTestUtils.createTopic(KAFKA.bootstrapServers(), topic, PARTITIONS);
    }

    /** Produces pings (and the bad records) with each client on a fixed partition, in data order. */
    private static void produce(String topic, List<Ping> pings, boolean withBad) throws InterruptedException {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(
            KafkaTestUtils.pingRecords(topic, pings, REGISTRY, PARTITIONS));
        if (withBad) {
            for (byte[] bad : BAD) {
                records.add(new ProducerRecord<>(topic, 0, null, bad));
            }
        }
        KafkaTestUtils.produceAll(KAFKA.bootstrapServers(), records);
    }

    /** Every partition's stored sketch per (partition, key), read through Interactive Queries. */
    private static Map<String, Bytes> snapshot(EngagementApp app) {
        Map<String, Bytes> all = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            ReadOnlyKeyValueStore<Bytes, byte[]> store = app.streams().store(StoreQueryParameters
                .fromNameAndType(EngagementTopology.SKETCH_STORE, QueryableStoreTypes.<Bytes, byte[]>keyValueStore())
                .withPartition(p));
            try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
                while (it.hasNext()) {
                    KeyValue<Bytes, byte[]> kv = it.next();
                    if (!SegmentDayKey.isMeta(kv.key.get())) {
                        all.put(p + "/" + describe(kv.key.get()), Bytes.wrap(kv.value));
                    }
                }
            }
        }
        return all;
    }

    private static String describe(byte[] key) {
        String[] v = SegmentDayKey.values(key);
        return TestData.key(Days.toDate(SegmentDayKey.day(key)), v[0], v[1]);
    }

    private static Map<String, Bytes> runToCompletion(EngagementApp app, long expectedTotal) throws Exception {
        app.awaitRunning(Duration.ofSeconds(60));
        Poll.until("every ping counted (" + expectedTotal + ")", Duration.ofSeconds(90),
            () -> app.counters().total() >= expectedTotal);
        return Poll.stable("stores", Duration.ofSeconds(30), Duration.ofMillis(600), () -> snapshot(app));
    }

    @Test
    void storesAndDownstreamHoldTheUnionOfEveryPartitionsSketch() throws Exception {
        EngagementConfig config = config("ingest");
        createPingsTopic(config.pingsTopic());
        produce(config.pingsTopic(), DATA.pings, true);
        try (EngagementApp app = EngagementApp.start(config, REGISTRY)) {
            Map<String, Bytes> stores = runToCompletion(app, DATA.pings.size() + BAD.length);
            assertThat(app.counters().late()).isEqualTo(DATA.latePings);
            assertThat(app.counters().deadLetteredTotal()).isEqualTo(BAD.length);
            assertThat(app.counters().accepted()).isEqualTo(DATA.pings.size() - DATA.latePings);

            // Union over partitions, per segment-day, in partition order; compare with exact counts.
            Map<String, byte[]> unions = unions(stores);
            assertThat(unions.keySet()).isEqualTo(DATA.exact.keySet());
            unions.forEach((key, union) -> {
                HllSketch sketch = Sketches.fromBytes(union);
                int truth = DATA.exact.get(key).size();
                assertThat(Sketches.estimate(sketch).contains(truth)).as(key + " estimate %s vs %d",
                    sketch.getEstimate(), truth).isTrue();
            });

            // The downstream topic: one latest record per segment-day, equal to the union of partitions,
            // final exactly for the days past grace in every partition.
            Map<String, SegmentDaySketch> downstream = awaitDownstream(config, unions);
            Set<String> finals = new HashSet<>();
            downstream.forEach((k, r) -> {
                if (r.getFinal$()) {
                    finals.add(r.getDay().toString());
                }
            });
            assertThat(finals).containsExactly(FIRST_DAY.toString());
        }
    }

    /** Per segment-day key, the union of the partitions' sketches, merged in partition order. */
    private static Map<String, byte[]> unions(Map<String, Bytes> stores) {
        Sketches sketches = new Sketches(12);
        Map<String, List<byte[]>> byKey = new TreeMap<>();
        stores.forEach((k, v) -> byKey.computeIfAbsent(k.substring(k.indexOf('/') + 1), x -> new ArrayList<>()).add(v.get()));
        Map<String, byte[]> unions = new HashMap<>();
        byKey.forEach((key, parts) -> unions.put(key, parts.size() == 1 ? parts.get(0) : sketches.unionBytes(parts)));
        return unions;
    }

    /**
     * Reads the downstream topic (while the app runs) until its latest record of every segment-day
     * holds the union of the partitions and is final exactly when its day is past grace everywhere
     * (only the first day: the last pings are on day four, and grace is two days).
     */
    private static Map<String, SegmentDaySketch> awaitDownstream(EngagementConfig config, Map<String, byte[]> unions) {
        Map<String, SegmentDaySketch> downstream = new HashMap<>();
        try (KafkaConsumer<String, SegmentDaySketch> consumer = new KafkaConsumer<>(Map.<String, Object>of(
            "bootstrap.servers", KAFKA.bootstrapServers(), "group.id", config.kafka().get("application.id") + "-reader",
            "auto.offset.reset", "earliest"),
            new StringDeserializer(), new AvroWireDeserializer<>(REGISTRY, SegmentDaySketch.getClassSchema()))) {
            consumer.subscribe(List.of(config.sketchesTopic()));
            Poll.until("downstream records equal to the union of partitions, final past grace",
                Duration.ofSeconds(60), () -> {
                    for (ConsumerRecord<String, SegmentDaySketch> r : consumer.poll(Duration.ofMillis(200))) {
                        downstream.put(r.key(), r.value());
                    }
                    return downstream.size() == unions.size() && downstream.values().stream().allMatch(record ->
                        Arrays.equals(record.getSketch().array(), unions.get(keyOf(record)))
                            && record.getFinal$() == record.getDay().equals(FIRST_DAY));
                });
        }
        return downstream;
    }

    private static String keyOf(SegmentDaySketch record) {
        return TestData.key(record.getDay(), record.getDimensions().get(0).getValue(),
            record.getDimensions().get(1).getValue());
    }

    @Test
    void aStopAStateWipeAndAReplayMidStreamEndByteIdenticalToAnUninterruptedRun() throws Exception {
        // Uninterrupted.
        EngagementConfig straight = config("straight");
        createPingsTopic(straight.pingsTopic());
        produce(straight.pingsTopic(), DATA.pings, false);
        Map<String, Bytes> expected;
        Map<String, SegmentDaySketch> straightOut;
        try (EngagementApp app = EngagementApp.start(straight, REGISTRY)) {
            expected = runToCompletion(app, DATA.pings.size());
            straightOut = awaitDownstream(straight, unions(expected));
        }

        // Interrupted: half the pings, stop, wipe local state, rewind offsets, the rest.
        EngagementConfig interrupted = config("interrupted");
        createPingsTopic(interrupted.pingsTopic());
        int half = DATA.pings.size() / 2;
        produce(interrupted.pingsTopic(), DATA.pings.subList(0, half), false);
        try (EngagementApp app = EngagementApp.start(interrupted, REGISTRY)) {
            runToCompletion(app, half);
        }
        Directories.delete(Path.of(interrupted.kafka().get("state.dir"))); // restore every store from its changelog
        // Replay pings that are already in the sketches, with stream time forgotten (offset metadata
        // dropped): replayed pings of days already closed must not reopen them.
        int replayed = rewind(interrupted, 1500);
        produce(interrupted.pingsTopic(), DATA.pings.subList(half, DATA.pings.size()), false);
        Map<String, Bytes> actual;
        Map<String, SegmentDaySketch> interruptedOut;
        try (EngagementApp app = EngagementApp.start(interrupted, REGISTRY)) {
            actual = runToCompletion(app, DATA.pings.size() - half + replayed);
            interruptedOut = awaitDownstream(interrupted, unions(actual));
        }
        assertThat(actual.keySet()).isEqualTo(expected.keySet());
        expected.forEach((key, bytes) -> assertThat(actual.get(key)).as(key).isEqualTo(bytes));

        // Downstream, both runs end with the same sketches and the same final days.
        assertThat(interruptedOut.keySet()).isEqualTo(straightOut.keySet());
        straightOut.forEach((key, record) -> {
            SegmentDaySketch other = interruptedOut.get(key);
            assertThat(other.getFinal$()).as(key).isEqualTo(record.getFinal$());
            assertThat(other.getSketch()).as(key).isEqualTo(record.getSketch());
        });
        assertThat(straightOut.values()).anyMatch(SegmentDaySketch::getFinal$);
    }

    /** Moves the group's committed offsets on the pings topic back, dropping their metadata; returns how many. */
    private static int rewind(EngagementConfig config, int records) throws Exception {
        String group = config.kafka().get("application.id");
        int moved = 0;
        try (Admin admin = Admin.create(Map.<String, Object>of("bootstrap.servers", KAFKA.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed =
                admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetAndMetadata> rewound = new HashMap<>();
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : committed.entrySet()) {
                if (e.getKey().topic().equals(config.pingsTopic())) {
                    long to = Math.max(0, e.getValue().offset() - records);
                    moved += (int) (e.getValue().offset() - to);
                    rewound.put(e.getKey(), new OffsetAndMetadata(to));
                }
            }
            assertThat(rewound).hasSize(PARTITIONS);
            admin.alterConsumerGroupOffsets(group, rewound).all().get();
        }
        return moved;
    }

}
