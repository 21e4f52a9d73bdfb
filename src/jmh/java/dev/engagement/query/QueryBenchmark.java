/*
 * QueryBenchmark: latency of the query engine on a real RocksDB sketch store, at 20k active
 * segments a day over 60 days. Run on purpose (not a JUnit test; compiled only under the jmh profile):
 *
 *   mvn -q -Pjmh test-compile dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   java -Xmx2g -cp target/classes:target/test-classes:$(cat cp.txt) dev.engagement.query.QueryBenchmark
 *
 * It fills a real RocksDB key-value store (the layout of the sketch store, one partition) directly
 * with canonical sketch bytes: every segment-day gets a few clients, the 30 largest segments get 400
 * clients a day; all days but the last three have passed grace. Then it times the query engine,
 * cold (empty closed-day cache) and warm (repeated), p50/p95/p99 over the runs:
 *   - a 28-day ER for one dimension filter (channel=release), one day;
 *   - a multi-dimension filter (channel=release, os=Linux,Darwin), one day, all metrics;
 *   - a group-by (os) over 35 days, all metrics.
 */
package dev.engagement.query;

import dev.engagement.app.Directories;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;
import dev.engagement.store.TaskMetadata;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.Supplier;

public final class QueryBenchmark {

    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android", "iOS"};
    private static final int COUNTRIES = 60;
    private static final int VERSIONS = 23;

    private QueryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int segmentsPerDay = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int days = args.length > 1 ? Integer.parseInt(args[1]) : 60;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 30;
        Path stateDir = Files.createTempDirectory("query-bench");
        EngagementConfig config = EngagementConfig.defaults(Map.of("engagement.dimensions", "channel,os,country,app_version"));
        Sketches sketches = new Sketches(config.lgK());
        LocalDate first = LocalDate.of(2026, 8, 1);
        MockProcessorContext<Object, Object> context = new MockProcessorContext<>(new Properties(), new TaskId(0, 0),
            stateDir.toFile());
        KeyValueStore<Bytes, byte[]> store = Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("sketches"),
            Serdes.Bytes(), Serdes.ByteArray()).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        try {
            Random random = new Random(7);
            long t0 = System.nanoTime();
            long pings = 0;
            for (int d = 0; d < days; d++) {
                int day = Days.of(first.plusDays(d));
                for (int s = 0; s < segmentsPerDay; s++) {
                    int clients = s < 30 ? 400 : 1 + random.nextInt(4);
                    HllSketch sketch = sketches.newLive();
                    for (int c = 0; c < clients; c++) {
                        sketch.update("c" + s + "-" + random.nextInt(clients * 3 + 1));
                        pings++;
                    }
                    String[] segment = {CHANNELS[s % 3], OSES[(s / 3) % 5], "C" + (s / 15) % COUNTRIES,
                        "v" + (s / (15 * COUNTRIES)) % VERSIONS};
                    store.put(SegmentDayKey.of(day, segment), Sketches.toBytes(sketch));
                }
            }
            // Every day but the last three has passed grace.
            store.put(TaskMetadata.CLOSED_THROUGH.key(), TaskMetadata.CLOSED_THROUGH.value(Days.of(first.plusDays(days - 4))));
            store.flush();
            System.out.printf("filled: %,d client updates, %,d segment-days, %.1f s%n", pings,
                segmentsPerDay * (long) days, (System.nanoTime() - t0) / 1e9);
            long bytes = Directories.size(stateDir);
            System.out.printf("state on disk: %,d bytes (%.1f bytes per segment-day, RocksDB files included)%n",
                bytes, bytes / (double) (segmentsPerDay * (long) days));

            StorePartitionReader reader = new StorePartitionReader(0, store, false);
            LocalDate last = first.plusDays(days - 1);
            QueryLimits limits = QueryLimits.DEFAULTS;
            Answers answers = new Answers(config.lgK(), limits);
            List<String> dims = config.dimensionNames();
            Map<String, Supplier<EngagementQuery>> queries = new LinkedHashMap<>();
            queries.put("28-day ER, one filter", () -> EngagementQuery.parse(Map.of("from", List.of(last.toString()),
                "to", List.of(last.toString()), "metrics", List.of("er"), "channel", List.of("release")), dims, limits));
            queries.put("multi-dimension filter", () -> EngagementQuery.parse(Map.of("from", List.of(last.toString()),
                "to", List.of(last.toString()), "channel", List.of("release"), "os", List.of("Linux,Darwin")), dims, limits));
            queries.put("group-by os over 35 days", () -> EngagementQuery.parse(Map.of("from",
                List.of(last.minusDays(34).toString()), "to", List.of(last.toString()), "groupBy", List.of("os")), dims, limits));
            for (Map.Entry<String, Supplier<EngagementQuery>> q : queries.entrySet()) {
                EngagementQuery query = q.getValue().get();
                double[] cold = new double[Math.max(3, runs / 5)];
                for (int i = 0; i < cold.length; i++) {
                    PartitionQuery fresh = new PartitionQuery(dims, config.lgK(), 100_000);
                    long s = System.nanoTime();
                    answers.answer(query, List.of(fresh.answer(query, reader)), 1);
                    cold[i] = (System.nanoTime() - s) / 1e6;
                }
                PartitionQuery cached = new PartitionQuery(dims, config.lgK(), 100_000);
                answers.answer(query, List.of(cached.answer(query, reader)), 1);
                double[] warm = new double[runs];
                for (int i = 0; i < runs; i++) {
                    long s = System.nanoTime();
                    answers.answer(query, List.of(cached.answer(query, reader)), 1);
                    warm[i] = (System.nanoTime() - s) / 1e6;
                }
                System.out.printf("%-26s cold p50 %7.1f ms  p95 %7.1f  p99 %7.1f | warm p50 %7.1f ms  p95 %7.1f  p99 %7.1f%n",
                    q.getKey(), pct(cold, 50), pct(cold, 95), pct(cold, 99), pct(warm, 50), pct(warm, 95), pct(warm, 99));
            }
        } finally {
            store.close();
        }
    }

    private static double pct(double[] values, int p) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }
}
