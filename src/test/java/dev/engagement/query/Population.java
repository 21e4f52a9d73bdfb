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
import java.util.function.Predicate;

/**
 * A random population of clients over consecutive days, stored as (segment, day) sketches in
 * partitions by client hash, with the exact client sets to check answers against.
 */
final class Population {

    static final List<String> DIMENSIONS = List.of("channel", "os", "country");
    static final String[] CHANNELS = {"release", "beta", "nightly"};
    static final String[] OSES = {"Linux", "Darwin", "Windows_NT"};
    /** "IS" is tiny on purpose (low-sample rows). */
    static final String[] COUNTRIES = {"DE", "US", "FR", "IS"};

    final int firstDay;
    final int days;
    final List<MemoryPartitionReader> partitions = new ArrayList<>();
    /** Exact clients per segment (channel, os, country) per day. */
    final Map<List<String>, Map<Integer, Set<String>>> exact = new HashMap<>();

    Population(int firstDay, int days, int clients, int partitionCount, int closedThrough, long seed) {
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
            // Skewed segment sizes: release/Windows/US are common, IS is rare.
            String channel = pick(random, CHANNELS, 0.6, 0.3);
            String os = pick(random, OSES, 0.55, 0.3);
            String country = random.nextDouble() < 0.004 ? "IS" : pick(random, COUNTRIES, 0.5, 0.3);
            double activity = new double[] {0.03, 0.15, 0.5, 0.9}[random.nextInt(4)];
            int start = random.nextInt(days); // clients join over time
            if (random.nextDouble() < 0.5) {
                start = 0;
            }
            int partition = Math.floorMod(id.hashCode(), partitionCount);
            for (int d = start; d < days; d++) {
                if (random.nextDouble() >= activity) {
                    continue;
                }
                // A few clients switch channel for a day: a client can be in several segments.
                String ch = random.nextDouble() < 0.02 ? CHANNELS[random.nextInt(CHANNELS.length)] : channel;
                List<String> segment = List.of(ch, os, country);
                int day = firstDay + d;
                exact.computeIfAbsent(segment, s -> new HashMap<>()).computeIfAbsent(day, x -> new HashSet<>()).add(id);
                live.computeIfAbsent(partition, x -> new HashMap<>()).computeIfAbsent(segment, s -> new HashMap<>())
                    .computeIfAbsent(day, x -> sketches.newLive()).update(id);
            }
        }
        live.forEach((p, bySegment) -> bySegment.forEach((segment, byDay) -> byDay.forEach((day, sketch) ->
            partitions.get(p).put(day, segment.toArray(String[]::new), Sketches.toBytes(sketch)))));
    }

    private static String pick(Random random, String[] values, double first, double second) {
        double x = random.nextDouble();
        if (x < first) {
            return values[0];
        }
        if (x < first + second) {
            return values[1];
        }
        return values[2];
    }

    /** Exact distinct clients of segments matching the filter over days {@code from..to}. */
    Set<String> clients(Predicate<List<String>> filter, int from, int to) {
        return clients(exact, filter, from, to);
    }

    /** Exact distinct clients, in {@code exact} (per segment, per day), of matching segments over days {@code from..to}. */
    static Set<String> clients(Map<List<String>, Map<Integer, Set<String>>> exact, Predicate<List<String>> filter,
                               int from, int to) {
        Set<String> out = new HashSet<>();
        exact.forEach((segment, byDay) -> {
            if (filter.test(segment)) {
                byDay.forEach((day, ids) -> {
                    if (day >= from && day <= to) {
                        out.addAll(ids);
                    }
                });
            }
        });
        return out;
    }

    /** A segment predicate from a query's filters (and, for a group, its values). */
    static Predicate<List<String>> matching(EngagementQuery query, Map<String, String> group) {
        return segment -> {
            for (Map.Entry<String, Set<String>> f : query.filters().entrySet()) {
                if (!f.getValue().contains(segment.get(DIMENSIONS.indexOf(f.getKey())))) {
                    return false;
                }
            }
            for (Map.Entry<String, String> g : group.entrySet()) {
                if (!g.getValue().equals(segment.get(DIMENSIONS.indexOf(g.getKey())))) {
                    return false;
                }
            }
            return true;
        };
    }
}
