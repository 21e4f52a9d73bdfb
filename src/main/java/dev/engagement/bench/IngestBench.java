package dev.engagement.bench;

import dev.engagement.app.Directories;
import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.Topics;
import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.SegmentIndex;
import dev.engagement.ping.ValueCaps;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.registry.PingDecoder;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.LiveSketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.topology.EngagementTopology;
import dev.engagement.topology.IngestCounters;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Measures ingest, each figure against references taken in the same run: a bare consumer that
 * decodes (the physical limit), a Kafka Streams app whose processor only decodes (the framework's
 * floor), Engagement's real topology, a naive DSL aggregate (re-key, repartition, sketch serde per
 * ping), and the in-memory fold core. Every Streams run uses one stream thread and
 * {@code commit.interval.ms=1000}, and is timed from {@code start()} until every ping is processed
 * (and, for the floor and Engagement, committed). Each figure is the median of the repetitions.
 */
public final class IngestBench implements AutoCloseable {

    /** One measured figure: median, min and max over the repetitions. */
    public record Figure(String name, String unit, double median, double min, double max) {
        static Figure of(String name, String unit, double[] values) {
            double[] s = values.clone();
            Arrays.sort(s);
            return new Figure(name, unit, s[s.length / 2], s[0], s[s.length - 1]);
        }
    }

    /** What to measure. */
    public record Settings(long pings, int partitions, int clients, int segments, int repetitions,
                           long naivePings, String flushInterval, String downstreamInterval, int querySegments,
                           int queryDays, int accuracySegments) {
    }

    private static final String TOPIC = "bench-pings";

    private final Settings settings;
    private final Path workDir;
    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
    private final EngagementConfig config;
    private EmbeddedKafka kafka;
    private int run;

    public IngestBench(Settings settings) throws Exception {
        this.settings = settings;
        this.workDir = Files.createTempDirectory("engagement-bench");
        this.config = EngagementConfig.defaults(Map.of("engagement.topic.pings", TOPIC,
            "engagement.topic.partitions", Integer.toString(settings.partitions())));
    }

    /** Starts the broker and produces the pings (lz4, keyed by client). */
    public void prepare() throws Exception {
        kafka = EmbeddedKafka.start(workDir.resolve("kafka"), false);
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(TOPIC, settings.partitions(), (short) 1))).all().get();
            Topics.awaitLeaders(admin, List.of(TOPIC), Duration.ofSeconds(30));
        }
        BenchPings source = new BenchPings(settings.clients(), settings.segments(), 1);
        AvroWireSerializer<Ping> serializer = new AvroWireSerializer<>(registry, Ping.getClassSchema());
        Random random = new Random(2);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
            "bootstrap.servers", kafka.bootstrapServers(), "compression.type", "lz4", "linger.ms", 20,
            "batch.size", 262_144, "acks", "1"), new ByteArraySerializer(), new ByteArraySerializer())) {
            for (long i = 0; i < settings.pings(); i++) {
                Ping ping = source.ping(i, settings.pings(), random);
                producer.send(new ProducerRecord<>(TOPIC, null, ping.getSubmissionTimestamp().toEpochMilli(),
                    ping.getClientId().getBytes(StandardCharsets.UTF_8), serializer.serialize(TOPIC, ping)));
            }
            producer.flush();
        }
    }

    private Admin admin() {
        return Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()));
    }

    /** A plain consumer that reads and decodes every ping. */
    public Figure bareConsumer() {
        double[] rates = new double[settings.repetitions()];
        for (int r = 0; r < rates.length; r++) {
            PingDecoder decoder = new PingDecoder(registry);
            long start = System.nanoTime();
            long count = 0;
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.<String, Object>of(
                "bootstrap.servers", kafka.bootstrapServers(), "group.id", "bench-bare-" + (run++),
                "auto.offset.reset", "earliest", "enable.auto.commit", false, "max.poll.records", 5000),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.subscribe(List.of(TOPIC));
                while (count < settings.pings()) {
                    for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                        try {
                            decoder.decode(record.value());
                        } catch (PingDecoder.RejectedException e) {
                            throw new IllegalStateException(e);
                        }
                        count++;
                    }
                }
            }
            rates[r] = settings.pings() / seconds(start);
        }
        return Figure.of("bare consumer (decode only)", "pings/s", rates);
    }

    /** Kafka Streams, one processor that decodes each ping and does nothing else. */
    public Figure streamsFloor() throws Exception {
        double[] rates = new double[settings.repetitions()];
        for (int r = 0; r < rates.length; r++) {
            AtomicLong processed = new AtomicLong();
            Topology topology = new Topology();
            topology.addSource("pings", new ByteArrayDeserializer(), new ByteArrayDeserializer(), TOPIC);
            topology.addProcessor("decode", () -> new Processor<byte[], byte[], Void, Void>() {
                private final PingDecoder decoder = new PingDecoder(registry);

                @Override
                public void process(Record<byte[], byte[]> record) {
                    try {
                        decoder.decode(record.value());
                    } catch (PingDecoder.RejectedException e) {
                        throw new IllegalStateException(e);
                    }
                    processed.incrementAndGet();
                }
            }, "pings");
            rates[r] = settings.pings()
                / timeStreams(topology, "bench-floor-" + (run++), processed::get, settings.pings(), true, false);
        }
        return Figure.of("Kafka Streams floor (decode only)", "pings/s", rates);
    }

    /** Engagement's real topology, until every ping is folded and committed. */
    public Figure engagementIngest() throws Exception {
        double[] rates = new double[settings.repetitions()];
        for (int r = 0; r < rates.length; r++) {
            String id = "bench-engagement-" + (run++);
            Map<String, String> overrides = new HashMap<>(Map.of("engagement.topic.pings", TOPIC,
                "engagement.topic.partials", id + "-partials", "engagement.topic.sketches", id + "-sketches",
                "engagement.topic.dead-letter", id + "-dead-letter", "engagement.topic.late", id + "-late",
                "engagement.flush-interval", settings.flushInterval(), "bootstrap.servers", kafka.bootstrapServers()));
            if (settings.downstreamInterval() != null) {
                overrides.put("engagement.downstream-interval", settings.downstreamInterval());
            }
            EngagementConfig runConfig = EngagementConfig.defaults(overrides);
            try (Admin admin = admin()) {
                Topics.ensure(admin, runConfig, settings.partitions(), (short) -1);
            }
            IngestCounters counters = new IngestCounters();
            Topology topology = EngagementTopology.build(runConfig, registry, counters, settings.partitions());
            rates[r] = settings.pings() / timeStreams(topology, id, counters::total, settings.pings(), true, false);
        }
        return Figure.of("Engagement ingest (fold + commit)", "pings/s", rates);
    }

    /**
     * What a user writes first with the DSL: re-key every ping to its (segment, day), repartition, and
     * aggregate with a sketch that is deserialized and serialized on every ping. Default caching.
     * Timed from its first aggregated ping until {@code naivePings} are aggregated: at a third of
     * Engagement's rate the whole topic would take half of a default run, and every (segment, day)
     * of the bench's pings exists within the first few hundred thousand, so its rate is steady by
     * then. Leaving its start-up out (a repartition topic, a rebalance) favours the baseline: the
     * ratio to it understates Engagement, whose time includes its start.
     */
    public Figure naiveBaseline() throws Exception {
        double[] rates = new double[settings.repetitions()];
        int lgK = config.lgK();
        for (int r = 0; r < rates.length; r++) {
            AtomicLong aggregated = new AtomicLong();
            StreamsBuilder builder = new StreamsBuilder();
            ThreadLocal<PingDecoder> decoders = ThreadLocal.withInitial(() -> new PingDecoder(registry));
            ThreadLocal<ValueCaps> caps = ThreadLocal.withInitial(() -> new ValueCaps(config.dimensions(), (d, v) -> { }));
            builder.stream(TOPIC, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .mapValues(bytes -> {
                    try {
                        return decoders.get().decode(bytes);
                    } catch (PingDecoder.RejectedException e) {
                        throw new IllegalStateException(e);
                    }
                })
                .selectKey((k, ping) -> Arrays.toString(caps.get().segmentOf(ping)) + "|" + PingRules.activityDay(ping))
                .mapValues(Ping::getClientId)
                .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
                .aggregate(() -> Sketches.toBytes(new Sketches(lgK).newLive()), (key, client, bytes) -> {
                    HllSketch sketch = HllSketch.heapify(bytes);
                    sketch.update(client);
                    aggregated.incrementAndGet();
                    return sketch.toCompactByteArray();
                }, Materialized.with(Serdes.String(), Serdes.ByteArray()));
            rates[r] = settings.naivePings() / timeStreams(builder.build(), "bench-naive-" + (run++), aggregated::get,
                settings.naivePings(), false, true);
        }
        return Figure.of("naive DSL baseline (repartition + serde per ping)", "pings/s", rates);
    }

    /** The in-memory fold (segment, key, live sketch lookup, HLL update) of decoded pings, no Kafka. */
    public Figure foldCore() {
        int n = (int) Math.min(settings.pings(), 2_000_000);
        BenchPings source = new BenchPings(settings.clients(), settings.segments(), 1);
        Random random = new Random(2);
        Ping[] pings = new Ping[n];
        for (int i = 0; i < n; i++) {
            pings[i] = source.ping(i, n, random);
        }
        Sketches sketches = new Sketches(config.lgK());
        double[] rates = new double[Math.max(3, settings.repetitions())];
        for (int r = -1; r < rates.length; r++) {
            // The fold processor's own per-ping path: segment id, live sketch, HLL update.
            SegmentIndex segments = new SegmentIndex(new ValueCaps(config.dimensions(), (d, v) -> { }));
            LiveSketches live = new LiveSketches(sketches);
            live.storedThrough(-1); // nothing stored: no reads on first touch
            LiveSketches.SegmentKeys keys = (day, segment) -> SegmentDayKey.of(day, segments.values(segment));
            long start = System.nanoTime();
            for (Ping ping : pings) {
                live.update(PingRules.activityDay(ping), segments.idOf(ping), keys, key -> null, ping.getClientId());
            }
            if (r >= 0) { // r = -1 is a warm-up
                rates[r] = n / seconds(start);
            }
        }
        return Figure.of("fold core, one thread (decode excluded)", "pings/s", rates);
    }

    /**
     * Runs a topology until {@code done} reaches {@code target} (and, when asked, the group's
     * committed offsets reach the end of the topic); returns the seconds it took from
     * {@code start()}, or from the first record done.
     */
    private double timeStreams(Topology topology, String applicationId, LongSupplier done, long target,
                               boolean committed, boolean fromFirstRecord) throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").resolve(applicationId).toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 1000);
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
        props.put("auto.offset.reset", "earliest");
        try (KafkaStreams streams = new KafkaStreams(topology, props)) {
            long start = System.nanoTime();
            streams.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            boolean started = !fromFirstRecord;
            while (done.getAsLong() < target || (committed && !allCommitted(applicationId))) {
                if (!started && done.getAsLong() > 0) {
                    started = true;
                    start = System.nanoTime();
                }
                if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                    throw new IllegalStateException(applicationId + " did not finish: " + done.getAsLong() + " of "
                        + target + ", state " + streams.state());
                }
                Thread.sleep(done.getAsLong() < target ? 5 : 20);
            }
            return seconds(start);
        }
    }

    private boolean allCommitted(String group) throws Exception {
        try (Admin admin = admin()) {
            return Topics.lag(admin, group, TOPIC, settings.partitions(), Duration.ofSeconds(30)).lag() == 0;
        }
    }

    private static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** Every figure, in the order of the report; each step's elapsed time goes to {@code progress}. */
    public List<Figure> runAll(java.io.PrintStream progress) throws Exception {
        List<Figure> figures = new ArrayList<>();
        long started = System.nanoTime();
        Step step = new Step(progress);
        step.begin(String.format("producing %,d pings to %d partitions", settings.pings(), settings.partitions()));
        prepare();
        step.begin("bare consumer");
        figures.add(bareConsumer());
        step.begin("Kafka Streams floor");
        figures.add(streamsFloor());
        step.begin("Engagement ingest");
        figures.add(engagementIngest());
        step.begin("naive DSL baseline");
        figures.add(naiveBaseline());
        step.begin("fold core");
        figures.add(foldCore());
        step.begin(String.format("queries and state on %,d segments a day over %d days", settings.querySegments(),
            settings.queryDays()));
        figures.addAll(QueryAndStateBench.queriesAndState(Files.createDirectories(workDir.resolve("query-store")),
            settings.querySegments(), settings.queryDays(), Math.max(10, settings.repetitions() * 10)));
        step.begin("accuracy");
        figures.addAll(QueryAndStateBench.accuracy(settings.accuracySegments(), 11));
        step.end();
        progress.printf("bench: done in %.0f s%n", seconds(started));
        return figures;
    }

    /** Prints each step as it starts, and how long the previous one took. */
    private static final class Step {
        private final java.io.PrintStream out;
        private String name;
        private long start;

        Step(java.io.PrintStream out) {
            this.out = out;
        }

        void begin(String next) {
            end();
            name = next;
            start = System.nanoTime();
            out.printf("bench: %s ...%n", next);
        }

        void end() {
            if (name != null) {
                out.printf("bench: %s took %.1f s%n", name, seconds(start));
                name = null;
            }
        }
    }

    @Override
    public void close() throws Exception {
        if (kafka != null) {
            kafka.close();
        }
        Directories.delete(workDir);
    }
}
