package dev.engagement.topology;

import dev.engagement.avro.Ping;
import dev.engagement.avro.SegmentDaySketch;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.ping.Rejection;
import dev.engagement.registry.AvroWireDeserializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.sketch.Sketches;
import dev.engagement.sketch.TrinoHll;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;
import dev.engagement.store.TaskMetadata;
import dev.engagement.testing.Pings;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.test.TestRecord;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class EngagementTopologyTest {

    private static final LocalDate DAY = LocalDate.of(2026, 10, 1);
    private static final Instant MIDNIGHT = DAY.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);

    @TempDir
    Path stateDir;

    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
    private final EngagementConfig config = EngagementConfig.defaults(Map.of(
        "engagement.dimensions", "channel,os",
        "engagement.dimension.os.max-values", "2",
        "engagement.downstream-interval", "5s"));
    private final IngestCounters counters = new IngestCounters();
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> pings;
    private TestOutputTopic<byte[], byte[]> deadLetter;
    private TestOutputTopic<byte[], byte[]> late;
    private TestOutputTopic<String, SegmentDaySketch> sketches;
    private Pings wire;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "engagement-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(EngagementTopology.build(config, registry, counters, 1), props);
        pings = bytesIn(driver, config.pingsTopic());
        deadLetter = driver.createOutputTopic(config.deadLetterTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        late = driver.createOutputTopic(config.lateTopic(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        sketches = sketchesOut(driver, config);
        wire = new Pings(registry, config.pingsTopic());
    }

    @AfterEach
    void stop() {
        driver.close();
    }

    private void send(Ping ping) {
        send(wire.bytes(ping), ping.getSubmissionTimestamp());
    }

    private void send(byte[] value, Instant recordTime) {
        pings.pipeInput(new TestRecord<>(null, value, recordTime));
    }

    private double estimateInStore(LocalDate day, String... segment) {
        SketchStore store = (SketchStore) driver.getAllStateStores().get(EngagementTopology.SKETCH_STORE);
        byte[] bytes = store.get(SegmentDayKey.of(Days.of(day), segment));
        return bytes == null ? 0 : Sketches.fromBytes(bytes).getEstimate();
    }

    private static Ping undated(String client, Instant submitted) {
        Ping p = Pings.ping(client, submitted, null, "release", "Linux");
        p.setActivityDate(null);
        return p;
    }

    @Test
    void pingsEitherSideOfMidnightCountForTheirOwnUtcDay() {
        send(undated("a", MIDNIGHT.minusMillis(1)));
        send(undated("b", MIDNIGHT.minusMillis(1)));
        send(undated("a", MIDNIGHT));
        send(undated("a", MIDNIGHT.plusSeconds(5)));
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        assertThat(estimateInStore(DAY, "release", "Linux")).isEqualTo(2.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY.plusDays(1), "release", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(counters.accepted()).isEqualTo(4);
    }

    @Test
    void activityDateDecidesTheDayNotSubmissionTime() {
        send(Pings.ping("a", MIDNIGHT.plusSeconds(10), DAY, "release", "Linux"));
        driver.advanceWallClockTime(Duration.ofSeconds(2));
        assertThat(estimateInStore(DAY, "release", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY.plusDays(1), "release", "Linux")).isZero();
    }

    @Test
    void missingValuesUseThePlaceholderAndValuesPastTheCapFoldIntoOther() {
        send(Pings.ping("a", MIDNIGHT, DAY, null, "Linux"));
        send(Pings.ping("b", MIDNIGHT, DAY, "", "Darwin"));
        send(Pings.ping("c", MIDNIGHT, DAY, "beta", "Windows_NT")); // third os value: cap is 2
        send(Pings.ping("d", MIDNIGHT, DAY, "beta", "Linux"));
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        assertThat(estimateInStore(DAY, "(none)", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY, "(none)", "Darwin")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY, "beta", "Other")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY, "beta", "Windows_NT")).isZero();
        assertThat(estimateInStore(DAY, "beta", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
    }

    @Test
    void badRecordsAreDeadLetteredWithTheirReasonAndOriginalBytes() {
        Instant t = MIDNIGHT;
        byte[] good = wire.bytes(Pings.ping("ok", t, DAY, "release", "Linux"));
        byte[] wrongMagic = good.clone();
        wrongMagic[0] = 7;
        byte[] unknownId = good.clone();
        unknownId[4] = 99;
        byte[] truncated = Arrays.copyOf(good, good.length - 6);
        Map<Rejection, byte[]> cases = new HashMap<>();
        cases.put(Rejection.MALFORMED_RECORD, new byte[] {0, 0});
        cases.put(Rejection.WRONG_MAGIC_BYTE, wrongMagic);
        cases.put(Rejection.UNKNOWN_SCHEMA_ID, unknownId);
        cases.put(Rejection.MALFORMED_AVRO, truncated);
        cases.put(Rejection.MISSING_CLIENT_ID, wire.bytes(Pings.ping("", t, DAY, "release", "Linux")));
        cases.put(Rejection.OVERSIZED_CLIENT_ID, wire.bytes(Pings.ping("x".repeat(129), t, DAY, "release", "Linux")));
        cases.put(Rejection.INVALID_CLIENT_ID, wire.bytes(Pings.ping("a\u0001b", t, DAY, "release", "Linux")));
        cases.put(Rejection.FUTURE_ACTIVITY_DATE, wire.bytes(Pings.ping("f", t, DAY.plusDays(3), "release", "Linux")));
        cases.put(Rejection.STALE_ACTIVITY_DATE, wire.bytes(Pings.ping("s", t, DAY.minusDays(40), "release", "Linux")));
        cases.put(Rejection.INVALID_SUBMISSION_TIMESTAMP, wire.bytes(Pings.ping("z", Instant.EPOCH, DAY, "release", "Linux")));

        for (Rejection r : Rejection.values()) {
            if (cases.containsKey(r)) {
                send(cases.get(r), t);
            }
        }
        send(good, t);

        List<TestRecord<byte[], byte[]>> dead = deadLetter.readRecordsToList();
        Map<String, byte[]> byReason = dead.stream().collect(Collectors.toMap(
            r -> header(r, "engagement.reason"), TestRecord::value));
        assertThat(byReason.keySet()).containsExactlyInAnyOrderElementsOf(
            cases.keySet().stream().map(Enum::name).toList());
        cases.forEach((reason, bytes) -> assertThat(byReason.get(reason.name())).isEqualTo(bytes));
        TestRecord<byte[], byte[]> first = dead.get(0);
        assertThat(header(first, "engagement.source.topic")).isEqualTo(config.pingsTopic());
        assertThat(header(first, "engagement.source.partition")).isEqualTo("0");
        assertThat(header(first, "engagement.source.offset")).isEqualTo("0");
        cases.keySet().forEach(r -> assertThat(counters.deadLettered(r)).as(r.name()).isEqualTo(1));
        assertThat(counters.accepted()).isEqualTo(1);
        assertThat(counters.total()).isEqualTo(cases.size() + 1);
    }

    @Test
    void aPingForADayPastGraceGoesToTheLateTopicAndChangesNothing() {
        send(Pings.ping("a", MIDNIGHT, DAY, "release", "Linux"));
        // Stream time moves to DAY end + 2 days grace: DAY is closed.
        Instant later = MIDNIGHT.plus(Duration.ofDays(2));
        send(Pings.ping("b", later, DAY.plusDays(2), "release", "Linux"));
        send(Pings.ping("late-one", later, DAY, "release", "Linux"));
        // Still within grace: the day before yesterday's end + 2 days is later than stream time.
        send(Pings.ping("in-grace", later, DAY.plusDays(1), "release", "Linux"));
        driver.advanceWallClockTime(Duration.ofSeconds(2));

        List<TestRecord<byte[], byte[]>> lateRecords = late.readRecordsToList();
        assertThat(lateRecords).hasSize(1);
        assertThat(header(lateRecords.get(0), "engagement.day")).isEqualTo(DAY.toString());
        assertThat(counters.late()).isEqualTo(1);
        assertThat(counters.accepted()).isEqualTo(3);
        assertThat(estimateInStore(DAY, "release", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
        assertThat(estimateInStore(DAY.plusDays(1), "release", "Linux")).isEqualTo(1.0, Offset.offset(1e-6));
    }

    @Test
    void downstreamCarriesTheSketchOncePerIntervalAndMarksClosedDaysFinal() {
        for (int i = 0; i < 50; i++) {
            send(Pings.ping("c" + i, MIDNIGHT, DAY, "release", "Linux"));
        }
        driver.advanceWallClockTime(Duration.ofSeconds(6)); // the fold's first punctuation: a resync
        driver.advanceWallClockTime(Duration.ofSeconds(6)); // one interval later: changed partials sent
        driver.advanceWallClockTime(Duration.ofSeconds(6)); // merger emits
        Map<String, SegmentDaySketch> latest = sketches.readKeyValuesToMap();
        String key = DAY + "|channel=release|os=Linux";
        assertThat(latest).containsOnlyKeys(key);
        SegmentDaySketch record = latest.get(key);
        assertThat(record.getEstimate()).isBetween(record.getLower(), record.getUpper());
        assertThat(record.getLower()).isLessThanOrEqualTo(50.0);
        assertThat(record.getUpper()).isGreaterThanOrEqualTo(50.0);
        assertThat(record.getFinal$()).isFalse();
        assertThat(record.getDimensions()).extracting(d -> d.getName() + "=" + d.getValue())
            .containsExactly("channel=release", "os=Linux");
        HllSketch sketch = HllSketch.heapify(record.getSketch().array());
        assertThat(sketch.getEstimate()).isEqualTo(record.getEstimate());
        // The same sketch for Trino, converted when the record is emitted.
        assertThat(record.getTrinoHll()).isNotNull();
        assertThat(record.getTrinoHll().array()).isEqualTo(TrinoHll.fromDataSketches(sketch));

        // Nothing changed: nothing new downstream.
        driver.advanceWallClockTime(Duration.ofSeconds(12));
        assertThat(sketches.isEmpty()).isTrue();

        // Stream time passes the day's grace: a final record.
        send(Pings.ping("other", MIDNIGHT.plus(Duration.ofDays(3)), DAY.plusDays(3), "beta", "Linux"));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        Map<String, SegmentDaySketch> after = sketches.readKeyValuesToMap();
        assertThat(after.get(key).getFinal$()).isTrue();
        assertThat(after.get(key).getSketch()).isEqualTo(record.getSketch());
    }

    /** A live sketch of the clients {@code prefix + i} for {@code i} in {@code from..to-1}. */
    private static HllSketch sketchOf(String prefix, int from, int to) {
        HllSketch sketch = new Sketches(12).newLive();
        for (int i = from; i < to; i++) {
            sketch.update(prefix + i);
        }
        return sketch;
    }

    /** A key on the partials topic: tagged with the configured list's tag, as fold tasks send them. */
    private byte[] partialKey(String[] values) {
        return SegmentDayKey.of(Days.of(DAY), Layouts.tagOf(config.dimensionNames()), values).get();
    }

    @Test
    void theDownstreamRecordIsTheUnionOfEveryPartitionsPartial() {
        Sketches s = new Sketches(12);
        HllSketch p0 = sketchOf("client-", 0, 300);
        HllSketch p1 = sketchOf("client-", 200, 500); // 100 shared
        TestInputTopic<byte[], byte[]> partials = bytesIn(driver, config.partialsTopic());
        byte[] key = partialKey(new String[] {"release", "Linux"});
        long ts = MIDNIGHT.toEpochMilli();
        partials.pipeInput(new TestRecord<>(key, Partial.encode(0, Sketches.toBytes(p0)), Instant.ofEpochMilli(ts)));
        partials.pipeInput(new TestRecord<>(key, Partial.encode(1, Sketches.toBytes(p1)), Instant.ofEpochMilli(ts)));
        driver.advanceWallClockTime(Duration.ofSeconds(6));

        SegmentDaySketch merged = sketches.readValue();
        assertThat(merged.getLower()).isLessThanOrEqualTo(500.0);
        assertThat(merged.getUpper()).isGreaterThanOrEqualTo(500.0);
        assertThat(merged.getFinal$()).as("no input partition has closed the day").isFalse();
        byte[] expected = s.unionBytes(List.of(Sketches.toBytes(p0), Sketches.toBytes(p1)));
        assertThat(merged.getSketch().array()).isEqualTo(expected);

        // Final only once every input partition (one here) says it has closed the day.
        partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(0).key().get(),
            ByteBuffer.allocate(4).putInt(Days.of(DAY)).array(), Instant.ofEpochMilli(ts)));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        SegmentDaySketch closed = sketches.readValue();
        assertThat(closed.getFinal$()).isTrue();
        assertThat(closed.getSketch().array()).isEqualTo(expected);
    }

    @Test
    void aPartitionsNewPartialReplacesOnlyItsOwn() {
        Sketches s = new Sketches(12);
        HllSketch p0 = sketchOf("a-", 0, 100);
        HllSketch p1 = sketchOf("b-", 0, 100);
        TestInputTopic<byte[], byte[]> partials = bytesIn(driver, config.partialsTopic());
        byte[] key = partialKey(new String[] {"release", "Linux"});
        // A segment whose values extend the first one's must not mix in (keys are prefix-free).
        byte[] longer = partialKey(new String[] {"release", "Linux2"});
        Instant t = MIDNIGHT;
        partials.pipeInput(new TestRecord<>(key, Partial.encode(0, Sketches.toBytes(p0)), t));
        partials.pipeInput(new TestRecord<>(key, Partial.encode(1, Sketches.toBytes(p1)), t));
        HllSketch other = s.newLive();
        other.update("elsewhere");
        partials.pipeInput(new TestRecord<>(longer, Partial.encode(0, Sketches.toBytes(other)), t));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        sketches.readKeyValuesToMap();

        // Partition 0 moves on; partition 1's partial must still count, and only once.
        for (int i = 100; i < 150; i++) {
            p0.update("a-" + i);
        }
        partials.pipeInput(new TestRecord<>(key, Partial.encode(0, Sketches.toBytes(p0)), t));
        driver.advanceWallClockTime(Duration.ofSeconds(6));
        Map<String, SegmentDaySketch> out = sketches.readKeyValuesToMap();
        assertThat(out).hasSize(1);
        SegmentDaySketch merged = out.values().iterator().next();
        assertThat(merged.getSketch().array())
            .isEqualTo(s.unionBytes(List.of(Sketches.toBytes(p0), Sketches.toBytes(p1))));
    }

    @Test
    void aDayIsFinalOnlyOnceEveryInputPartitionHasClosedIt() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "engagement-test-2");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("two").toString());
        try (TopologyTestDriver two = new TopologyTestDriver(EngagementTopology.build(config, registry, counters, 2), props)) {
            TestInputTopic<byte[], byte[]> partials = bytesIn(two, config.partialsTopic());
            TestOutputTopic<String, SegmentDaySketch> out = sketchesOut(two, config);
            Sketches s = new Sketches(12);
            HllSketch sketch = s.newLive();
            sketch.update("only-in-partition-0");
            byte[] key = partialKey(new String[] {"release", "Linux"});
            Instant t = MIDNIGHT;
            partials.pipeInput(new TestRecord<>(key, Partial.encode(0, Sketches.toBytes(sketch)), t));
            partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(0).key().get(), intBytes(Days.of(DAY)), t));
            two.advanceWallClockTime(Duration.ofSeconds(6));
            assertThat(out.readValue().getFinal$()).as("partition 1 may still send pings for the day").isFalse();

            // Partition 1 closes the day: the segment (which only partition 0 had) is emitted again, final.
            partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(1).key().get(), intBytes(Days.of(DAY)), t));
            two.advanceWallClockTime(Duration.ofSeconds(6));
            SegmentDaySketch last = out.readValue();
            assertThat(last.getFinal$()).isTrue();
            assertThat(last.getSketch().array()).isEqualTo(Sketches.toBytes(sketch));
            assertThat(out.isEmpty()).isTrue();
        }
    }

    @Test
    void partitionsAddedWhileRunningHoldFinalityBackUntilTheyCloseTheDay() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "engagement-test-grown");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve("grown").toString());
        // The pings topic has 2 partitions at start; an operator adds a third while it runs, and the
        // merger learns it when it refreshes the count before making a day final.
        AtomicInteger count = new AtomicInteger(2);
        AtomicInteger refreshes = new AtomicInteger();
        PartitionCount growing = new PartitionCount() {
            @Override
            public int current() {
                return 2; // the background watch has not noticed yet
            }

            @Override
            public int refreshed() {
                refreshes.incrementAndGet();
                return count.get();
            }
        };
        try (TopologyTestDriver grown = new TopologyTestDriver(EngagementTopology.build(config, registry, counters, growing),
            props)) {
            TestInputTopic<byte[], byte[]> partials = bytesIn(grown, config.partialsTopic());
            TestOutputTopic<String, SegmentDaySketch> out = sketchesOut(grown, config);
            HllSketch sketch = new Sketches(12).newLive();
            sketch.update("in-partition-0");
            byte[] key = partialKey(new String[] {"release", "Linux"});
            Instant t = MIDNIGHT;
            partials.pipeInput(new TestRecord<>(key, Partial.encode(0, Sketches.toBytes(sketch)), t));
            partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(0).key().get(), intBytes(Days.of(DAY)), t));
            count.set(3); // partition 2 added
            partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(1).key().get(), intBytes(Days.of(DAY)), t));
            grown.advanceWallClockTime(Duration.ofSeconds(6));
            assertThat(refreshes.get()).as("asked the cluster before making the day final").isPositive();
            assertThat(out.readValue().getFinal$()).as("partition 2 has not closed the day").isFalse();

            // The new partition's fold task closes the day: now it is final.
            partials.pipeInput(new TestRecord<>(TaskMetadata.watermark(2).key().get(), intBytes(Days.of(DAY)), t));
            grown.advanceWallClockTime(Duration.ofSeconds(6));
            SegmentDaySketch last = out.readValue();
            assertThat(last.getFinal$()).isTrue();
            assertThat(out.isEmpty()).isTrue();
        }
    }

    @Test
    void withFewLiveSketchesAllowedTheStoreAndDownstreamStayExact() {
        EngagementConfig tight = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os",
            "engagement.max-live-sketches", "2"));
        try (TopologyTestDriver small = driver(tight, "tight")) {
            TestInputTopic<byte[], byte[]> in = bytesIn(small, tight.pingsTopic());
            String[] oses = {"Linux", "Darwin", "Windows_NT", "Android", "iOS"};
            for (int i = 0; i < 100; i++) {
                Ping p = Pings.ping("c" + (i % 20), MIDNIGHT, DAY, "release", oses[i % oses.length]);
                in.pipeInput(new TestRecord<>(null, wire.bytes(p), MIDNIGHT));
            }
            small.advanceWallClockTime(Duration.ofSeconds(2));
            SketchStore store = (SketchStore) small.getAllStateStores().get(EngagementTopology.SKETCH_STORE);
            assertThat(store.liveCount()).isLessThanOrEqualTo(2);
            for (String os : oses) {
                // c0..c19 cycle over 5 oses: each os sees the 4 clients whose number matches it mod 5.
                byte[] bytes = store.get(SegmentDayKey.of(Days.of(DAY), new String[] {"release", os}));
                assertThat(Sketches.fromBytes(bytes).getEstimate()).as(os).isEqualTo(4.0, Offset.offset(1e-6));
            }
        }
    }

    @Test
    void segmentsRebuiltWhenADayClosesKeepEveryOpenSketchExact() {
        EngagementConfig uncapped = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os",
            "engagement.dimension.max-values", "0", "engagement.downstream-interval", "5s"));
        try (TopologyTestDriver d = driver(uncapped, "rebuild")) {
            TestInputTopic<byte[], byte[]> in = bytesIn(d, uncapped.pingsTopic());
            TestOutputTopic<String, SegmentDaySketch> out = sketchesOut(d, uncapped);
            // Far more segments on one day than stay open after it: the ids are rebuilt when it closes.
            int segments = FoldProcessor.SEGMENT_SLACK + 500;
            for (int i = 0; i < segments; i++) {
                Ping p = Pings.ping("c" + i, MIDNIGHT, DAY, "release", "os-" + i);
                in.pipeInput(new TestRecord<>(null, wire.bytes(p), MIDNIGHT));
            }
            Instant later = MIDNIGHT.plus(Duration.ofDays(3));
            LocalDate laterDay = DAY.plusDays(3);
            in.pipeInput(new TestRecord<>(null, wire.bytes(Pings.ping("a", later, laterDay, "beta", "Linux")), later));
            d.advanceWallClockTime(Duration.ofSeconds(2)); // closes DAY, then rebuilds the segment ids
            for (String client : new String[] {"a", "b", "c"}) {
                in.pipeInput(new TestRecord<>(null, wire.bytes(Pings.ping(client, later, laterDay, "beta", "Linux")), later));
            }
            in.pipeInput(new TestRecord<>(null, wire.bytes(Pings.ping("z", later, laterDay, "release", "os-7")), later));
            d.advanceWallClockTime(Duration.ofSeconds(6));
            d.advanceWallClockTime(Duration.ofSeconds(6));

            Map<String, SegmentDaySketch> records = out.readKeyValuesToMap();
            SegmentDaySketch open = records.get(laterDay + "|channel=beta|os=Linux");
            assertThat(open.getEstimate()).as("a before the rebuild, b and c after").isEqualTo(3.0, Offset.offset(1e-6));
            assertThat(records.get(laterDay + "|channel=release|os=os-7").getEstimate()).isEqualTo(1.0, Offset.offset(1e-6));
            long closed = records.values().stream().filter(r -> r.getDay().equals(DAY)).count();
            assertThat(closed).isEqualTo(segments);
            assertThat(records.values().stream().filter(r -> r.getDay().equals(DAY)).allMatch(SegmentDaySketch::getFinal$)).isTrue();
        }
    }

    @Test
    void daysOlderThanTheRetentionAreDeleted() {
        EngagementConfig shortLived = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os",
            "engagement.retention", "31d"));
        try (TopologyTestDriver d = driver(shortLived, "retention")) {
            TestInputTopic<byte[], byte[]> in = bytesIn(d, shortLived.pingsTopic());
            in.pipeInput(new TestRecord<>(null, wire.bytes(Pings.ping("old", MIDNIGHT, DAY, "release", "Linux")), MIDNIGHT));
            d.advanceWallClockTime(Duration.ofSeconds(2));
            SketchStore store = (SketchStore) d.getAllStateStores().get(EngagementTopology.SKETCH_STORE);
            Bytes oldKey = SegmentDayKey.of(Days.of(DAY), new String[] {"release", "Linux"});
            assertThat(store.get(oldKey)).isNotNull();
            Instant later = MIDNIGHT.plus(Duration.ofDays(40));
            in.pipeInput(new TestRecord<>(null, wire.bytes(Pings.ping("new", later,
                LocalDate.ofInstant(later, ZoneOffset.UTC), "release", "Linux")), later));
            d.advanceWallClockTime(Duration.ofSeconds(2));
            assertThat(store.get(oldKey)).as("a day past the 31-day retention").isNull();
        }
    }

    private TopologyTestDriver driver(EngagementConfig c, String name) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "engagement-test-" + name);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(name).toString());
        return new TopologyTestDriver(EngagementTopology.build(c, registry, new IngestCounters(), 1), props);
    }

    private static TestInputTopic<byte[], byte[]> bytesIn(TopologyTestDriver d, String topic) {
        return d.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private TestOutputTopic<String, SegmentDaySketch> sketchesOut(TopologyTestDriver d, EngagementConfig c) {
        return d.createOutputTopic(c.sketchesTopic(), new StringDeserializer(),
            new AvroWireDeserializer<>(registry, SegmentDaySketch.getClassSchema()));
    }

    private static byte[] intBytes(int value) {
        return ByteBuffer.allocate(4).putInt(value).array();
    }

    private static String header(TestRecord<byte[], byte[]> record, String name) {
        Header h = record.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }
}
