package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;

import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Computes one partition's {@link PartitionAnswer}: scans the days a query reads, keeps the
 * segments its filter allows, and unions them per (group, day) in store-key order.
 *
 * <p>Per-(group, day) unions of closed days are cached: such a day never changes in its partition.
 * Thread-safe.
 */
public final class PartitionQuery {

    private final List<String> dimensions;
    private final Sketches sketches;
    private final Map<String, Map<List<String>, byte[]>> closedDayCache;

    /**
     * @param dimensions   the configured dimensions, in key order
     * @param lgK          sketch precision of unions
     * @param cacheEntries how many (partition, filter, groupBy, day) unions to keep
     */
    public PartitionQuery(List<String> dimensions, int lgK, int cacheEntries) {
        this.dimensions = List.copyOf(dimensions);
        this.sketches = new Sketches(lgK);
        this.closedDayCache = java.util.Collections.synchronizedMap(
            new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Map<List<String>, byte[]>> eldest) {
                    return size() > cacheEntries;
                }
            });
    }

    /** Computes the answer of one partition. */
    public PartitionAnswer answer(EngagementQuery query, PartitionReader reader) {
        int first = Days.of(query.firstDayRead());
        int last = Days.of(query.to());
        int closedThrough = reader.closedThrough();
        int[] filterIndex = new int[query.filters().size()];
        List<Set<String>> filterValues = new ArrayList<>();
        int f = 0;
        for (Map.Entry<String, Set<String>> e : query.filters().entrySet()) {
            filterIndex[f++] = dimensions.indexOf(e.getKey());
            filterValues.add(e.getValue());
        }
        int[] groupIndex = query.groupBy().stream().mapToInt(dimensions::indexOf).toArray();
        String signature = reader.partition() + "|" + query.filters() + "|" + query.groupBy() + "|";

        Map<PartitionAnswer.GroupDay, byte[]> unions = new TreeMap<>();
        for (int day = first; day <= last; day++) {
            String cacheKey = signature + day;
            Map<List<String>, byte[]> dayUnions = day <= closedThrough ? closedDayCache.get(cacheKey) : null;
            if (dayUnions == null) {
                dayUnions = scanDay(reader, day, filterIndex, filterValues, groupIndex);
                if (day <= closedThrough) {
                    closedDayCache.put(cacheKey, dayUnions);
                }
            }
            for (Map.Entry<List<String>, byte[]> e : dayUnions.entrySet()) {
                unions.put(new PartitionAnswer.GroupDay(e.getKey(), day), e.getValue());
            }
        }
        return new PartitionAnswer(reader.partition(), closedThrough, reader.firstDay(), unions);
    }

    private Map<List<String>, byte[]> scanDay(PartitionReader reader, int day, int[] filterIndex,
                                             List<Set<String>> filterValues, int[] groupIndex) {
        Map<List<String>, Union> groups = new TreeMap<>(PartitionQuery::compareGroups);
        reader.scan(day, day, (key, sketch) -> {
            String[] values = SegmentDayKey.values(key);
            for (int i = 0; i < filterIndex.length; i++) {
                int index = filterIndex[i];
                if (index < 0 || index >= values.length || !filterValues.get(i).contains(values[index])) {
                    return;
                }
            }
            List<String> group = new ArrayList<>(groupIndex.length);
            for (int index : groupIndex) {
                group.add(index < values.length ? values[index] : "");
            }
            groups.computeIfAbsent(group, g -> sketches.newUnion()).update(HllSketch.wrap(
                org.apache.datasketches.memory.Memory.wrap(sketch)));
        });
        Map<List<String>, byte[]> out = new TreeMap<>(PartitionQuery::compareGroups);
        groups.forEach((g, u) -> out.put(List.copyOf(g), Sketches.toBytes(u.getResult(Sketches.STORED_TYPE))));
        return out;
    }

    static int compareGroups(List<String> a, List<String> b) {
        return new PartitionAnswer.GroupDay(a, 0).compareTo(new PartitionAnswer.GroupDay(b, 0));
    }

    /** How many closed-day unions are cached. */
    public int cachedDays() {
        return closedDayCache.size();
    }
}
