package dev.engagement.query;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * One engagement question: metrics per group and day over a date range, for the segments that a
 * filter allows.
 *
 * @param from    first day answered
 * @param to      last day answered (inclusive)
 * @param metrics what to compute
 * @param groupBy dimensions whose values split the answer into groups (empty: one group)
 * @param filters for each named dimension, the allowed values; dimensions not named are free. Kept
 *                sorted by dimension and by value (canonical), whatever order they were given in
 */
public record EngagementQuery(LocalDate from, LocalDate to, Set<Metric> metrics, List<String> groupBy,
                              Map<String, Set<String>> filters) {

    /** The first date a query may name (pings before 2000 are refused at ingest). */
    public static final LocalDate FIRST_DATE = LocalDate.of(2000, 2, 1);
    /** The last date a query may name. */
    public static final LocalDate LAST_DATE = LocalDate.of(2199, 12, 31);

    /** Parameters that are not dimension filters. */
    public static final Set<String> RESERVED = Set.of("from", "to", "metrics", "groupBy");

    public EngagementQuery {
        metrics = metrics.isEmpty() ? EnumSet.noneOf(Metric.class) : EnumSet.copyOf(metrics);
        groupBy = List.copyOf(groupBy);
        // Canonical: dimensions and values sorted, whatever order the request gave them in, so that
        // answers echo one order and caches (keyed by the filters' text) see one query.
        Map<String, Set<String>> sorted = new TreeMap<>();
        filters.forEach((k, v) -> sorted.put(k, Collections.unmodifiableSortedSet(new TreeSet<>(v))));
        filters = Collections.unmodifiableMap(sorted);
    }

    /** The first day any metric reads: {@code from} minus the largest lookback. */
    public LocalDate firstDayRead() {
        int lookback = metrics.stream().mapToInt(Metric::lookback).max().orElse(0);
        return from.minusDays(lookback);
    }

    /**
     * Parses HTTP-style parameters: {@code from}, {@code to}, {@code metrics}, {@code groupBy}, and
     * one parameter per filtered dimension, each a comma-separated list.
     *
     * @param params     each parameter's values (a repeated parameter adds values)
     * @param dimensions the configured dimensions
     * @throws BadQueryException naming the first problem found
     */
    public static EngagementQuery parse(Map<String, List<String>> params, List<String> dimensions, QueryLimits limits) {
        params.forEach((k, values) -> values.forEach(v -> {
            if (v.length() > limits.maxParamLength()) {
                throw new BadQueryException("parameter '" + k + "' is longer than " + limits.maxParamLength() + " characters");
            }
        }));
        LocalDate from = date(params, "from");
        LocalDate to = date(params, "to");
        for (LocalDate d : List.of(from, to)) {
            if (d.isBefore(FIRST_DATE) || d.isAfter(LAST_DATE)) {
                throw new BadQueryException("dates must lie between " + FIRST_DATE + " and " + LAST_DATE + ", got " + d);
            }
        }
        if (from.isAfter(to)) {
            throw new BadQueryException("'from' (" + from + ") is after 'to' (" + to + ")");
        }
        long days = ChronoUnit.DAYS.between(from, to) + 1;
        if (days > limits.maxRangeDays()) {
            throw new BadQueryException("the range has " + days + " days; the maximum is " + limits.maxRangeDays());
        }
        Set<Metric> metrics = EnumSet.noneOf(Metric.class);
        List<String> metricNames = commaSeparated(params.get("metrics"));
        if (metricNames.isEmpty()) {
            metrics.addAll(List.of(Metric.DAU, Metric.WAU, Metric.MAU, Metric.ER, Metric.ER_SMOOTHED));
        } else {
            metricNames.forEach(m -> metrics.add(Metric.parse(m)));
        }
        List<String> groupBy = new ArrayList<>(new LinkedHashSet<>(commaSeparated(params.get("groupBy"))));
        for (String g : groupBy) {
            if (!dimensions.contains(g)) {
                throw new BadQueryException("unknown groupBy dimension '" + g + "' (dimensions: " + dimensions + ")");
            }
        }
        Map<String, Set<String>> filters = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            if (RESERVED.contains(e.getKey())) {
                continue;
            }
            if (!dimensions.contains(e.getKey())) {
                throw new BadQueryException("unknown parameter or dimension '" + e.getKey() + "' (dimensions: "
                    + dimensions + "; parameters: from, to, metrics, groupBy)");
            }
            List<String> values = commaSeparated(e.getValue());
            if (values.isEmpty()) {
                throw new BadQueryException("filter '" + e.getKey() + "' has no values");
            }
            filters.put(e.getKey(), new TreeSet<>(values));
        }
        return new EngagementQuery(from, to, metrics, groupBy, filters);
    }

    private static LocalDate date(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty() || values.get(0).isBlank()) {
            throw new BadQueryException("missing '" + name + "' (a date, YYYY-MM-DD)");
        }
        if (values.size() > 1) {
            throw new BadQueryException("'" + name + "' is given more than once");
        }
        try {
            return LocalDate.parse(values.get(0).trim());
        } catch (DateTimeParseException e) {
            throw new BadQueryException("'" + name + "' is not a date (YYYY-MM-DD): '" + values.get(0) + "'");
        }
    }

    /** A parameter's values, each split at commas, trimmed, empty ones left out. */
    static List<String> commaSeparated(List<String> raw) {
        List<String> out = new ArrayList<>();
        if (raw != null) {
            for (String v : raw) {
                for (String part : v.split(",", -1)) {
                    String t = part.trim();
                    if (!t.isEmpty()) {
                        out.add(t);
                    }
                }
            }
        }
        return out;
    }

    /** Canonical parameters of this query (for forwarding to other instances and cache keys). */
    public Map<String, List<String>> toParams() {
        Map<String, List<String>> p = new TreeMap<>();
        p.put("from", List.of(from.toString()));
        p.put("to", List.of(to.toString()));
        p.put("metrics", List.of(String.join(",", metrics.stream().map(Metric::jsonName).toList())));
        if (!groupBy.isEmpty()) {
            p.put("groupBy", List.of(String.join(",", groupBy)));
        }
        filters.forEach((k, v) -> p.put(k, List.of(String.join(",", v))));
        return p;
    }
}
