package dev.engagement.query;

import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Clients over consecutive days on release trains: {@code 1.0} from the start, then each later
 * version from its release day, to which clients move after a random lag of up to two weeks. A few
 * beta clients run each version's pre-release ({@code 2.0b1}, ...) the week before. Stored as
 * (channel, os, app_version) sketches in partitions by client hash, with the exact client sets.
 */
final class ReleasePopulation {

    static final List<String> DIMENSIONS = List.of("channel", "os", "app_version");
    static final String[] OSES = {"Windows_NT", "Linux", "Darwin"};

    final int firstDay;
    final int days;
    final List<MemoryPartitionReader> partitions = new ArrayList<>();
    /** Exact clients per segment (channel, os, app_version) per day. */
    final Map<List<String>, Map<Integer, Set<String>>> exact = new HashMap<>();

    /**
     * @param versions     version names, the first present from day 0
     * @param releases     each version's release offset from {@code firstDay} (the first's is 0)
     * @param activity     the newest version's clients are active this much as often as the others (1: same)
     */
    ReleasePopulation(int firstDay, int days, int clients, int partitionCount, int closedThrough, String[] versions,
                      int[] releases, double activity, long seed) {
        this.firstDay = firstDay;
        this.days = days;
        Random random = new Random(seed);
        for (int p = 0; p < partitionCount; p++) {
            partitions.add(new MemoryPartitionReader(p, closedThrough));
        }
        Sketches sketches = new Sketches(12);
        Map<Integer, Map<List<String>, Map<Integer, HllSketch>>> live = new HashMap<>();
        for (int c = 0; c < clients; c++) {
            String id = "client-" + seed + "-" + c;
            boolean beta = random.nextDouble() < 0.02;
            String channel = beta ? "beta" : "release";
            String os = OSES[random.nextDouble() < 0.6 ? 0 : 1 + random.nextInt(2)];
            double rate = new double[] {0.1, 0.3, 0.6, 0.9}[random.nextInt(4)];
            int[] upgrade = new int[versions.length];
            for (int v = 1; v < versions.length; v++) {
                upgrade[v] = releases[v] + random.nextInt(14);
            }
            int partition = Math.floorMod(id.hashCode(), partitionCount);
            for (int d = 0; d < days; d++) {
                int v = 0;
                while (v + 1 < versions.length && d >= upgrade[v + 1]) {
                    v++;
                }
                String version = versions[v];
                if (beta && v + 1 < versions.length && d >= releases[v + 1] - 7 && d < releases[v + 1]) {
                    version = versions[v + 1].replaceFirst("\\.0$", ".0b1");
                }
                double p = v == versions.length - 1 ? rate * activity : rate;
                if (random.nextDouble() >= p) {
                    continue;
                }
                List<String> segment = List.of(channel, os, version);
                int day = firstDay + d;
                exact.computeIfAbsent(segment, s -> new HashMap<>()).computeIfAbsent(day, x -> new HashSet<>()).add(id);
                live.computeIfAbsent(partition, x -> new HashMap<>()).computeIfAbsent(segment, s -> new HashMap<>())
                    .computeIfAbsent(day, x -> sketches.newLive()).update(id);
            }
        }
        live.forEach((p, bySegment) -> bySegment.forEach((segment, byDay) -> byDay.forEach((day, sketch) ->
            partitions.get(p).put(day, segment.toArray(String[]::new), Sketches.toBytes(sketch)))));
    }

    /** Exact distinct clients of segments matching the filter over days {@code from..to}. */
    Set<String> clients(Predicate<List<String>> filter, int from, int to) {
        return Population.clients(exact, filter, from, to);
    }

    /** An engagement source over these partitions, as {@code QueryService.queryAllGroups} answers. */
    Function<EngagementQuery, EngagementAnswer> source() {
        PartitionQuery pq = new PartitionQuery(DIMENSIONS, 12, 100_000);
        Answers answers = new Answers(12, QueryLimits.DEFAULTS).withoutGroupLimit();
        return q -> {
            List<PartitionAnswer> parts = new ArrayList<>();
            for (MemoryPartitionReader r : partitions) {
                parts.add(pq.answer(q, r));
            }
            return answers.answer(q, parts, partitions.size());
        };
    }
}
