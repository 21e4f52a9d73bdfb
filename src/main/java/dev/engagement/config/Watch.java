package dev.engagement.config;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A watched segment, {@code engagement.watch.<name>=<filter>}: a filter whose DAU, MAU and ER are
 * published as Prometheus gauges, labelled with the watch's name.
 *
 * <p>The filter has the query-string form of {@code /v1/engagement}'s dimension parameters:
 * {@code dim=v1,v2&dim2=v3}, percent-encoded as in a URL ({@code +} is a space). A dimension given
 * twice adds values, as in a request; an empty filter watches every segment.
 *
 * @param name    the watch's name: 1 to 64 letters, digits, {@code _} or {@code -} (a label value)
 * @param filters for each named dimension, the allowed values; sorted by dimension and by value
 */
public record Watch(String name, Map<String, Set<String>> filters) {

    /** The prefix of watch keys. */
    public static final String PREFIX = "engagement.watch.";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    /** Parameters of {@code /v1/engagement} that are not filters: a watch chooses no range or metric. */
    private static final Set<String> NOT_FILTERS = Set.of("from", "to", "metrics", "groupBy");

    public Watch {
        Map<String, Set<String>> sorted = new TreeMap<>();
        filters.forEach((k, v) -> sorted.put(k, Collections.unmodifiableSortedSet(new TreeSet<>(v))));
        filters = Collections.unmodifiableMap(sorted);
    }

    /**
     * Parses one {@code engagement.watch.<name>} setting.
     *
     * @param key        the whole key, {@code engagement.watch.<name>}
     * @param value      the filter, in query-string form
     * @param dimensions the configured dimensions: every filtered one must be among them
     * @throws ConfigException naming the key, for a bad name, a malformed filter, a parameter that is
     *                         not a filter, an unknown dimension or a dimension without values
     */
    static Watch parse(String key, String value, List<String> dimensions) {
        String name = key.substring(PREFIX.length());
        if (!NAME.matcher(name).matches()) {
            throw new ConfigException(key + ": the watch name '" + name
                + "' must be 1 to 64 letters, digits, '_' or '-' (it becomes the label watch=\"" + name + "\")");
        }
        Map<String, Set<String>> filters = new TreeMap<>();
        for (String pair : value.split("&")) {
            if (pair.isBlank()) {
                continue;
            }
            int eq = pair.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(key + ": '" + pair + "' is not dimension=value[,value...]"
                    + " (the filter has the query-string form of /v1/engagement, e.g. channel=release&os=Linux)");
            }
            String dimension = decode(key, pair.substring(0, eq)).trim();
            if (NOT_FILTERS.contains(dimension)) {
                throw new ConfigException(key + ": '" + dimension + "' is not a filter: a watch names only"
                    + " dimensions (its days and metrics are fixed)");
            }
            if (!dimensions.contains(dimension)) {
                throw new ConfigException(key + ": unknown dimension '" + dimension + "' (dimensions: " + dimensions + ")");
            }
            Set<String> values = filters.computeIfAbsent(dimension, d -> new TreeSet<>());
            for (String part : decode(key, pair.substring(eq + 1)).split(",", -1)) {
                String v = part.trim();
                if (!v.isEmpty()) {
                    values.add(v);
                }
            }
            if (values.isEmpty()) {
                throw new ConfigException(key + ": the filter on '" + dimension + "' has no values");
            }
        }
        return new Watch(name, filters);
    }

    private static String decode(String key, String text) {
        try {
            return URLDecoder.decode(text, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(key + ": malformed percent-encoding in '" + text + "'");
        }
    }
}
