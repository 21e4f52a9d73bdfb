package dev.engagement.bench;

import dev.engagement.app.Directories;
import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementApp;
import dev.engagement.app.KnownNoise;
import dev.engagement.app.Topics;
import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.SegmentIndex;
import dev.engagement.ping.ValueCaps;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.registry.PingDecoder;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.LiveSketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.topology.EngagementTopology;
import dev.engagement.topology.IngestCounters;

import com.sun.management.OperatingSystemMXBean;
import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.PrintStream;
import java.lang.management.ManagementFactory;
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
 * ping), and the in-memory fold core; then the freshness of Engagement's answers under a steady load
 * ({@code FreshnessBench}), and query, state and accuracy figures ({@code QueryAndStateBench}).
 *
 * <p><b>Same terms for every Kafka Streams run.</b> The floor, Engagement and the naive baseline use
 * the same {@code commit.interval.ms}: the product's default ({@link EngagementApp#streamsConfig}),
 * unless {@link Settings#commitInterval()} overrides it; and the same number of stream threads. With
 * {@link Settings#threads()} they run with that many threads; without it, once with one thread and
 * once with the product's default {@code num.stream.threads} (only once when that is one). The naive
 * baseline otherwise keeps the untuned configuration a user starts with (record caching on).
 *
 * <p><b>Timing.</b> The floor and Engagement are timed from {@code start()} until every ping is
 * processed and {@code close()} has returned: close commits, so the window holds every commit's
 * work (for Engagement: writing its changed sketches), yet does not wait for the next commit tick,
 * which with a long commit interval would round every figure up to it. The committed offsets are
 * then checked to cover the whole topic. The naive baseline is timed from its first aggregated ping
 * until {@link Settings#naivePings()} are aggregated (see {@link #naiveBaseline}). Each figure is the
 * median of the repetitions.
 *
 * <p><b>CPU.</b> Beside each rate, the process's CPU time over exactly the timed interval
 * ({@code OperatingSystemMXBean.getProcessCpuTime()}), per million pings. The broker runs in this
 * JVM, so its CPU (serving fetches; for Streams runs, their commits and internal topics too) is in
 * every figure alike, as are GC and JIT threads.
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

    /** What an ingest figure measures. */
    public enum Kind {
        BARE_CONSUMER("bare consumer (decode only)"),
        STREAMS_FLOOR("Kafka Streams floor (decode only)"),
        ENGAGEMENT("Engagement ingest (fold + commit)"),
        NAIVE("naive DSL baseline (repartition + serde per ping)"),
        FOLD_CORE("fold core (decode excluded)");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** The figure's name, without its thread count. */
        public String label() {
            return label;
        }
    }

    /** The unit of {@link Ingest#rate()}. */
    public static final String RATE_UNIT = "pings/s";
    /** The unit of {@link Ingest#cpu()}: process CPU seconds per million pings. */
    public static final String CPU_UNIT = "CPU s / M pings";
    /** Days in the query store by default ({@code bench --query-days}). */
    public static final int DEFAULT_QUERY_DAYS = 60;

    /**
     * One ingest figure over the repetitions: the rate, and the process CPU time per million pings
     * over the same timed intervals (median, min and max of each, taken separately).
     *
     * @param threads stream threads; 1 for the bare consumer and the fold core
     */
    public record Ingest(Kind kind, int threads, Figure rate, Figure cpu) {

        static Ingest of(Kind kind, int threads, Sample[] samples) {
            String name = kind.label() + ", " + threadsLabel(threads);
            return new Ingest(kind, threads,
                Figure.of(name, RATE_UNIT, Arrays.stream(samples).mapToDouble(Sample::rate).toArray()),
                Figure.of(name + ", CPU", CPU_UNIT, Arrays.stream(samples).mapToDouble(Sample::cpuPerMillion).toArray()));
        }

        /** The figure's name, with its thread count. */
        public String name() {
            return rate.name();
        }
    }

    /**
     * Engagement's freshness under load: how long after the broker acknowledged a marked ping its
     * client is counted by a query ({@code FreshnessBench}).
     *
     * @param offeredRate      pings/s the paced producer aimed at (half the 1-thread Engagement median)
     * @param producedRate     pings/s it produced, over the marked window
     * @param markers          marked pings, each seen by a query
     * @param p50Ms            median of (seen - acknowledged), ms
     * @param p95Ms            95th percentile, ms
     * @param p99Ms            99th percentile, ms
     * @param maxMs            largest, ms
     * @param commitIntervalMs {@code commit.interval.ms} of the run (the product's default)
     * @param threads          stream threads of the run (the product's default)
     * @param seconds          length of the marked window
     */
    public record Freshness(double offeredRate, double producedRate, int markers, double p50Ms, double p95Ms,
                            double p99Ms, double maxMs, long commitIntervalMs, int threads, int seconds) {

        /** As a figure of the query table: p50, p95 and p99 in the median, min and max columns. */
        public Figure figure() {
            return new Figure("freshness: acked ping to counted by a query", "ms (p50, p95, p99)", p50Ms, p95Ms, p99Ms);
        }
    }

    /**
     * Everything a run measured.
     *
     * @param commitIntervalMs        {@code commit.interval.ms} of every Streams ingest run
     * @param productCommitIntervalMs the product's default
     * @param threadCounts            stream threads of the Streams ingest runs, in run order
     * @param productThreads          the product's default {@code num.stream.threads}
     * @param ingest                  ingest figures, in run order
     * @param freshness               the freshness figure
     * @param queriesAndState         query latency, state size, memory and accuracy figures
     */
    public record Report(long commitIntervalMs, long productCommitIntervalMs, List<Integer> threadCounts,
                         int productThreads, List<Ingest> ingest, Freshness freshness, List<Figure> queriesAndState) {

        /** The ingest figure of a kind at a thread count. */
        public Ingest ingest(Kind kind, int threads) {
            return ingest.stream().filter(i -> i.kind() == kind && i.threads() == threads).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no " + kind + " figure at " + threads + " threads"));
        }

        /** The ingest figure of a kind that runs on one thread only (bare consumer, fold core). */
        public Ingest ingest(Kind kind) {
            return ingest(kind, 1);
        }
    }

    /**
     * What to measure.
     *
     * @param flushInterval      {@code engagement.flush-interval} for Engagement's runs, or null for the product's
     * @param downstreamInterval {@code engagement.downstream-interval} for Engagement's runs, or null for the product's
     * @param commitInterval     {@code commit.interval.ms} of every Streams ingest run, or null for the product's
     * @param threads            stream threads of every Streams ingest run, or 0 for one and the product's default
     * @param freshnessSeconds   length of the freshness run's marked window
     */
    public record Settings(long pings, int partitions, int clients, int segments, int repetitions,
                           long naivePings, String flushInterval, String downstreamInterval, Duration commitInterval,
                           int threads, int freshnessSeconds, int querySegments, int queryDays, int accuracySegments) {
    }

    /** One timed interval: pings handled, wall-clock seconds, and process CPU seconds. */
    record Sample(long pings, double seconds, double cpuSeconds) {

        double rate() {
            return pings / seconds;
        }

        double cpuPerMillion() {
            return cpuSeconds / pings * 1e6;
        }
    }

    /** The start of a timed interval, on the wall clock and on the process's CPU clock. */
    record Span(long wallNanos, long cpuNanos) {

        static Span start() {
            return new Span(System.nanoTime(), processCpuNanos());
        }

        Sample end(long pings) {
            long cpu = processCpuNanos();
            return new Sample(pings, seconds(wallNanos), (cpu - cpuNanos) / 1e9);
        }
    }

    private static final String TOPIC = "bench-pings";
    private static final OperatingSystemMXBean OS =
        (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Settings settings;
    private final Path workDir;
    private final EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry();
    private final EngagementConfig config;
    private final long productCommitIntervalMs;
    private final int productThreads;
    private EmbeddedKafka kafka;
    private Admin admin;
    private int run;

    public IngestBench(Settings settings) throws Exception {
        this.settings = settings;
        this.config = EngagementConfig.defaults(Map.of("engagement.topic.pings", TOPIC,
            "engagement.topic.partitions", Integer.toString(settings.partitions())));
        Properties product = EngagementApp.streamsConfig(config);
        this.productCommitIntervalMs = productCommitIntervalMs(product);
        Object threads = product.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG);
        this.productThreads = threads == null ? 1 : Integer.parseInt(threads.toString());
        this.workDir = Files.createTempDirectory("engagement-bench");
        KnownNoise.throwaway(workDir); // deleted after the run: the OS cleaning the temp dir is no concern
    }

    /** The product's {@code commit.interval.ms}; Kafka Streams' own default when it sets none. */
    static long productCommitIntervalMs(Properties product) {
        Object value = product.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        if (value == null) {
            value = StreamsConfig.configDef().defaultValues().get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG);
        }
        return Long.parseLong(value.toString());
    }

    /** {@code commit.interval.ms} of every Streams ingest run: the override, else the product's default. */
    public long commitIntervalMs() {
        return settings.commitInterval() != null ? settings.commitInterval().toMillis() : productCommitIntervalMs;
    }

    /** Stream threads of the Streams ingest runs, in run order: the given count, else 1 and the product's. */
    public List<Integer> threadCounts() {
        if (settings.threads() > 0) {
            return List.of(settings.threads());
        }
        return productThreads == 1 ? List.of(1) : List.of(1, productThreads);
    }

    /** Starts the broker and produces the pings (lz4, keyed by client). */
    public void prepare() throws Exception {
        kafka = EmbeddedKafka.start(workDir.resolve("kafka"), false);
        admin = Admin.create(Map.<String, Object>of("bootstrap.servers", kafka.bootstrapServers()));
        admin.createTopics(List.of(new NewTopic(TOPIC, settings.partitions(), (short) 1))).all().get();
        Topics.awaitLeaders(admin, List.of(TOPIC), Duration.ofSeconds(30));
        new BenchPings(settings.clients(), settings.segments(), 1).produce(kafka.bootstrapServers(), registry, TOPIC, settings.pings());
    }

    /** A plain consumer that reads and decodes every ping. */
    public Ingest bareConsumer() {
        Sample[] samples = new Sample[settings.repetitions()];
        for (int r = 0; r < samples.length; r++) {
            PingDecoder decoder = new PingDecoder(registry);
            Span span = Span.start();
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
            samples[r] = span.end(settings.pings());
        }
        return Ingest.of(Kind.BARE_CONSUMER, 1, samples);
    }

    /** Kafka Streams, one processor that decodes each ping and does nothing else. */
    public Ingest streamsFloor(int threads) throws Exception {
        Sample[] samples = new Sample[settings.repetitions()];
        for (int r = 0; r < samples.length; r++) {
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
            samples[r] = timeStreams(topology, "bench-floor-" + (run++), threads, processed::get, settings.pings(),
                Window.START_TO_CLOSE);
        }
        return Ingest.of(Kind.STREAMS_FLOOR, threads, samples);
    }

    /** Engagement's real topology, until every ping is folded and committed. */
    public Ingest engagementIngest(int threads) throws Exception {
        Sample[] samples = new Sample[settings.repetitions()];
        for (int r = 0; r < samples.length; r++) {
            String id = "bench-engagement-" + (run++);
            Map<String, String> overrides = new HashMap<>(Map.of("engagement.topic.pings", TOPIC,
                "engagement.topic.partials", id + "-partials", "engagement.topic.sketches", id + "-sketches",
                "engagement.topic.dead-letter", id + "-dead-letter", "engagement.topic.late", id + "-late",
                "bootstrap.servers", kafka.bootstrapServers()));
            putIfGiven(overrides, "engagement.flush-interval", settings.flushInterval());
            putIfGiven(overrides, "engagement.downstream-interval", settings.downstreamInterval());
            EngagementConfig runConfig = EngagementConfig.defaults(overrides);
            Topics.ensure(admin, runConfig, settings.partitions(), (short) -1);
            IngestCounters counters = new IngestCounters();
            Topology topology = EngagementTopology.build(runConfig, registry, counters, settings.partitions());
            samples[r] = timeStreams(topology, id, threads, counters::total, settings.pings(), Window.START_TO_CLOSE);
        }
        return Ingest.of(Kind.ENGAGEMENT, threads, samples);
    }

    static void putIfGiven(Map<String, String> overrides, String key, String value) {
        if (value != null) {
            overrides.put(key, value);
        }
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
    public Ingest naiveBaseline(int threads) throws Exception {
        Sample[] samples = new Sample[settings.repetitions()];
        int lgK = config.lgK();
        for (int r = 0; r < samples.length; r++) {
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
                // Named, so that Kafka Streams does not warn about generated names of internal topics and stores.
                .groupByKey(Grouped.with("naive-by-segment-day", Serdes.String(), Serdes.String()))
                .aggregate(() -> Sketches.toBytes(new Sketches(lgK).newLive()), (key, client, bytes) -> {
                    HllSketch sketch = HllSketch.heapify(bytes);
                    sketch.update(client);
                    aggregated.incrementAndGet();
                    return sketch.toCompactByteArray();
                }, Materialized.<String, byte[], KeyValueStore<Bytes, byte[]>>as("naive-sketches")
                    .withKeySerde(Serdes.String()).withValueSerde(Serdes.ByteArray()));
            samples[r] = timeStreams(builder.build(), "bench-naive-" + (run++), threads, aggregated::get,
                settings.naivePings(), Window.FIRST_TO_TARGET);
        }
        return Ingest.of(Kind.NAIVE, threads, samples);
    }

    /** The in-memory fold (segment, key, live sketch lookup, HLL update) of decoded pings, no Kafka. */
    public Ingest foldCore() {
        int n = (int) Math.min(settings.pings(), 2_000_000);
        BenchPings source = new BenchPings(settings.clients(), settings.segments(), 1);
        Random random = new Random(2);
        Ping[] pings = new Ping[n];
        for (int i = 0; i < n; i++) {
            pings[i] = source.ping(i, n, random);
        }
        Sketches sketches = new Sketches(config.lgK());
        Sample[] samples = new Sample[Math.max(3, settings.repetitions())];
        for (int r = -1; r < samples.length; r++) {
            // The fold processor's own per-ping path: segment id, live sketch, HLL update.
            SegmentIndex segments = new SegmentIndex(new ValueCaps(config.dimensions(), (d, v) -> { }));
            LiveSketches live = new LiveSketches(sketches);
            live.storedThrough(-1); // nothing stored: no reads on first touch
            LiveSketches.SegmentKeys keys = (day, segment) -> SegmentDayKey.of(day, segments.values(segment));
            Span span = Span.start();
            for (Ping ping : pings) {
                live.update(PingRules.activityDay(ping), segments.idOf(ping), keys, key -> null, ping.getClientId());
            }
            if (r >= 0) { // r = -1 is a warm-up
                samples[r] = span.end(n);
            }
        }
        return Ingest.of(Kind.FOLD_CORE, 1, samples);
    }

    /** Where a Streams run's timed interval starts and ends. */
    private enum Window {
        /** From {@code start()} until every record is done and {@code close()} (which commits) returned. */
        START_TO_CLOSE,
        /** From the first record done until the target is done. */
        FIRST_TO_TARGET
    }

    /**
     * Runs a topology with {@link #commitIntervalMs()} and {@code threads} stream threads until
     * {@code done} reaches {@code target}, and times it over {@code window}. A {@code START_TO_CLOSE}
     * run must leave the group's committed offsets at the end of the topic.
     */
    private Sample timeStreams(Topology topology, String applicationId, int threads, LongSupplier done, long target,
                               Window window) throws Exception {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        props.put(StreamsConfig.STATE_DIR_CONFIG, workDir.resolve("state").resolve(applicationId).toString());
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs());
        props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, threads);
        props.put("auto.offset.reset", "earliest");
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true); // as EngagementApp does
        KafkaStreams streams = new KafkaStreams(topology, props);
        try {
            Span span = Span.start();
            streams.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            boolean started = window == Window.START_TO_CLOSE;
            while (done.getAsLong() < target) {
                if (!started && done.getAsLong() > 0) {
                    started = true;
                    span = Span.start();
                }
                if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                    throw new IllegalStateException(applicationId + " did not finish: " + done.getAsLong() + " of "
                        + target + ", state " + streams.state());
                }
                Thread.sleep(5);
            }
            if (window == Window.FIRST_TO_TARGET) {
                return span.end(target);
            }
            if (!streams.close(leavingGroup())) {
                throw new IllegalStateException(applicationId + " did not close within a minute");
            }
            Sample sample = span.end(target);
            long lag = Topics.lag(admin, applicationId, TOPIC, settings.partitions(), Duration.ofSeconds(30)).lag();
            if (lag != 0) {
                throw new IllegalStateException(applicationId + " closed with " + lag + " pings not committed");
            }
            return sample;
        } finally {
            streams.close(leavingGroup()); // returns at once when already closed
        }
    }

    /**
     * Close options that leave the consumer group, as the product's close does: a short run can end
     * while a second thread's join is still pending, and a member that stays would hold that join
     * (and so the close) until its session times out.
     */
    static CloseOptions leavingGroup() {
        return CloseOptions.timeout(Duration.ofMinutes(1))
            .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP);
    }

    static double seconds(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** CPU time of every thread of this process, in nanoseconds. */
    static long processCpuNanos() {
        return OS.getProcessCpuTime();
    }

    /** "1 thread", "2 threads". */
    public static String threadsLabel(int threads) {
        return threads == 1 ? "1 thread" : threads + " threads";
    }

    /** Every figure, in the order of the report; each step's elapsed time goes to {@code progress}. */
    public Report runAll(PrintStream progress) throws Exception {
        long started = System.nanoTime();
        List<Integer> threadCounts = threadCounts();
        progress.printf("bench: Kafka Streams ingest runs use commit.interval.ms=%d (%s), stream threads: %s"
                + " (product default: %d)%n", commitIntervalMs(),
            settings.commitInterval() == null ? "the product default" : "--commit-interval",
            String.join(" and ", threadCounts.stream().map(String::valueOf).toList()), productThreads);
        Step step = new Step(progress);
        step.begin(String.format("producing %,d pings to %d partitions", settings.pings(), settings.partitions()));
        prepare();
        List<Ingest> ingest = new ArrayList<>();
        step.begin("bare consumer");
        ingest.add(bareConsumer());
        for (int threads : threadCounts) {
            step.begin("Kafka Streams floor, " + threadsLabel(threads));
            ingest.add(streamsFloor(threads));
            step.begin("Engagement ingest, " + threadsLabel(threads));
            ingest.add(engagementIngest(threads));
            step.begin("naive DSL baseline, " + threadsLabel(threads));
            ingest.add(naiveBaseline(threads));
        }
        step.begin("fold core");
        ingest.add(foldCore());
        double engagementRate = ingest.stream().filter(i -> i.kind() == Kind.ENGAGEMENT).findFirst()
            .orElseThrow().rate().median();
        step.begin(String.format("freshness: %d s at %,.0f pings/s (half the Engagement rate, %s)",
            settings.freshnessSeconds(), engagementRate / 2, threadsLabel(threadCounts.get(0))));
        Freshness freshness = new FreshnessBench(kafka.bootstrapServers(), admin, registry,
            workDir.resolve("state"), settings).run(engagementRate / 2, progress);
        step.begin(String.format("queries and state on %,d segments a day over %d days", settings.querySegments(),
            settings.queryDays()));
        List<Figure> others = new ArrayList<>(QueryAndStateBench.queriesAndState(
            Files.createDirectories(workDir.resolve("query-store")), settings.querySegments(), settings.queryDays(),
            Math.max(10, settings.repetitions() * 10)));
        step.begin("accuracy");
        others.addAll(QueryAndStateBench.accuracy(settings.accuracySegments(), 11));
        step.end();
        progress.printf("bench: done in %.0f s%n", seconds(started));
        return new Report(commitIntervalMs(), productCommitIntervalMs, threadCounts, productThreads, ingest, freshness,
            others);
    }

    /** Prints each step as it starts, and how long the previous one took. */
    private static final class Step {
        private final PrintStream out;
        private String name;
        private long start;

        Step(PrintStream out) {
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
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
        }
        if (kafka != null) {
            kafka.close();
        }
        Directories.delete(workDir);
    }
}
