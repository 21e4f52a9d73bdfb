package dev.engagement.query;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Another instance's request for this instance's partition answers (scatter-gather): the engagement
 * query, the partitions it wants from here, and the group limit per partition and day.
 *
 * @param query      the engagement query
 * @param partitions the partitions wanted (sorted)
 * @param maxGroups  the most groups one partition's day may have
 */
public record PartialsQuery(EngagementQuery query, Set<Integer> partitions, int maxGroups) {

    public PartialsQuery {
        partitions = Collections.unmodifiableSet(new TreeSet<>(partitions));
    }

    /**
     * Parses {@code partitions=0,3} (comma-separated, may repeat; none: no partitions),
     * {@code maxGroups=N} (default: the limits' group limit) and the engagement query's own
     * parameters.
     *
     * @throws BadQueryException for a bad parameter
     */
    public static PartialsQuery parse(Map<String, List<String>> params, List<String> dimensions, QueryLimits limits) {
        Map<String, List<String>> rest = new LinkedHashMap<>(params);
        List<String> raw = rest.remove("partitions");
        Set<Integer> partitions = new TreeSet<>();
        if (raw != null) {
            for (String list : raw) {
                for (String p : list.split(",")) {
                    try {
                        partitions.add(Integer.parseInt(p.trim()));
                    } catch (NumberFormatException e) {
                        throw new BadQueryException("'partitions' must be integers");
                    }
                }
            }
        }
        int maxGroups = limits.maxGroups();
        List<String> rawMax = rest.remove("maxGroups");
        if (rawMax != null && !rawMax.isEmpty()) {
            try {
                maxGroups = Integer.parseInt(rawMax.get(0));
            } catch (NumberFormatException e) {
                throw new BadQueryException("'maxGroups' must be an integer");
            }
        }
        return new PartialsQuery(EngagementQuery.parse(rest, dimensions, limits), partitions, maxGroups);
    }
}
