package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;
import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.TgtHllType;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Turns partition answers into rows: merges the partitions' (group, day) unions in partition order,
 * then computes each metric from day unions (see the package notes for the ER bounds).
 */
public final class Answers {

    private final int lgK;
    private final QueryLimits limits;

    public Answers(int lgK, QueryLimits limits) {
        this.lgK = lgK;
        this.limits = limits;
    }

    /** The most groups an answer may have. */
    public int maxGroups() {
        return limits.maxGroups();
    }

    /** The same, with no limit on the number of groups. */
    public Answers withoutGroupLimit() {
        return new Answers(lgK, new QueryLimits(limits.maxRangeDays(), Integer.MAX_VALUE, limits.lowSampleClients(),
            limits.maxParamLength()));
    }

    /**
     * @param parts      the answers of the partitions that could be read, any order
     * @param partitions how many partitions the pings topic has
     * @throws BadQueryException when the answer has more groups than allowed
     */
    public EngagementAnswer answer(EngagementQuery query, List<PartitionAnswer> parts, int partitions) {
        List<PartitionAnswer> sorted = new ArrayList<>(parts);
        sorted.sort(Comparator.comparingInt(PartitionAnswer::partition));
        Map<List<String>, Map<Integer, HllSketch>> days = new TreeMap<>(PartitionQuery::compareGroups);
        Map<List<String>, Map<Integer, Union>> merging = new TreeMap<>(PartitionQuery::compareGroups);
        int dataStart = Integer.MAX_VALUE;
        int closedThrough = Integer.MAX_VALUE;
        Set<Integer> answered = new TreeSet<>();
        List<Integer> standby = new ArrayList<>();
        TreeMap<Integer, Set<String>> notRecorded = new TreeMap<>();
        for (PartitionAnswer part : sorted) {
            part.notRecorded().forEach((day, dims) -> notRecorded.computeIfAbsent(day, d -> new TreeSet<>()).addAll(dims));
            answered.add(part.partition());
            if (part.standby()) {
                standby.add(part.partition());
            }
            if (part.firstDay() >= 0) {
                dataStart = Math.min(dataStart, part.firstDay());
            }
            if (part.firstDay() >= 0) {
                // A partition without data has no stream time: it cannot hold a day open.
                closedThrough = Math.min(closedThrough, part.closedThrough());
            }
            part.unions().forEach((gd, bytes) -> merging.computeIfAbsent(gd.group(), g -> new HashMap<>())
                .computeIfAbsent(gd.day(), d -> new Union(lgK))
                .update(HllSketch.wrap(Memory.wrap(bytes))));
        }
        if (merging.size() > limits.maxGroups()) {
            throw new BadQueryException("the answer has " + merging.size() + " groups; the maximum is "
                + limits.maxGroups() + ": filter more, or group by fewer dimensions");
        }
        merging.forEach((g, byDay) -> {
            Map<Integer, HllSketch> out = new HashMap<>();
            byDay.forEach((d, u) -> out.put(d, u.getResult(TgtHllType.HLL_8)));
            days.put(g, out);
        });
        if (days.isEmpty() && query.groupBy().isEmpty()) {
            days.put(List.of(), Map.of());
        }
        boolean allPartitions = answered.size() >= partitions;
        int from = Days.of(query.from());
        int to = Days.of(query.to());
        int lookback = query.metrics().stream().mapToInt(Metric::lookback).max().orElse(0);
        List<EngagementAnswer.Row> rows = new ArrayList<>();
        boolean allComplete = allPartitions && dataStart != Integer.MAX_VALUE;
        for (Map.Entry<List<String>, Map<Integer, HllSketch>> group : days.entrySet()) {
            Map<String, String> groupValues = new LinkedHashMap<>();
            for (int i = 0; i < query.groupBy().size(); i++) {
                groupValues.put(query.groupBy().get(i), group.getKey().get(i));
            }
            for (int d = from; d <= to; d++) {
                EngagementAnswer.Row row = row(query, groupValues, group.getValue(), d);
                Set<String> missing = new TreeSet<>();
                notRecorded.subMap(d - lookback, true, d, true).values().forEach(missing::addAll);
                boolean complete = allPartitions && dataStart != Integer.MAX_VALUE && d - lookback >= dataStart
                    && d <= closedThrough && missing.isEmpty();
                row = new EngagementAnswer.Row(row.group(), row.day(), row.metrics(), row.dauClients(),
                    row.mauClients(), row.lowSample(), complete, List.copyOf(missing));
                allComplete &= complete;
                rows.add(row);
            }
        }
        return new EngagementAnswer(query, rows, partitions, answered.size(), allComplete, standby,
            byDimension(notRecorded));
    }

    /** Days by dimension not recorded, from dimensions by day. */
    private static Map<String, List<LocalDate>> byDimension(Map<Integer, Set<String>> notRecorded) {
        Map<String, List<LocalDate>> out = new TreeMap<>();
        notRecorded.forEach((day, dims) -> dims.forEach(dim -> out.computeIfAbsent(dim, k -> new ArrayList<>())
            .add(Days.toDate(day))));
        return out;
    }

    private EngagementAnswer.Row row(EngagementQuery query, Map<String, String> group, Map<Integer, HllSketch> byDay, int d) {
        Map<Metric, Estimate> values = new EnumMap<>(Metric.class);
        Estimate dau = Sketches.estimate(byDay.get(d));
        Set<Metric> metrics = query.metrics();
        boolean needsMau = metrics.contains(Metric.MAU) || metrics.contains(Metric.ER) || metrics.contains(Metric.ER_SMOOTHED);
        Estimate mau = needsMau ? window(byDay, d, 28) : null;
        if (metrics.contains(Metric.DAU)) {
            values.put(Metric.DAU, dau);
        }
        if (metrics.contains(Metric.WAU)) {
            values.put(Metric.WAU, window(byDay, d, 7));
        }
        if (metrics.contains(Metric.MAU)) {
            values.put(Metric.MAU, mau);
        }
        if (metrics.contains(Metric.ER)) {
            values.put(Metric.ER, Ratios.ratio(dau, mau));
        }
        if (metrics.contains(Metric.ER_SMOOTHED)) {
            List<Estimate> week = new ArrayList<>(7);
            for (int i = d - 6; i <= d; i++) {
                week.add(Sketches.estimate(byDay.get(i)));
            }
            values.put(Metric.ER_SMOOTHED, Ratios.ratio(Ratios.mean(week), mau));
        }
        double denominator = mau != null ? mau.estimate()
            : values.values().stream().mapToDouble(Estimate::estimate).max().orElse(0);
        return new EngagementAnswer.Row(group, Days.toDate(d), values, dau.estimate(),
            mau == null ? -1 : mau.estimate(), denominator < limits.lowSampleClients(), true);
    }

    /** The estimate of the union of the days {@code d - length + 1 .. d}. */
    private Estimate window(Map<Integer, HllSketch> byDay, int d, int length) {
        Union union = new Union(lgK);
        boolean any = false;
        for (int i = d - length + 1; i <= d; i++) {
            HllSketch s = byDay.get(i);
            if (s != null) {
                union.update(s);
                any = true;
            }
        }
        if (!any) {
            return Estimate.ZERO;
        }
        return new Estimate(union.getEstimate(), union.getLowerBound(Sketches.BOUND_STD_DEVS),
            union.getUpperBound(Sketches.BOUND_STD_DEVS));
    }
}
