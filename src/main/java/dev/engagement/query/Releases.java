package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Answers {@link ReleaseQuery releases queries}: each version's metrics by days since its release
 * day, and the newest version beside the previous one at the same age.
 *
 * <ul>
 *   <li><b>Release day</b> of a version: the first day its DAU over all segments (no filter) reached
 *   {@code engagement.release.min-clients}, unless the query gives one ({@link ReleaseDays}). It is
 *   the same for every filter, so ages line up across filters.</li>
 *   <li><b>Order</b>: by release day, ties by {@link VersionOrder}; the default versions are the newest
 *   {@value ReleaseQuery#DEFAULT_VERSIONS} that are not pre-releases ({@code 134.0b3}: see
 *   {@link VersionOrder#isPreRelease}), or of all versions when every one is.</li>
 *   <li><b>Rows</b>: for each version and age k, release day + k, up to the newest day: the version's
 *   DAU, MAU, ER and smoothed ER under the filter (an engagement query with the version added to the
 *   filter), and uptake = DAU(version) / DAU(all versions) under the same filter on that day, bounded
 *   as any ratio of correlated unions ({@link Ratios#ratio}).</li>
 *   <li><b>Comparison</b>: the newest version at age A beside the previous one at age A (A: the
 *   query's {@code compareAge}, else the newer version's age on its newest complete day within the
 *   ages, or its current age clamped into the ages when none is complete), for every
 *   requested metric plus ER and smoothed ER. On one day the versions' client sets are disjoint, so
 *   their errors are independent and the difference's variance is the sum of theirs
 *   ({@link Ratios#difference}); {@code significant} when its ~95 % bounds exclude 0.</li>
 * </ul>
 * Thread-safe.
 */
public final class Releases {

    /** The engagement metrics a version's rows are computed from. */
    private static final Set<Metric> VERSION_METRICS = EnumSet.of(Metric.DAU, Metric.MAU, Metric.ER, Metric.ER_SMOOTHED);

    private final Function<EngagementQuery, EngagementAnswer> source;
    private final Supplier<LocalDate> newestDay;
    private final String defaultDimension;
    private final int lowSampleClients;
    private final int historyDays;
    private final ReleaseDays releaseDays;

    /**
     * @param source           answers an engagement query over every partition, without a group limit
     * @param newestDay        the newest day with data, or null when there is none
     * @param defaultDimension the release dimension when a query names none
     * @param minClients       the DAU over all segments that makes a version's release day
     * @param historyDays      how many days, ending on the newest, release days are looked for in
     * @param lowSampleClients a row is {@code lowSample} below this many clients
     */
    public Releases(Function<EngagementQuery, EngagementAnswer> source, Supplier<LocalDate> newestDay,
                    String defaultDimension, int minClients, int historyDays, int lowSampleClients) {
        this.source = source;
        this.newestDay = newestDay;
        this.defaultDimension = defaultDimension;
        this.lowSampleClients = lowSampleClients;
        this.historyDays = historyDays;
        this.releaseDays = new ReleaseDays(source, minClients, historyDays);
    }

    /** The release dimension of a query that names none. */
    public String defaultDimension() {
        return defaultDimension;
    }

    /**
     * @throws BadQueryException for an unknown version, a version without a release day, or a given
     *                           release day of an unknown version
     */
    public ReleaseAnswer answer(ReleaseQuery query) {
        LocalDate newest = newestDay.get();
        ReleaseDays.Found found = newest == null ? ReleaseDays.Found.NONE : releaseDays.find(query.dimension(), newest);
        for (String v : query.releaseDays().keySet()) {
            requireSeen(query, found, v, newest);
        }
        Map<String, LocalDate> days = new HashMap<>(found.releaseDays());
        days.putAll(query.releaseDays());
        Comparator<String> order = Comparator.comparing((String v) -> days.get(v)).thenComparing(VersionOrder.INSTANCE);
        List<String> chosen;
        if (query.versions().isEmpty()) {
            // Releases, not pre-releases (which reach clients on beta before their release): the newest
            // is compared with the release before it. Pre-releases only when there is nothing else.
            List<String> all = new ArrayList<>(days.keySet().stream().filter(v -> !VersionOrder.isPreRelease(v)).toList());
            if (all.isEmpty()) {
                all.addAll(days.keySet());
            }
            all.sort(order);
            chosen = all.subList(Math.max(0, all.size() - ReleaseQuery.DEFAULT_VERSIONS), all.size());
        } else {
            for (String v : query.versions()) {
                requireSeen(query, found, v, newest);
                if (!days.containsKey(v)) {
                    throw new BadQueryException("version '" + v + "' has no release day: its DAU over all segments never"
                        + " reached " + releaseDays.minClients() + " clients (engagement.release.min-clients) in the "
                        + historyDays + " days ending on " + newest + "; give one with " + ReleaseQuery.RELEASE_PREFIX + v
                        + "=YYYY-MM-DD");
                }
            }
            chosen = new ArrayList<>(query.versions());
            chosen.sort(order);
        }
        List<ReleaseAnswer.Version> versions = new ArrayList<>();
        for (String v : chosen) {
            LocalDate r = days.get(v);
            versions.add(new ReleaseAnswer.Version(v, r, query.releaseDays().containsKey(v),
                (int) (Days.of(newest) - Days.of(r))));
        }
        return rows(query, newest, versions);
    }

    private void requireSeen(ReleaseQuery query, ReleaseDays.Found found, String version, LocalDate newest) {
        if (!found.seen().contains(version)) {
            throw new BadQueryException("unknown version '" + version + "' of " + query.dimension() + ": no client reported"
                + " it" + (newest == null ? " (no data yet)" : " in the " + historyDays + " days ending on " + newest));
        }
    }

    private ReleaseAnswer rows(ReleaseQuery query, LocalDate newest, List<ReleaseAnswer.Version> versions) {
        boolean uptake = query.metrics().contains(ReleaseMetric.UPTAKE);
        boolean month = query.metrics().stream().anyMatch(ReleaseMetric::readsMonth);
        Reads reads = new Reads();
        // The all-versions DAU for uptake: one read over the span of every version's ages.
        Map<LocalDate, EngagementAnswer.Row> everyVersion = new HashMap<>();
        if (uptake && newest != null) {
            LocalDate first = null;
            LocalDate last = null;
            for (ReleaseAnswer.Version v : versions) {
                LocalDate from = v.releaseDay().plusDays(query.fromAge());
                LocalDate to = min(v.releaseDay().plusDays(query.toAge()), newest);
                if (!from.isAfter(to)) {
                    first = first == null || from.isBefore(first) ? from : first;
                    last = last == null || to.isAfter(last) ? to : last;
                }
            }
            if (first != null) {
                EngagementAnswer all = reads.read(new EngagementQuery(first, last, EnumSet.of(Metric.DAU), List.of(),
                    query.filters()));
                all.rows().forEach(r -> everyVersion.put(r.day(), r));
            }
        }
        List<ReleaseAnswer.Row> rows = new ArrayList<>();
        // Every metric, requested or not, of each (version, age): the comparison reads ER and smoothed ER.
        Map<String, Map<Integer, Computed>> full = new HashMap<>();
        for (ReleaseAnswer.Version v : versions) {
            LocalDate from = v.releaseDay().plusDays(query.fromAge());
            LocalDate to = newest == null ? from.minusDays(1) : min(v.releaseDay().plusDays(query.toAge()), newest);
            if (from.isAfter(to)) {
                continue;
            }
            Map<String, Set<String>> filters = new TreeMap<>(query.filters());
            filters.put(query.dimension(), new TreeSet<>(Set.of(v.version())));
            EngagementAnswer answer = reads.read(new EngagementQuery(from, to, VERSION_METRICS, List.of(), filters));
            Map<Integer, Computed> byAge = full.computeIfAbsent(v.version(), x -> new HashMap<>());
            for (EngagementAnswer.Row row : answer.rows()) {
                int age = (int) (Days.of(row.day()) - Days.of(v.releaseDay()));
                Map<ReleaseMetric, Estimate> all = new EnumMap<>(ReleaseMetric.class);
                all.put(ReleaseMetric.DAU, row.metrics().get(Metric.DAU));
                all.put(ReleaseMetric.MAU, row.metrics().get(Metric.MAU));
                all.put(ReleaseMetric.ER, row.metrics().get(Metric.ER));
                all.put(ReleaseMetric.ER_SMOOTHED, row.metrics().get(Metric.ER_SMOOTHED));
                boolean complete = row.complete();
                if (uptake) {
                    EngagementAnswer.Row every = everyVersion.get(row.day());
                    Estimate denominator = every == null ? Estimate.ZERO : every.metrics().get(Metric.DAU);
                    all.put(ReleaseMetric.UPTAKE, Ratios.ratio(row.metrics().get(Metric.DAU), denominator));
                    complete &= every != null && every.complete();
                }
                byAge.put(age, new Computed(all, complete));
                Map<ReleaseMetric, Estimate> asked = new EnumMap<>(ReleaseMetric.class);
                query.metrics().forEach(m -> asked.put(m, all.get(m)));
                double sample = month ? row.mauClients() : row.dauClients();
                rows.add(new ReleaseAnswer.Row(v.version(), age, row.day(), asked, sample < lowSampleClients, complete));
            }
        }
        boolean complete = rows.stream().allMatch(ReleaseAnswer.Row::complete);
        Comparison comparison = compare(query, newest, versions, full);
        return new ReleaseAnswer(query, newest, versions, rows, complete && reads.allAnswered(), reads.partitions,
            reads.answered == Integer.MAX_VALUE ? 0 : reads.answered, List.copyOf(reads.standby), lowSampleClients,
            comparison.block(), comparison.note());
    }

    /** Every metric of one version at one age, and whether its row is complete. */
    private record Computed(Map<ReleaseMetric, Estimate> metrics, boolean complete) {
    }

    /** The comparison block, or why there is none. */
    private record Comparison(ReleaseAnswer.Comparison block, String note) {
    }

    private Comparison compare(ReleaseQuery query, LocalDate newest, List<ReleaseAnswer.Version> versions,
                               Map<String, Map<Integer, Computed>> full) {
        if (versions.size() < 2) {
            return new Comparison(null, versions.isEmpty() ? "no version has a release day"
                : "only one version (" + versions.get(0).version() + ") to compare");
        }
        ReleaseAnswer.Version newer = versions.get(versions.size() - 1);
        ReleaseAnswer.Version older = versions.get(versions.size() - 2);
        Map<Integer, Computed> newerRows = full.getOrDefault(newer.version(), Map.of());
        int age = query.compareAge() != null ? query.compareAge() : defaultAge(query, newer, newerRows);
        Computed n = newerRows.get(age);
        Computed o = full.getOrDefault(older.version(), Map.of()).get(age);
        if (n == null || o == null) {
            ReleaseAnswer.Version missing = n == null ? newer : older;
            return new Comparison(null, missing.version() + " has not reached age " + age + " (released "
                + missing.releaseDay() + ", " + missing.age() + " days before " + newest + ")");
        }
        Set<ReleaseMetric> compared = EnumSet.copyOf(query.metrics());
        compared.add(ReleaseMetric.ER);
        compared.add(ReleaseMetric.ER_SMOOTHED);
        Map<ReleaseMetric, ReleaseAnswer.Compared> metrics = new EnumMap<>(ReleaseMetric.class);
        for (ReleaseMetric m : compared) {
            Estimate a = n.metrics().get(m);
            Estimate b = o.metrics().get(m);
            Estimate d = Ratios.difference(a, b);
            metrics.put(m, new ReleaseAnswer.Compared(a, b, d, d.lower() > 0 || d.upper() < 0));
        }
        return new Comparison(new ReleaseAnswer.Comparison(age, newer.version(), newer.releaseDay().plusDays(age),
            older.version(), older.releaseDay().plusDays(age), n.complete() && o.complete(), metrics), null);
    }

    /**
     * The newer version's age on its newest complete day (past grace everywhere, every partition
     * read), within the ages: today's DAU is partial, and beside a whole day of the older version it
     * would look like a drop. Its current age, clamped into the ages, when no day is complete yet.
     */
    private static int defaultAge(ReleaseQuery query, ReleaseAnswer.Version newer, Map<Integer, Computed> rows) {
        int age = -1;
        for (Map.Entry<Integer, Computed> e : rows.entrySet()) {
            if (e.getValue().complete()) {
                age = Math.max(age, e.getKey());
            }
        }
        return age >= 0 ? age : Math.max(query.fromAge(), Math.min(query.toAge(), newer.age()));
    }

    private static LocalDate min(LocalDate a, LocalDate b) {
        return a.isBefore(b) ? a : b;
    }

    /** The engagement reads of one answer, and what they say about the partitions. */
    private final class Reads {
        int partitions;
        int answered = Integer.MAX_VALUE;
        final Set<Integer> standby = new TreeSet<>();

        EngagementAnswer read(EngagementQuery q) {
            EngagementAnswer a = source.apply(q);
            partitions = Math.max(partitions, a.partitions());
            answered = Math.min(answered, a.partitionsAnswered());
            standby.addAll(a.standbyPartitions());
            return a;
        }

        boolean allAnswered() {
            return answered == Integer.MAX_VALUE || answered >= partitions;
        }
    }
}
