/*
 * FoldBenchmark: throughput of the in-memory fold path, and stored bytes per segment-day.
 *
 * Not a JUnit test (no @Test, name does not end in Test), so `mvn test` never runs it. Run it on
 * purpose, from the project directory:
 *
 *   mvn -q dependency:build-classpath -Dmdep.outputFile=cp.txt
 *   mvn -q test-compile
 *   java -Xmx2g -cp target/classes:target/test-classes:$(cat cp.txt) dev.engagement.bench.FoldBenchmark
 *
 * Optional arguments: pings clients segments days (defaults 5000000 200000 20000 3).
 *
 * What it measures, on one thread: for every decoded Ping, ValueCaps.segmentOf (placeholders and
 * caps of the default dimensions), PingRules.activityDay, SegmentDayKey.of, a HashMap<Bytes, HllSketch>
 * lookup (Sketches.newLive on a miss) and HllSketch.update(clientId). That is the per-ping work of
 * FoldProcessor without Kafka, RocksDB and Avro decoding. Each repetition starts from an empty map,
 * so sketch creation and growth through the LIST/SET/HLL modes are included. Two warm-up passes,
 * then five timed ones; the figures are pings per second on this one thread.
 *
 * The data: `segments` distinct (app_name, channel, os, country, app_version) tuples; every client
 * belongs to one segment, drawn with Zipf weights (s = 1), so a few segments hold tens of thousands
 * of clients and the long tail holds one or two; every ping is a uniformly drawn client on a
 * uniformly drawn day.
 */
package dev.engagement.bench;

import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.ping.PingRules;
import dev.engagement.ping.ValueCaps;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;

import org.apache.datasketches.hll.HllSketch;
import org.apache.kafka.common.utils.Bytes;

import java.time.Instant;
import java.time.LocalDate;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;

public final class FoldBenchmark {

    private static final String[] APPS = {"Firefox", "Focus", "Fenix"};
    private static final String[] CHANNELS = {"release", "beta", "nightly", "esr"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android", "iOS"};
    private static final int COUNTRIES = 60;
    private static final int VERSIONS = 25;
    private static final int WARMUPS = 2;
    private static final int RUNS = 5;

    private FoldBenchmark() {
    }

    public static void main(String[] args) {
        int pingCount = args.length > 0 ? Integer.parseInt(args[0]) : 5_000_000;
        int clientCount = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
        int segmentCount = args.length > 2 ? Integer.parseInt(args[2]) : 20_000;
        int dayCount = args.length > 3 ? Integer.parseInt(args[3]) : 3;

        EngagementConfig config = EngagementConfig.defaults(Map.of());
        Sketches sketches = new Sketches(config.lgK());
        long t0 = System.nanoTime();
        Ping[] pings = generate(pingCount, clientCount, segmentCount, dayCount, new Random(20_261_001L));
        System.out.printf("generated %,d pings (%,d clients, %,d segments, %d days, dimensions %s, lgK %d) in %.1f s%n",
            pingCount, clientCount, segmentCount, dayCount, config.dimensionNames(), config.lgK(),
            (System.nanoTime() - t0) / 1e9);

        double[] rates = new double[RUNS];
        Map<Bytes, HllSketch> state = null;
        for (int run = -WARMUPS; run < RUNS; run++) {
            ValueCaps caps = new ValueCaps(config.dimensions(), (dimension, value) -> { });
            Map<Bytes, HllSketch> map = new HashMap<>();
            long start = System.nanoTime();
            fold(pings, caps, sketches, map);
            long elapsed = System.nanoTime() - start;
            double rate = pings.length / (elapsed / 1e9);
            System.out.printf("%s %d: %,.0f pings/s (%,d segment-days)%n",
                run < 0 ? "warm-up" : "run", run < 0 ? run + WARMUPS + 1 : run + 1, rate, map.size());
            if (run >= 0) {
                rates[run] = rate;
            }
            state = map;
        }
        double[] sorted = rates.clone();
        Arrays.sort(sorted);
        System.out.printf("fold, one thread: median %,.0f pings/s, min %,.0f, max %,.0f (%d runs of %,d pings)%n",
            sorted[RUNS / 2], sorted[0], sorted[RUNS - 1], RUNS, pings.length);

        reportSizes(pings, config, state);
    }

    /** The per-ping work, as in the fold processor. */
    private static void fold(Ping[] pings, ValueCaps caps, Sketches sketches, Map<Bytes, HllSketch> map) {
        for (Ping ping : pings) {
            String[] segment = caps.segmentOf(ping);
            Bytes key = SegmentDayKey.of(PingRules.activityDay(ping), segment);
            HllSketch sketch = map.get(key);
            if (sketch == null) {
                sketch = sketches.newLive();
                map.put(key, sketch);
            }
            sketch.update(ping.getClientId());
        }
    }

    /** Stored (canonical compact HLL_8) bytes of tiny and large segment-days, by exact client count. */
    private static void reportSizes(Ping[] pings, EngagementConfig config, Map<Bytes, HllSketch> state) {
        ValueCaps caps = new ValueCaps(config.dimensions(), (dimension, value) -> { });
        Map<Bytes, Set<String>> exact = new HashMap<>();
        for (Ping ping : pings) {
            Bytes key = SegmentDayKey.of(PingRules.activityDay(ping), caps.segmentOf(ping));
            exact.computeIfAbsent(key, k -> new HashSet<>()).add(ping.getClientId());
        }
        long tinyBytes = 0;
        int tiny = 0;
        long largeBytes = 0;
        int large = 0;
        long totalBytes = 0;
        for (Map.Entry<Bytes, HllSketch> e : state.entrySet()) {
            int clients = exact.get(e.getKey()).size();
            int bytes = Sketches.toBytes(e.getValue()).length;
            totalBytes += bytes;
            if (clients <= 10) {
                tiny++;
                tinyBytes += bytes;
            } else if (clients >= 10_000) {
                large++;
                largeBytes += bytes;
            }
        }
        System.out.printf("state: %,d segment-days, %,d stored bytes in all, mean %.0f B per segment-day%n",
            state.size(), totalBytes, totalBytes / (double) state.size());
        System.out.printf("tiny segment-days (<= 10 clients): %,d, mean %.1f stored bytes%n",
            tiny, tiny == 0 ? Double.NaN : tinyBytes / (double) tiny);
        System.out.printf("large segment-days (>= 10k clients): %,d, mean %.1f stored bytes%n",
            large, large == 0 ? Double.NaN : largeBytes / (double) large);
    }

    private static Ping[] generate(int pingCount, int clientCount, int segmentCount, int dayCount, Random rnd) {
        // Distinct segments.
        if (segmentCount > APPS.length * CHANNELS.length * OSES.length * COUNTRIES * VERSIONS) {
            throw new IllegalArgumentException("at most " + APPS.length * CHANNELS.length * OSES.length * COUNTRIES * VERSIONS + " segments");
        }
        Set<List<String>> unique = new LinkedHashSet<>();
        while (unique.size() < segmentCount) {
            unique.add(List.of(
                APPS[rnd.nextInt(APPS.length)],
                CHANNELS[rnd.nextInt(CHANNELS.length)],
                OSES[rnd.nextInt(OSES.length)],
                country(rnd.nextInt(COUNTRIES)),
                (100 + rnd.nextInt(VERSIONS)) + ".0"));
        }
        List<List<String>> segments = List.copyOf(unique);

        // Zipf (s = 1) cumulative weights over segment ranks.
        double[] cumulative = new double[segmentCount];
        double sum = 0;
        for (int i = 0; i < segmentCount; i++) {
            sum += 1.0 / (i + 1);
            cumulative[i] = sum;
        }

        // Clients: an id and a segment each.
        String[] ids = new String[clientCount];
        int[] segmentOf = new int[clientCount];
        for (int c = 0; c < clientCount; c++) {
            ids[c] = new UUID(rnd.nextLong(), rnd.nextLong()).toString();
            int rank = Arrays.binarySearch(cumulative, rnd.nextDouble() * sum);
            segmentOf[c] = Math.min(rank < 0 ? -rank - 1 : rank, segmentCount - 1);
        }

        // Dates and instants are shared between pings to keep millions of them in memory; a decoder
        // makes new ones, which makes no difference to the fold.
        LocalDate first = LocalDate.of(2026, 10, 1);
        LocalDate[] dates = new LocalDate[dayCount];
        Instant[][] submitted = new Instant[dayCount][24];
        for (int d = 0; d < dayCount; d++) {
            dates[d] = first.plusDays(d);
            for (int h = 0; h < 24; h++) {
                submitted[d][h] = dates[d].atStartOfDay(java.time.ZoneOffset.UTC).toInstant().plusSeconds(h * 3600L + 1_234);
            }
        }

        Ping[] pings = new Ping[pingCount];
        Map<String, String> noAttributes = Map.of();
        for (int i = 0; i < pingCount; i++) {
            int c = rnd.nextInt(clientCount);
            int d = rnd.nextInt(dayCount);
            List<String> s = segments.get(segmentOf[c]);
            // Half the pings carry activity_date, the other half leave it to submission_timestamp.
            pings[i] = new Ping(ids[c], submitted[d][rnd.nextInt(24)], rnd.nextBoolean() ? dates[d] : null,
                s.get(0), s.get(1), s.get(2), null, s.get(3), null, s.get(4), noAttributes);
        }
        return pings;
    }

    private static String country(int i) {
        return "" + (char) ('A' + i / 26) + (char) ('A' + i % 26);
    }
}
