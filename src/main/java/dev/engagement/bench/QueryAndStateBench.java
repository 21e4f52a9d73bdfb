package dev.engagement.bench;

import dev.engagement.app.Directories;
import dev.engagement.app.ProcessMemory;
import dev.engagement.ping.Days;
import dev.engagement.query.Answers;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.Metric;
import dev.engagement.query.PartitionQuery;
import dev.engagement.query.PartitionReader;
import dev.engagement.query.QueryLimits;
import dev.engagement.query.ReleaseAnswer;
import dev.engagement.query.ReleaseQuery;
import dev.engagement.query.Releases;
import dev.engagement.sketch.Estimate;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.SketchStore;
import dev.engagement.store.StandaloneSketchDb;
import dev.engagement.store.TaskMetadata;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.Stores;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Sections 6 to 8 of the benchmark: query latency on a RocksDB store laid out as the sketch store
 * ({@code segments} active segments a day over {@code days} days, one partition), state bytes per
 * segment-day, peak heap and RSS, and the accuracy of DAU and MAU against exact counts.
 */
final class QueryAndStateBench {

    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android", "iOS"};
    private static final List<String> DIMENSIONS = List.of("channel", "os", "country", "app_version");
    private static final LocalDate FIRST = LocalDate.of(2026, 8, 1);
    /** Versions of the releases figure (fewer in a store of 1,800 segments or fewer). */
    static final int RELEASE_VERSIONS = 3;

    private QueryAndStateBench() {
    }

    /** Fills the store, then times the queries; returns the figures in report order. */
    static List<IngestBench.Figure> queriesAndState(Path dir, int segments, int days, int runs)
        throws IOException {
        List<IngestBench.Figure> figures = new ArrayList<>();
        Sketches sketches = new Sketches(Sketches.DEFAULT_LG_K);
        long tinyBytes = 0;
        long tinyCount = 0;
        long largeBytes = 0;
        long largeCount = 0;
        // Open days live in a sketch store's memory, read as Interactive Queries read an active task.
        SketchStore live = SketchStore.over(Stores.inMemoryKeyValueStore("open-days").get(), sketches);
        live.init(null, null); // outside Kafka Streams: no context, nothing to register or restore
        live.loadFrom(0, key -> -1, 0);
        try (StandaloneSketchDb db = StandaloneSketchDb.open(dir)) {
            Random random = new Random(7);
            int closedThrough = Days.of(FIRST.plusDays(days - 4));
            for (int d = 0; d < days; d++) {
                int day = Days.of(FIRST.plusDays(d));
                Map<Bytes, byte[]> batch = new LinkedHashMap<>();
                for (int s = 0; s < segments; s++) {
                    int clients = s < 30 ? 5000 : 1 + random.nextInt(6);
                    HllSketch sketch = sketches.newLive();
                    String[] segment = segment(s);
                    for (int c = 0; c < clients; c++) {
                        String client = "c" + s + "-" + random.nextInt(clients * 3 + 1);
                        sketch.update(client);
                        if (day > closedThrough) { // open days live in memory, as in the product
                            live.update(day, s, (k, id) -> SegmentDayKey.of(k, segment(id)), client);
                        }
                    }
                    byte[] bytes = Sketches.toBytes(sketch);
                    if (clients <= 10) {
                        tinyBytes += bytes.length;
                        tinyCount++;
                    } else {
                        largeBytes += bytes.length;
                        largeCount++;
                    }
                    if (day <= closedThrough) {
                        batch.put(SegmentDayKey.of(day, segment), bytes);
                    }
                }
                db.putAll(batch);
            }
            db.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(closedThrough));
            db.settle();
            long disk = Directories.size(dir);
            figures.add(one("state: stored bytes, tiny segment-day (<= 10 clients)", "B", tinyBytes / (double) tinyCount));
            figures.add(one("state: stored bytes, large segment-day (5000 clients)", "B", largeBytes / (double) largeCount));
            figures.add(one("state: RocksDB bytes on disk per segment-day", "B",
                disk / (double) (segments * (long) (days - 3))));

            PartitionReader reader = new Reader(db, closedThrough, PartitionReader.over(0, live));
            LocalDate last = FIRST.plusDays(days - 1);
            QueryLimits limits = QueryLimits.DEFAULTS;
            Answers answers = new Answers(Sketches.DEFAULT_LG_K, limits);
            Map<String, Supplier<EngagementQuery>> queries = new LinkedHashMap<>();
            queries.put("28-day ER, one filter", () -> EngagementQuery.parse(Map.of("from", List.of(last.toString()),
                "to", List.of(last.toString()), "metrics", List.of("er"), "channel", List.of("release")), DIMENSIONS, limits));
            queries.put("multi-dimension filter", () -> EngagementQuery.parse(Map.of("from", List.of(last.toString()),
                "to", List.of(last.toString()), "channel", List.of("release"), "os", List.of("Linux,Darwin")), DIMENSIONS, limits));
            queries.put("group-by over 35 days", () -> EngagementQuery.parse(Map.of("from",
                List.of(last.minusDays(Math.min(34, days - 1)).toString()), "to", List.of(last.toString()),
                "groupBy", List.of("os")), DIMENSIONS, limits));
            queries.put("dimension listing (MAU by value)", () -> new EngagementQuery(last, last,
                EnumSet.of(Metric.MAU), List.of("country"), Map.of()));
            for (Map.Entry<String, Supplier<EngagementQuery>> q : queries.entrySet()) {
                EngagementQuery query = q.getValue().get();
                double[] cold = new double[Math.max(3, runs / 5)];
                for (int i = 0; i < cold.length; i++) {
                    PartitionQuery fresh = new PartitionQuery(DIMENSIONS, Sketches.DEFAULT_LG_K, 100_000);
                    long start = System.nanoTime();
                    answers.withoutGroupLimit().answer(query, List.of(fresh.answer(query, reader)), 1);
                    cold[i] = (System.nanoTime() - start) / 1e6;
                }
                PartitionQuery cached = new PartitionQuery(DIMENSIONS, Sketches.DEFAULT_LG_K, 100_000);
                answers.withoutGroupLimit().answer(query, List.of(cached.answer(query, reader)), 1);
                double[] warm = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long start = System.nanoTime();
                    answers.withoutGroupLimit().answer(query, List.of(cached.answer(query, reader)), 1);
                    warm[i] = (System.nanoTime() - start) / 1e6;
                }
                figures.add(percentiles("query cold: " + q.getKey(), cold));
                figures.add(percentiles("query warm: " + q.getKey(), warm));
            }
            figures.addAll(releases(reader, last, segments, days, runs));
        } finally {
            live.close();
        }
        figures.add(one("peak heap (all pools)", "MB", peakHeap() / 1048576.0));
        figures.add(one("peak RSS", "MB", ProcessMemory.peakRssBytes() / 1048576.0));
        return figures;
    }

    /**
     * {@code /v1/releases}' work for 3 versions x 28 ages with one filter ({@code channel=release}): the
     * three versions given release days two weeks apart, 55, 41 and 27 days before the last day (every
     * version is in the store from its first day, so none would be found later), so that the newest
     * one's 28 ages end on the open days. Cold: fresh closed-day and release-day caches; warm: repeated.
     */
    private static List<IngestBench.Figure> releases(PartitionReader reader, LocalDate last, int segments, int days,
                                                     int runs) {
        // Segments 0, 900 and 1800 carry v0, v1 and v2 (segment(s)); fewer in a smoke-sized store. Three at
        // most: a fourth (segment 2700, in any store of more than 2,700 segments) would get a release day 13
        // days before the last day, so only 14 ages.
        List<String> versions = new ArrayList<>();
        for (int s = 0; s < segments && versions.size() < RELEASE_VERSIONS; s += 900) {
            versions.add(segment(s)[3]);
        }
        Map<String, List<String>> params = new LinkedHashMap<>();
        params.put("channel", List.of("release"));
        params.put("versions", List.of(String.join(",", versions)));
        for (int i = 0; i < versions.size(); i++) {
            int age = releaseAge(i, days);
            params.put(ReleaseQuery.RELEASE_PREFIX + versions.get(i), List.of(last.minusDays(age).toString()));
        }
        ReleaseQuery query = ReleaseQuery.parse(params, DIMENSIONS, "app_version", QueryLimits.DEFAULTS);
        Answers answers = new Answers(Sketches.DEFAULT_LG_K, QueryLimits.DEFAULTS).withoutGroupLimit();
        Supplier<Releases> fresh = () -> {
            PartitionQuery pq = new PartitionQuery(DIMENSIONS, Sketches.DEFAULT_LG_K, 100_000);
            return new Releases(q -> answers.answer(q, List.of(pq.answer(q, reader)), 1), () -> last, "app_version",
                100, 400, QueryLimits.DEFAULTS.lowSampleClients());
        };
        double[] cold = new double[Math.max(3, runs / 5)];
        for (int i = 0; i < cold.length; i++) {
            Releases releases = fresh.get();
            long start = System.nanoTime();
            releases.answer(query);
            cold[i] = (System.nanoTime() - start) / 1e6;
        }
        Releases warmed = fresh.get();
        ReleaseAnswer first = warmed.answer(query);
        int expected = expectedReleaseRows(versions.size(), days);
        if (first.rows().size() != expected) {
            throw new IllegalStateException("releases answered " + first.rows().size() + " rows, not " + expected
                + " (ages 0..27 of " + versions + ", each up to the last day): "
                + first.rows().stream().map(r -> r.version() + "@" + r.age()).toList());
        }
        double[] warm = new double[runs];
        for (int i = 0; i < runs; i++) {
            long start = System.nanoTime();
            warmed.answer(query);
            warm[i] = (System.nanoTime() - start) / 1e6;
        }
        String what = "releases, " + versions.size() + (versions.size() == 1 ? " version" : " versions") + " x 28 ages, one filter";
        return List.of(percentiles("query cold: " + what, cold), percentiles("query warm: " + what, warm));
    }

    /** The i-th version's age on the last day: 55, 41, 27 days, at most the store's first day. */
    static int releaseAge(int i, int days) {
        return Math.min(55 - 14 * i, days - 1);
    }

    /**
     * Rows of the releases figure: each version's ages 0 to 27 that have reached the last day (every
     * version has clients on every day of the store, so each such age is a row).
     */
    static int expectedReleaseRows(int versions, int days) {
        int rows = 0;
        for (int i = 0; i < versions; i++) {
            rows += Math.min(ReleaseQuery.DEFAULT_TO_AGE, releaseAge(i, days)) + 1;
        }
        return rows;
    }

    /** RMSE of DAU and MAU against exact sets over random segments, and coverage of the ~95 % bounds. */
    static List<IngestBench.Figure> accuracy(int segments, long seed) {
        Random random = new Random(seed);
        Sketches sketches = new Sketches(Sketches.DEFAULT_LG_K);
        double dauSq = 0;
        double mauSq = 0;
        int dauIn = 0;
        int mauIn = 0;
        for (int s = 0; s < segments; s++) {
            int population = new int[] {200, 2_000, 20_000, 100_000}[random.nextInt(4)];
            Union mau = sketches.newUnion();
            Set<Integer> exactMau = new HashSet<>();
            HllSketch lastDay = null;
            int exactDau = 0;
            for (int d = 0; d < 28; d++) {
                HllSketch day = sketches.newLive();
                int active = 0;
                for (int c = 0; c < population; c++) {
                    if (random.nextDouble() < 0.3) {
                        day.update("s" + s + "-c" + c);
                        exactMau.add(c);
                        active++;
                    }
                }
                mau.update(HllSketch.heapify(Sketches.toBytes(day)));
                lastDay = day;
                exactDau = active;
            }
            Estimate dau = Sketches.estimate(lastDay);
            Estimate m = new Estimate(mau.getEstimate(), mau.getLowerBound(2), mau.getUpperBound(2));
            dauSq += Math.pow((dau.estimate() - exactDau) / exactDau, 2);
            mauSq += Math.pow((m.estimate() - exactMau.size()) / exactMau.size(), 2);
            dauIn += dau.contains(exactDau) ? 1 : 0;
            mauIn += m.contains(exactMau.size()) ? 1 : 0;
        }
        return List.of(
            one("accuracy: RMSE of DAU (relative)", "%", 100 * Math.sqrt(dauSq / segments)),
            one("accuracy: RMSE of MAU, union of 28 days (relative)", "%", 100 * Math.sqrt(mauSq / segments)),
            one("accuracy: coverage of DAU ~95 % bounds", "%", 100.0 * dauIn / segments),
            one("accuracy: coverage of MAU ~95 % bounds", "%", 100.0 * mauIn / segments));
    }

    private static IngestBench.Figure one(String name, String unit, double value) {
        return new IngestBench.Figure(name, unit, value, value, value);
    }

    /** p50 as the median column, p95 as min, p99 as max (named in the unit). */
    private static IngestBench.Figure percentiles(String name, double[] millis) {
        double[] s = millis.clone();
        Arrays.sort(s);
        return new IngestBench.Figure(name, "ms (p50, p95, p99)", at(s, 50), at(s, 95), at(s, 99));
    }

    private static double at(double[] sorted, int percentile) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1)];
    }

    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }

    private static String[] segment(int s) {
        return new String[] {CHANNELS[s % 3], OSES[(s / 3) % 5], "C" + (s / 15) % 60, "v" + (s / 900) % 23};
    }

    /**
     * A partition reader over a standalone RocksDB laid out as the sketch store for closed days, and
     * over a sketch store's live sketches for open days (as a task's store serves them).
     */
    private static final class Reader implements PartitionReader {
        private final StandaloneSketchDb db;
        private final int closedThrough;
        private final PartitionReader open;

        Reader(StandaloneSketchDb db, int closedThrough, PartitionReader open) {
            this.db = db;
            this.closedThrough = closedThrough;
            this.open = open;
        }

        @Override
        public int partition() {
            return 0;
        }

        @Override
        public void scan(int fromDay, int toDay, Visitor visitor) {
            db.scanDays(fromDay, Math.min(toDay, closedThrough), visitor::visit);
            if (toDay > closedThrough) {
                open.scan(Math.max(fromDay, closedThrough + 1), toDay, visitor);
            }
        }

        @Override
        public void scanFirstValue(int day, String firstValue, Visitor visitor) {
            if (day > closedThrough) {
                open.scanFirstValue(day, firstValue, visitor);
            } else {
                db.scanPrefix(SegmentDayKey.prefix(day, firstValue), visitor::visit);
            }
        }

        @Override
        public int closedThrough() {
            return closedThrough;
        }

        @Override
        public int firstDay() {
            return db.firstDay();
        }
    }
}
