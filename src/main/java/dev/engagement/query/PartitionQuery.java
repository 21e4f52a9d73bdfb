package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.SegmentDayKey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes one partition's {@link PartitionAnswer}: scans the days a query reads, keeps the
 * segments its filter allows, and unions them per (group, day) in store-key order.
 *
 * <p>Per-(group, day) unions of closed days are cached: such a day never changes in its partition.
 * Thread-safe.
 */
public final class PartitionQuery {

    /** Default bound of the closed-day cache, in bytes of cached sketches. */
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;

    private final List<String> dimensions;
    private final Sketches sketches;
    private final Cache<String, Map<List<String>, byte[]>> closedDayCache;

    /**
     * @param dimensions   the configured dimensions, in key order
     * @param lgK          sketch precision of unions
     * @param cacheEntries how many (partition, filter, groupBy, day) entries to keep at most
     */
    public PartitionQuery(List<String> dimensions, int lgK, int cacheEntries) {
        this(dimensions, lgK, cacheEntries, DEFAULT_CACHE_BYTES);
    }

    /**
     * @param cacheBytes how many bytes of cached sketches to keep at most (least recently used go first)
     */
    public PartitionQuery(List<String> dimensions, int lgK, int cacheEntries, long cacheBytes) {
        this.dimensions = List.copyOf(dimensions);
        this.sketches = new Sketches(lgK);
        // Both bounds in one weight: an entry weighs its bytes, and at least an even share of the
        // bytes per entry allowed, so neither more than cacheEntries entries nor more than cacheBytes
        // bytes are kept. Maintenance runs on the calling thread (no background pool).
        long floor = Math.max(1, cacheBytes / Math.max(1, cacheEntries));
        this.closedDayCache = Caffeine.newBuilder()
            .maximumWeight(cacheEntries == 0 ? 0 : cacheBytes)
            .weigher((String key, Map<List<String>, byte[]> unions) -> (int) Math.min(Integer.MAX_VALUE,
                Math.max(floor, weight(unions))))
            .executor(Runnable::run)
            .build();
    }

    private Map<List<String>, byte[]> cached(String key) {
        return closedDayCache.getIfPresent(key);
    }

    private void cache(String key, Map<List<String>, byte[]> unions) {
        closedDayCache.put(key, unions);
    }

    private static long weight(Map<List<String>, byte[]> unions) {
        long bytes = 64;
        for (Map.Entry<List<String>, byte[]> e : unions.entrySet()) {
            bytes += e.getValue().length + 64L * (1 + e.getKey().size());
        }
        return bytes;
    }

    /** Computes the answer of one partition, with no limit on groups. */
    public PartitionAnswer answer(EngagementQuery query, PartitionReader reader) {
        return answer(query, reader, Integer.MAX_VALUE);
    }

    /**
     * Computes the answer of one partition.
     *
     * @param maxGroups the most groups a day may have
     * @throws BadQueryException past {@code maxGroups}, before building more unions
     */
    public PartitionAnswer answer(EngagementQuery query, PartitionReader reader, int maxGroups) {
        return answer(query, reader, maxGroups, Long.MAX_VALUE);
    }

    /**
     * As {@link #answer(EngagementQuery, PartitionReader, int)}, stopping at a deadline.
     *
     * @param deadlineNanos a {@link System#nanoTime()} after which the query stops
     * @throws QueryTimeoutException past the deadline
     */
    public PartitionAnswer answer(EngagementQuery query, PartitionReader reader, int maxGroups, long deadlineNanos) {
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
            if (System.nanoTime() > deadlineNanos) {
                throw new QueryTimeoutException("the query ran past its time limit: narrow the range or the groups");
            }
            String cacheKey = signature + day;
            Map<List<String>, byte[]> dayUnions = day <= closedThrough ? cached(cacheKey) : null;
            if (dayUnions == null) {
                dayUnions = scanDay(reader, day, filterIndex, filterValues, groupIndex, maxGroups, deadlineNanos);
                if (day <= closedThrough) {
                    cache(cacheKey, dayUnions);
                }
            } else if (dayUnions.size() > maxGroups) {
                throw tooManyGroups(maxGroups);
            }
            for (Map.Entry<List<String>, byte[]> e : dayUnions.entrySet()) {
                unions.put(new PartitionAnswer.GroupDay(e.getKey(), day), e.getValue());
            }
        }
        return new PartitionAnswer(reader.partition(), closedThrough, reader.firstDay(), unions, reader.standby());
    }

    private Map<List<String>, byte[]> scanDay(PartitionReader reader, int day, int[] filterIndex,
                                             List<Set<String>> filterValues, int[] groupIndex, int maxGroups,
                                             long deadlineNanos) {
        int[] seen = {0};
        Map<List<String>, Union> groups = new TreeMap<>(PartitionQuery::compareGroups);
        // Filters compare the key's UTF-8 bytes: only the group values of matching keys become strings.
        byte[][][] allowed = new byte[filterValues.size()][][];
        for (int i = 0; i < allowed.length; i++) {
            allowed[i] = filterValues.get(i).stream().map(v -> v.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
        }
        int[] offsets = new int[dimensions.size()];
        int[] lengths = new int[dimensions.size()];
        PartitionReader.Visitor visitor = (key, sketch) -> {
            if ((++seen[0] & 1023) == 0 && System.nanoTime() > deadlineNanos) {
                throw new QueryTimeoutException("the query ran past its time limit: narrow the range or the groups");
            }
            int count = SegmentDayKey.valueBounds(key, offsets, lengths);
            for (int i = 0; i < filterIndex.length; i++) {
                int index = filterIndex[i];
                if (index < 0 || index >= count || !anyEquals(allowed[i], key, offsets[index], lengths[index])) {
                    return;
                }
            }
            List<String> group = new ArrayList<>(groupIndex.length);
            for (int index : groupIndex) {
                group.add(index < count ? new String(key, offsets[index], lengths[index], StandardCharsets.UTF_8) : "");
            }
            Union union = groups.get(group);
            if (union == null) {
                if (groups.size() >= maxGroups) {
                    throw tooManyGroups(maxGroups);
                }
                union = sketches.newUnion();
                groups.put(group, union);
            }
            union.update(HllSketch.wrap(
                Memory.wrap(sketch)));
        };
        // A filter on the first dimension reads only its values' key ranges; others read the day.
        int first = -1;
        for (int i = 0; i < filterIndex.length; i++) {
            if (filterIndex[i] == 0) {
                first = i;
            }
        }
        if (first >= 0) {
            for (String value : new TreeSet<>(filterValues.get(first))) {
                reader.scanFirstValue(day, value, visitor);
            }
        } else {
            reader.scan(day, day, visitor);
        }
        Map<List<String>, byte[]> out = new TreeMap<>(PartitionQuery::compareGroups);
        groups.forEach((g, u) -> out.put(List.copyOf(g), Sketches.toBytes(u.getResult(Sketches.STORED_TYPE))));
        return out;
    }

    private static boolean anyEquals(byte[][] candidates, byte[] key, int offset, int length) {
        for (byte[] candidate : candidates) {
            if (Arrays.equals(candidate, 0, candidate.length, key, offset, offset + length)) {
                return true;
            }
        }
        return false;
    }

    static int compareGroups(List<String> a, List<String> b) {
        return PartitionAnswer.GroupDay.compareGroups(a, b);
    }

    private static BadQueryException tooManyGroups(int maxGroups) {
        return new BadQueryException("the answer has more than " + maxGroups
            + " groups: filter more, or group by fewer dimensions");
    }

    /** How many closed-day unions are cached. */
    public int cachedDays() {
        closedDayCache.cleanUp();
        return (int) closedDayCache.estimatedSize();
    }
}
