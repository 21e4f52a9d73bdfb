package dev.engagement.bench;

import dev.engagement.app.EngagementApp;
import dev.engagement.app.Topics;
import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.query.Answers;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.Metric;
import dev.engagement.query.PartitionQuery;
import dev.engagement.query.PeerClient;
import dev.engagement.query.QueryLimits;
import dev.engagement.query.QueryService;
import dev.engagement.registry.AvroWireSerializer;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.topology.EngagementTopology;
import dev.engagement.topology.IngestCounters;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * How fresh Engagement's answers are under a steady load: how long after the broker acknowledges a
 * ping a query counts its client.
 *
 * <p>Engagement runs as the product does ({@link EngagementApp#streamsConfig}: its commit interval
 * and stream threads; {@code --flush-interval} and {@code --downstream-interval} when given) on
 * fresh topics under a fresh application id, with a {@link QueryService} that answers in-process.
 * A paced producer sends the bench's population at a steady rate (half the Engagement ingest rate
 * measured earlier in the run, so that ingest keeps up), submitted now and active today. After a
 * {@value #WARM_UP_SECONDS} s warm-up, it interleaves {@value #MARKERS_PER_SECOND} marked pings a
 * second for the window: each a new client in a segment no other ping uses, so that the segment's DAU
 * grows by exactly one. A marker counts from the moment its send is acknowledged until a polling
 * thread (a real query every {@value #POLL_MILLIS} ms) first sees that DAU reach its number.
 *
 * <p>Markers go round-robin to the partitions, each partition with segments of its own
 * ({@code app_name} {@code bench-freshness-p<partition>-<n>}; as the first of the default dimensions,
 * a query reads only their keys). A partition is read in order, so there its segment's count reaching k means its
 * first k markers are visible. A segment takes at most {@value #MARKERS_PER_SEGMENT} markers: at lgK
 * 12 the sketch is in its exact (list or set) mode up to about 390 clients, and a query's estimate
 * rounds to the true count (checked for 1 to 392 clients, split across four partitions and merged as
 * queries merge them). New {@code app_name} values are admitted: a fresh run's caps
 * ({@code engagement.dimension.max-values}, 1000 per partition by default) hold the population's 3
 * and a marker segment per {@value #MARKERS_PER_SEGMENT} markers.
 */
final class FreshnessBench {

    static final int MARKERS_PER_SECOND = 10;
    static final int MARKERS_PER_SEGMENT = 200;
    static final int WARM_UP_SECONDS = 2;
    static final int POLL_MILLIS = 3;
    private static final String MARKER_DIMENSION = "app_name";
    private static final PeerClient NO_PEERS = (host, query, partitions, maxGroups) -> {
        throw new IllegalStateException("the bench runs one instance: no peers to ask");
    };

    private final String bootstrapServers;
    private final Admin admin;
    private final SchemaRegistry registry;
    private final Path stateDir;
    private final IngestBench.Settings settings;
    private final int partitions;

    FreshnessBench(String bootstrapServers, Admin admin, SchemaRegistry registry, Path stateDir,
                   IngestBench.Settings settings) {
        this.bootstrapServers = bootstrapServers;
        this.admin = admin;
        this.registry = registry;
        this.stateDir = stateDir;
        this.settings = settings;
        this.partitions = settings.partitions();
    }

    /**
     * Runs Engagement under {@code pingsPerSecond} of load for the warm-up and the marked window.
     *
     * @throws IllegalStateException when a marker is not counted within a minute of the window's end,
     *                               or Engagement stops or rejects a ping
     */
    IngestBench.Freshness run(double pingsPerSecond, PrintStream progress) throws Exception {
        String id = "bench-freshness";
        Map<String, String> overrides = new HashMap<>(Map.of("engagement.topic.pings", id + "-pings",
            "engagement.topic.partials", id + "-partials", "engagement.topic.sketches", id + "-sketches",
            "engagement.topic.dead-letter", id + "-dead-letter", "engagement.topic.late", id + "-late",
            "engagement.topic.partitions", Integer.toString(partitions),
            "engagement.http.port", "0", // no application.server: this instance answers alone
            "bootstrap.servers", bootstrapServers));
        IngestBench.putIfGiven(overrides, "engagement.flush-interval", settings.flushInterval());
        IngestBench.putIfGiven(overrides, "engagement.downstream-interval", settings.downstreamInterval());
        EngagementConfig config = EngagementConfig.defaults(overrides);
        if (!config.dimensionNames().contains(MARKER_DIMENSION)) {
            throw new IllegalStateException("the freshness run marks segments by " + MARKER_DIMENSION
                + ", which is not a dimension: " + config.dimensionNames());
        }
        Topics.ensure(admin, config, partitions, (short) -1);
        Properties props = EngagementApp.streamsConfig(config);
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, id);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(id).toString());
        long commitIntervalMs = IngestBench.productCommitIntervalMs(props);
        Object threadsValue = props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG);
        int threads = threadsValue == null ? 1 : Integer.parseInt(threadsValue.toString());
        progress.printf("bench: freshness run with commit.interval.ms=%d and %s (the product's defaults)%n",
            commitIntervalMs, IngestBench.threadsLabel(threads));

        IngestCounters counters = new IngestCounters();
        KafkaStreams streams = new KafkaStreams(EngagementTopology.build(config, registry, counters, partitions), props);
        QueryLimits limits = QueryLimits.of(config.query());
        try (QueryService queries = new QueryService(streams, EngagementTopology.SKETCH_STORE, config.pingsTopic(),
            partitions, null, NO_PEERS, new PartitionQuery(config.dimensionNames(), config.lgK(),
            config.query().cacheEntries()), new Answers(config.lgK(), limits))) {
            streams.start();
            awaitRunning(streams, Duration.ofMinutes(1));
            Markers markers = new Markers(settings.freshnessSeconds() * MARKERS_PER_SECOND, partitions,
                LocalDate.now(ZoneOffset.UTC));
            Poller poller = new Poller(queries, markers);
            Thread polling = new Thread(poller, "bench-freshness-poll");
            polling.setDaemon(true);
            polling.start();
            double producedRate;
            try {
                producedRate = produce(config.pingsTopic(), pingsPerSecond, markers, streams, counters, progress);
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
                while (!markers.allSeen()) {
                    if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                        throw new IllegalStateException(String.format("freshness: %d of %d markers counted a minute"
                                + " after the window (streams %s, %d pings read, %d rejected, %d late; last query error:"
                                + " %s)", markers.seenCount(), markers.sent.get(), streams.state(), counters.total(),
                            counters.deadLetteredTotal(), counters.late(), poller.lastError.get()));
                    }
                    Thread.sleep(20);
                }
            } finally {
                poller.stop = true;
                polling.join(TimeUnit.SECONDS.toMillis(10));
            }
            if (poller.overcounted) {
                throw new IllegalStateException("freshness: " + poller.lastError.get());
            }
            if (counters.deadLetteredTotal() > 0 || counters.late() > 0) {
                throw new IllegalStateException("freshness: " + counters.deadLetteredTotal() + " pings rejected and "
                    + counters.late() + " late: the run's pings must all be valid");
            }
            double[] latencies = markers.latenciesMillis();
            if (latencies.length == 0) {
                throw new IllegalStateException("freshness: no marker was sent in the window");
            }
            return new IngestBench.Freshness(pingsPerSecond, producedRate, latencies.length, percentile(latencies, 50),
                percentile(latencies, 95), percentile(latencies, 99), latencies[latencies.length - 1],
                commitIntervalMs, threads, settings.freshnessSeconds());
        } finally {
            streams.close(IngestBench.leavingGroup());
        }
    }

    private static void awaitRunning(KafkaStreams streams, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (streams.state() != KafkaStreams.State.RUNNING) {
            if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
                throw new IllegalStateException("freshness: streams not RUNNING after " + timeout + ": " + streams.state());
            }
            Thread.sleep(10);
        }
    }

    /**
     * Sends the population at {@code pingsPerSecond} through the warm-up and the window, and the
     * markers on schedule during the window; returns the rate produced over the window.
     */
    private double produce(String topic, double pingsPerSecond, Markers markers, KafkaStreams streams,
                           IngestCounters counters, PrintStream progress) throws Exception {
        BenchPings population = new BenchPings(settings.clients(), settings.segments(), 1);
        AvroWireSerializer<Ping> serializer = new AvroWireSerializer<>(registry, Ping.getClassSchema());
        Random random = new Random(4);
        AtomicReference<Exception> failed = new AtomicReference<>();
        long markerIntervalNanos = TimeUnit.SECONDS.toNanos(1) / MARKERS_PER_SECOND;
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.<String, Object>of(
            "bootstrap.servers", bootstrapServers, "compression.type", "lz4", "linger.ms", 5,
            "batch.size", 262_144, "acks", "all"), new ByteArraySerializer(), new ByteArraySerializer())) {
            long start = System.nanoTime();
            long windowStart = start + TimeUnit.SECONDS.toNanos(WARM_UP_SECONDS);
            long end = windowStart + TimeUnit.SECONDS.toNanos(settings.freshnessSeconds());
            long sent = 0;
            long sentAtWindowStart = -1;
            long lastProgress = start;
            for (long now = start; now < end; now = System.nanoTime()) {
                long due = (long) ((now - start) / 1e9 * pingsPerSecond);
                for (; sent < due; sent++) {
                    Instant at = Instant.now();
                    Ping ping = population.pingAt(random, at, markers.day);
                    producer.send(new ProducerRecord<>(topic, null, at.toEpochMilli(),
                        ping.getClientId().getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, ping)),
                        (metadata, e) -> {
                            if (e != null) {
                                failed.compareAndSet(null, e);
                            }
                        });
                }
                if (now >= windowStart) {
                    if (sentAtWindowStart < 0) {
                        sentAtWindowStart = sent;
                    }
                    int k = markers.sent.get();
                    if (k < markers.count() && now >= windowStart + k * markerIntervalNanos) {
                        sendMarker(producer, serializer, topic, markers, k, failed);
                    }
                }
                if (failed.get() != null) {
                    throw new IllegalStateException("freshness: a send failed", failed.get());
                }
                if (streams.state() == KafkaStreams.State.ERROR) {
                    throw new IllegalStateException("freshness: streams stopped on an error");
                }
                if (now - lastProgress > TimeUnit.SECONDS.toNanos(5)) {
                    lastProgress = now;
                    progress.printf("bench: freshness: %,d pings sent, %,d read, %d of %d markers counted%n",
                        sent, counters.total(), markers.seenCount(), markers.sent.get());
                }
                LockSupport.parkNanos(200_000);
            }
            producer.flush();
            if (failed.get() != null) {
                throw new IllegalStateException("freshness: a send failed", failed.get());
            }
            return (sent - sentAtWindowStart) / (settings.freshnessSeconds() + 0.0);
        }
    }

    private static void sendMarker(KafkaProducer<byte[], byte[]> producer, AvroWireSerializer<Ping> serializer,
                                   String topic, Markers markers, int k, AtomicReference<Exception> failed) {
        Instant at = Instant.now();
        String client = "bench-freshness-marker-" + k;
        Ping ping = BenchPings.outsider(client, markers.segment(k), at, markers.day);
        markers.sent.incrementAndGet();
        producer.send(new ProducerRecord<>(topic, markers.partition(k), at.toEpochMilli(),
            client.getBytes(StandardCharsets.UTF_8), serializer.serialize(topic, ping)), (metadata, e) -> {
                if (e != null) {
                    failed.compareAndSet(null, e);
                } else {
                    markers.acked.set(k, System.nanoTime());
                }
            });
    }

    /** {@code sorted}'s nearest-rank percentile. */
    static double percentile(double[] sorted, int percentile) {
        return sorted[Math.max(0, Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1))];
    }

    /**
     * The marked pings: marker {@code k} goes to partition {@code k % partitions}, where it is number
     * {@code k / partitions} in order; a partition's markers fill its segments
     * {@value #MARKERS_PER_SEGMENT} at a time. Times are {@link System#nanoTime()}, 0 until known.
     */
    private static final class Markers {
        final LocalDate day;
        final AtomicInteger sent = new AtomicInteger();
        final AtomicLongArray acked;
        final AtomicLongArray seen;
        private final int partitions;

        Markers(int count, int partitions, LocalDate day) {
            this.day = day;
            this.partitions = partitions;
            this.acked = new AtomicLongArray(count);
            this.seen = new AtomicLongArray(count);
        }

        /** Room for markers: {@link #MARKERS_PER_SECOND} a second of the window. */
        int count() {
            return seen.length();
        }

        int partition(int k) {
            return k % partitions;
        }

        /** The segment value ({@code app_name}) of a partition's {@code group}-th marker segment. */
        String segment(int partition, int group) {
            return "bench-freshness-p" + partition + "-" + group;
        }

        String segment(int k) {
            return segment(partition(k), (k / partitions) / MARKERS_PER_SEGMENT);
        }

        /** The marker that is number {@code index} (from 0) in its partition. */
        int marker(int partition, int index) {
            return index * partitions + partition;
        }

        int seenCount() {
            int n = 0;
            for (int k = 0; k < sent.get(); k++) {
                n += seen.get(k) != 0 ? 1 : 0;
            }
            return n;
        }

        /** Every marker sent is acknowledged and seen. */
        boolean allSeen() {
            for (int k = 0; k < sent.get(); k++) {
                if (seen.get(k) == 0 || acked.get(k) == 0) {
                    return false;
                }
            }
            return true;
        }

        /** Seen minus acknowledged of every marker sent, ms, sorted. */
        double[] latenciesMillis() {
            double[] out = new double[sent.get()];
            for (int k = 0; k < out.length; k++) {
                out[k] = (seen.get(k) - acked.get(k)) / 1e6;
            }
            Arrays.sort(out);
            return out;
        }
    }

    /**
     * Queries, every {@value #POLL_MILLIS} ms, the DAU of each partition's current and next marker
     * segment on the markers' day, in one query grouped by segment; marks the markers whose number
     * the count reached as seen at the moment the answer came back.
     */
    private static final class Poller implements Runnable {
        private final QueryService queries;
        private final Markers markers;
        /** Per partition: how many of its markers, in order, have been seen. */
        private final int[] next;
        volatile boolean stop;
        /** A segment counted more clients than were sent to it: the latencies cannot be trusted. */
        volatile boolean overcounted;
        final AtomicReference<String> lastError = new AtomicReference<>();

        Poller(QueryService queries, Markers markers) {
            this.queries = queries;
            this.markers = markers;
            this.next = new int[markers.partitions];
        }

        @Override
        public void run() {
            while (!stop) {
                Map<String, int[]> wanted = wanted();
                if (!wanted.isEmpty()) {
                    try {
                        EngagementAnswer answer = queries.query(new EngagementQuery(markers.day, markers.day,
                            EnumSet.of(Metric.DAU), List.of(MARKER_DIMENSION),
                            Map.of(MARKER_DIMENSION, Set.copyOf(wanted.keySet()))));
                        long now = System.nanoTime();
                        for (EngagementAnswer.Row row : answer.rows()) {
                            int[] partitionAndGroup = wanted.get(row.group().get(MARKER_DIMENSION));
                            if (partitionAndGroup != null && row.day().equals(markers.day)) {
                                seen(partitionAndGroup[0], partitionAndGroup[1], Math.round(row.dauClients()), now);
                            }
                        }
                    } catch (RuntimeException e) {
                        lastError.set(e.toString()); // e.g. a rebalance: the next poll retries
                    }
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(POLL_MILLIS));
            }
        }

        /** For each partition with markers sent but not seen: its current and next segment. */
        private Map<String, int[]> wanted() {
            int sent = markers.sent.get();
            Map<String, int[]> wanted = new HashMap<>();
            for (int p = 0; p < next.length; p++) {
                if (markers.marker(p, next[p]) < sent) {
                    int group = next[p] / MARKERS_PER_SEGMENT;
                    wanted.put(markers.segment(p, group), new int[] {p, group});
                    wanted.put(markers.segment(p, group + 1), new int[] {p, group + 1});
                }
            }
            return wanted;
        }

        /** Segment {@code group} of {@code partition} counts {@code count} clients: its first {@code count} markers are in. */
        private void seen(int partition, int group, long count, long now) {
            int first = group * MARKERS_PER_SEGMENT;
            int sent = markers.sent.get();
            int sentHere = 0;
            for (int index = first; index < first + MARKERS_PER_SEGMENT && markers.marker(partition, index) < sent; index++) {
                sentHere++;
            }
            if (count > sentHere) {
                overcounted = true; // markers would be taken as seen before they were sent
                lastError.set(markers.segment(partition, group) + " counts " + count + " clients, but " + sentHere
                    + " were sent: the DAU estimate is not exact at this size");
            }
            for (int index = first; index < first + Math.min(count, MARKERS_PER_SEGMENT); index++) {
                int k = markers.marker(partition, index);
                if (k < markers.count()) {
                    markers.seen.compareAndSet(k, 0, now);
                }
            }
            while (markers.marker(partition, next[partition]) < markers.count()
                && markers.seen.get(markers.marker(partition, next[partition])) != 0) {
                next[partition]++;
            }
        }
    }
}
