package dev.engagement.query;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
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
 * One releases question: the metrics of some versions of a release dimension at each age (days since
 * the version's release day), for the segments a filter allows.
 *
 * @param dimension   the release dimension (such as {@code app_version})
 * @param versions    the versions asked for, or empty for the newest {@link #DEFAULT_VERSIONS} releases
 * @param fromAge     the first age answered (0 is the release day)
 * @param toAge       the last age answered (inclusive)
 * @param metrics     what to compute
 * @param releaseDays release days given by the caller ({@code release.<version>=YYYY-MM-DD}), which
 *                    replace the ones found in the data
 * @param compareAge  the age of the comparison block, or null for the newer version's current age
 *                    clamped into the ages
 * @param filters     for each named dimension (never the release dimension), the allowed values;
 *                    sorted by dimension and by value
 */
public record ReleaseQuery(String dimension, List<String> versions, int fromAge, int toAge, Set<ReleaseMetric> metrics,
                           Map<String, LocalDate> releaseDays, Integer compareAge, Map<String, Set<String>> filters) {

    /** Versions answered when none are named: the newest three releases (not pre-releases) by release day. */
    public static final int DEFAULT_VERSIONS = 3;
    /** The most versions one query may name. */
    public static final int MAX_VERSIONS = 20;
    /** Ages answered when none are given: the first 28 days, as a 28-day MAU window. */
    public static final int DEFAULT_TO_AGE = 27;
    /** The prefix of a given release day's parameter: {@code release.<version>=YYYY-MM-DD}. */
    public static final String RELEASE_PREFIX = "release.";

    /** Parameters that are not dimension filters (besides {@code release.<version>}). */
    public static final Set<String> RESERVED = Set.of("dimension", "versions", "ages", "metrics", "compareAge");

    public ReleaseQuery {
        versions = List.copyOf(versions);
        metrics = Collections.unmodifiableSet(EnumSet.copyOf(metrics));
        releaseDays = Collections.unmodifiableMap(new TreeMap<>(releaseDays));
        Map<String, Set<String>> sorted = new TreeMap<>();
        filters.forEach((k, v) -> sorted.put(k, Collections.unmodifiableSortedSet(new TreeSet<>(v))));
        filters = Collections.unmodifiableMap(sorted);
    }

    /**
     * Parses HTTP-style parameters: {@code dimension}, {@code versions} (comma-separated),
     * {@code ages} ({@code A..B} or {@code A}), {@code metrics}, {@code compareAge},
     * {@code release.<version>=YYYY-MM-DD}, and one parameter per filtered dimension.
     *
     * @param dimensions       the configured dimensions
     * @param defaultDimension the release dimension when none is given ({@code engagement.release.dimension})
     * @throws BadQueryException naming the first problem found
     */
    public static ReleaseQuery parse(Map<String, List<String>> params, List<String> dimensions, String defaultDimension,
                                     QueryLimits limits) {
        params.forEach((k, values) -> values.forEach(v -> {
            if (v.length() > limits.maxParamLength()) {
                throw new BadQueryException("parameter '" + k + "' is longer than " + limits.maxParamLength() + " characters");
            }
        }));
        String dimension = single(params, "dimension");
        if (dimension == null) {
            dimension = defaultDimension;
        }
        if (!dimensions.contains(dimension)) {
            throw new BadQueryException("unknown release dimension '" + dimension + "' (dimensions: " + dimensions
                + "; name one with 'dimension', or set engagement.release.dimension)");
        }
        List<String> versions = new ArrayList<>(new LinkedHashSet<>(EngagementQuery.commaSeparated(params.get("versions"))));
        if (params.containsKey("versions") && versions.isEmpty()) {
            throw new BadQueryException("'versions' names no version (leave it out for the newest "
                + DEFAULT_VERSIONS + ")");
        }
        if (versions.size() > MAX_VERSIONS) {
            throw new BadQueryException("'versions' names " + versions.size() + " versions; the maximum is " + MAX_VERSIONS);
        }
        int maxAge = limits.maxRangeDays() - 1;
        int fromAge = 0;
        int toAge = DEFAULT_TO_AGE;
        String ages = single(params, "ages");
        if (ages != null) {
            int dots = ages.indexOf("..");
            try {
                if (dots < 0) {
                    fromAge = toAge = Integer.parseInt(ages.trim());
                } else {
                    fromAge = Integer.parseInt(ages.substring(0, dots).trim());
                    toAge = Integer.parseInt(ages.substring(dots + 2).trim());
                }
            } catch (NumberFormatException e) {
                throw new BadQueryException("'ages' must be A..B or A, whole days since the release day (such as 0..27), got '"
                    + ages + "'");
            }
            if (fromAge < 0 || toAge > maxAge || fromAge > toAge) {
                throw new BadQueryException("'ages' must satisfy 0 <= A <= B <= " + maxAge + ", got '" + ages + "'");
            }
        }
        Set<ReleaseMetric> metrics = EnumSet.noneOf(ReleaseMetric.class);
        List<String> metricNames = EngagementQuery.commaSeparated(params.get("metrics"));
        if (metricNames.isEmpty()) {
            metrics.addAll(EnumSet.allOf(ReleaseMetric.class));
        } else {
            metricNames.forEach(m -> metrics.add(ReleaseMetric.parse(m)));
        }
        Integer compareAge = null;
        String compare = single(params, "compareAge");
        if (compare != null) {
            try {
                compareAge = Integer.parseInt(compare.trim());
            } catch (NumberFormatException e) {
                throw new BadQueryException("'compareAge' must be a whole number of days, got '" + compare + "'");
            }
            if (compareAge < fromAge || compareAge > toAge) {
                throw new BadQueryException("'compareAge' (" + compareAge + ") must lie within 'ages' (" + fromAge + ".."
                    + toAge + ")");
            }
        }
        Map<String, LocalDate> releaseDays = new TreeMap<>();
        Map<String, Set<String>> filters = new TreeMap<>();
        for (Map.Entry<String, List<String>> e : params.entrySet()) {
            String key = e.getKey();
            if (RESERVED.contains(key)) {
                continue;
            }
            if (key.startsWith(RELEASE_PREFIX)) {
                String version = key.substring(RELEASE_PREFIX.length()).trim();
                if (version.isEmpty()) {
                    throw new BadQueryException("'" + key + "' names no version (use release.<version>=YYYY-MM-DD)");
                }
                releaseDays.put(version, date(e.getValue(), key));
                continue;
            }
            if (key.equals(dimension)) {
                throw new BadQueryException("'" + key + "' is the release dimension: choose versions with 'versions', not a"
                    + " filter");
            }
            if (!dimensions.contains(key)) {
                throw new BadQueryException("unknown parameter or dimension '" + key + "' (dimensions: " + dimensions
                    + "; parameters: dimension, versions, ages, metrics, compareAge, release.<version>)");
            }
            List<String> values = EngagementQuery.commaSeparated(e.getValue());
            if (values.isEmpty()) {
                throw new BadQueryException("filter '" + key + "' has no values");
            }
            filters.put(key, new TreeSet<>(values));
        }
        return new ReleaseQuery(dimension, versions, fromAge, toAge, metrics, releaseDays, compareAge, filters);
    }

    private static String single(Map<String, List<String>> params, String name) {
        List<String> values = params.get(name);
        if (values == null || values.isEmpty()) {
            return null;
        }
        if (values.size() > 1) {
            throw new BadQueryException("'" + name + "' is given more than once");
        }
        String v = values.get(0).trim();
        if (v.isEmpty()) {
            throw new BadQueryException("'" + name + "' is empty");
        }
        return v;
    }

    private static LocalDate date(List<String> values, String name) {
        if (values.size() > 1) {
            throw new BadQueryException("'" + name + "' is given more than once");
        }
        String text = values.get(0).trim();
        LocalDate d;
        try {
            d = LocalDate.parse(text);
        } catch (DateTimeParseException e) {
            throw new BadQueryException("'" + name + "' is not a date (YYYY-MM-DD): '" + text + "'");
        }
        if (d.isBefore(EngagementQuery.FIRST_DATE) || d.isAfter(EngagementQuery.LAST_DATE)) {
            throw new BadQueryException("dates must lie between " + EngagementQuery.FIRST_DATE + " and "
                + EngagementQuery.LAST_DATE + ", got " + d);
        }
        return d;
    }
}
