package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;
import dev.engagement.store.Layouts;
import dev.engagement.store.SegmentDayKey;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import org.apache.datasketches.hll.HllSketch;
import org.apache.datasketches.hll.Union;
import org.apache.datasketches.memory.Memory;
import org.apache.kafka.common.utils.Bytes;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Computes one partition's {@link PartitionAnswer}: scans the days a query reads, keeps the
 * segments its filter allows, and unions them per (group, day) in store-key order. Each key is
 * read by dimension name through the list it was written under: a sketch whose list lacks a
 * filtered dimension is left out, one that lacks a grouped dimension is grouped as
 * {@link EngagementAnswer#NOT_RECORDED}, and either is reported for its day
 * ({@link PartitionAnswer#notRecorded}).
 *
 * <p>Per-(group, day) unions of closed days are cached: such a day never changes in its partition.
 * Thread-safe.
 */
public final class PartitionQuery {

    /** Default bound of the closed-day cache, in bytes of cached sketches. */
    public static final long DEFAULT_CACHE_BYTES = 256L << 20;

    private final List<String> dimensions;
    private final Sketches sketches;
    private final Cache<String, DayUnions> closedDayCache;

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
            .weigher((String key, DayUnions unions) -> (int) Math.min(Integer.MAX_VALUE,
                Math.max(floor, weight(unions.unions()))))
            .executor(Runnable::run)
            .build();
    }

    private DayUnions cached(String key) {
        return closedDayCache.getIfPresent(key);
    }

    private void cache(String key, DayUnions unions) {
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
        Layouts layouts = reader.layouts();
        Scan scan = new Scan(query, layouts.isEmpty() ? dimensions : layouts.base(), layouts);
        String signature = reader.partition() + "|" + query.filters() + "|" + query.groupBy() + "|";

        Map<PartitionAnswer.GroupDay, byte[]> unions = new TreeMap<>();
        Map<Integer, Set<String>> notRecorded = new TreeMap<>();
        for (int day = first; day <= last; day++) {
            if (System.nanoTime() > deadlineNanos) {
                throw new QueryTimeoutException("the query ran past its time limit: narrow the range or the groups");
            }
            String cacheKey = signature + day;
            DayUnions dayUnions = day <= closedThrough ? cached(cacheKey) : null;
            if (dayUnions == null) {
                dayUnions = scan.day(reader, day, maxGroups, deadlineNanos);
                if (day <= closedThrough) {
                    cache(cacheKey, dayUnions);
                }
            } else if (dayUnions.unions().size() > maxGroups) {
                throw tooManyGroups(maxGroups);
            }
            for (Map.Entry<List<String>, byte[]> e : dayUnions.unions().entrySet()) {
                unions.put(new PartitionAnswer.GroupDay(e.getKey(), day), e.getValue());
            }
            if (!dayUnions.notRecorded().isEmpty()) {
                notRecorded.put(day, dayUnions.notRecorded());
            }
        }
        return new PartitionAnswer(reader.partition(), closedThrough, reader.firstDay(), unions, reader.standby(),
            notRecorded);
    }

    /**
     * One day's unions per group, and the query's dimensions that some of its sketches were
     * written without.
     */
    private record DayUnions(Map<List<String>, byte[]> unions, Set<String> notRecorded) {
    }

    /**
     * Where one dimension list puts the query's dimensions: the value index of each filter and
     * group-by dimension, -1 for one the list does not hold.
     */
    private record Plan(int[] filterIndex, int[] groupIndex, Set<String> missing, boolean excluded) {

        static Plan of(List<String> names, List<String> filterDims, List<String> groupBy) {
            Set<String> missing = new TreeSet<>();
            int[] filterIndex = new int[filterDims.size()];
            boolean excluded = false;
            for (int i = 0; i < filterIndex.length; i++) {
                filterIndex[i] = names.indexOf(filterDims.get(i));
                if (filterIndex[i] < 0) {
                    missing.add(filterDims.get(i));
                    excluded = true; // a filter on a value that was not recorded: never a match
                }
            }
            int[] groupIndex = new int[groupBy.size()];
            for (int i = 0; i < groupIndex.length; i++) {
                groupIndex[i] = names.indexOf(groupBy.get(i));
                if (groupIndex[i] < 0) {
                    missing.add(groupBy.get(i));
                }
            }
            return new Plan(filterIndex, groupIndex, Set.copyOf(missing), excluded);
        }
    }

    /**
     * One query's scan of a partition's days: each key is read by name, through the list its tag
     * says it was written under ({@link Layouts}).
     */
    private final class Scan {

        private final List<String> filterDims = new ArrayList<>();
        private final byte[][][] allowed;
        private final List<Set<String>> filterValues = new ArrayList<>();
        private final List<String> groupBy;
        private final List<String> base;
        private final Layouts layouts;
        private final Map<Integer, Plan> plans = new HashMap<>();

        Scan(EngagementQuery query, List<String> base, Layouts layouts) {
            query.filters().forEach((dim, values) -> {
                filterDims.add(dim);
                filterValues.add(values);
            });
            // Filters compare the key's UTF-8 bytes: only the group values of matching keys become strings.
            this.allowed = new byte[filterValues.size()][][];
            for (int i = 0; i < allowed.length; i++) {
                allowed[i] = filterValues.get(i).stream().map(v -> v.getBytes(StandardCharsets.UTF_8))
                    .toArray(byte[][]::new);
            }
            this.groupBy = query.groupBy();
            this.base = base;
            this.layouts = layouts;
        }

        private Plan plan(int tag) {
            return plans.computeIfAbsent(tag, t -> {
                List<String> names = t == SegmentDayKey.UNTAGGED ? base : layouts.namesOf(t);
                // A tag no list is recorded for is never written: such a key is left out, said so.
                return names == null ? new Plan(new int[0], new int[0], Set.copyOf(dimensionsAsked()), true)
                    : Plan.of(names, filterDims, groupBy);
            });
        }

        private List<String> dimensionsAsked() {
            List<String> all = new ArrayList<>(filterDims);
            all.addAll(groupBy);
            return all;
        }

        DayUnions day(PartitionReader reader, int day, int maxGroups, long deadlineNanos) {
            int[] seen = {0};
            Set<String> notRecorded = new TreeSet<>();
            Map<List<String>, Union> groups = new TreeMap<>(PartitionQuery::compareGroups);
            int maxWidth = Math.max(base.size(), layouts.history().stream()
                .mapToInt(s -> s.dimensions().size()).max().orElse(0));
            int[] offsets = new int[maxWidth];
            int[] lengths = new int[maxWidth];
            PartitionReader.Visitor visitor = (key, sketch) -> {
                if ((++seen[0] & 1023) == 0 && System.nanoTime() > deadlineNanos) {
                    throw new QueryTimeoutException("the query ran past its time limit: narrow the range or the groups");
                }
                Plan plan = plan(SegmentDayKey.tag(key));
                notRecorded.addAll(plan.missing());
                if (plan.excluded()) {
                    return;
                }
                int count = SegmentDayKey.valueBounds(key, offsets, lengths);
                for (int i = 0; i < plan.filterIndex().length; i++) {
                    int index = plan.filterIndex()[i];
                    if (index >= count || !anyEquals(allowed[i], key, offsets[index], lengths[index])) {
                        return;
                    }
                }
                List<String> group = new ArrayList<>(plan.groupIndex().length);
                for (int index : plan.groupIndex()) {
                    group.add(index < 0 ? EngagementAnswer.NOT_RECORDED
                        : index < count ? new String(key, offsets[index], lengths[index], StandardCharsets.UTF_8) : "");
                }
                Union union = groups.get(group);
                if (union == null) {
                    if (groups.size() >= maxGroups) {
                        throw tooManyGroups(maxGroups);
                    }
                    union = sketches.newUnion();
                    groups.put(group, union);
                }
                union.update(HllSketch.wrap(Memory.wrap(sketch)));
            };
            if (!layouts.mixed()) {
                scanLayout(reader, day, SegmentDayKey.UNTAGGED, base, visitor);
            } else {
                // Each list whose days include this one, in key order (tagged before untagged).
                Set<Integer> tags = new TreeSet<>();
                for (Layouts.Span span : layouts.history()) {
                    if ((span.fromDay() < 0 || span.fromDay() <= day) && (span.untilDay() < 0 || day <= span.untilDay())) {
                        tags.add(span.tag());
                    }
                }
                for (int tag : tags) {
                    scanLayout(reader, day, tag, tag == SegmentDayKey.UNTAGGED ? base : layouts.namesOf(tag), visitor);
                }
            }
            Map<List<String>, byte[]> out = new TreeMap<>(PartitionQuery::compareGroups);
            groups.forEach((g, u) -> out.put(List.copyOf(g), Sketches.toBytes(u.getResult(Sketches.STORED_TYPE))));
            return new DayUnions(out, Set.copyOf(notRecorded));
        }

        /**
         * Visits one list's keys of a day. A filter on the list's first dimension reads only its
         * values' key ranges; others read the list's part of the day.
         */
        private void scanLayout(PartitionReader reader, int day, int tag, List<String> names,
                                PartitionReader.Visitor visitor) {
            int first = names.isEmpty() ? -1 : filterDims.indexOf(names.get(0));
            if (tag == SegmentDayKey.UNTAGGED && !layouts.mixed()) {
                if (first >= 0) {
                    for (String value : new TreeSet<>(filterValues.get(first))) {
                        reader.scanFirstValue(day, value, visitor);
                    }
                } else {
                    reader.scan(day, day, visitor);
                }
                return;
            }
            // Untagged keys surround the tagged ones of their day: a range of them skips those.
            PartitionReader.Visitor own = (key, sketch) -> {
                if (SegmentDayKey.tag(key) == tag) {
                    visitor.visit(key, sketch);
                }
            };
            if (first >= 0) {
                for (String value : new TreeSet<>(filterValues.get(first))) {
                    byte[] prefix = SegmentDayKey.prefix(day, tag, value);
                    reader.scanRange(Bytes.wrap(prefix), Bytes.wrap(successor(prefix)), own);
                }
            } else {
                reader.scanRange(SegmentDayKey.layoutStart(day, tag), SegmentDayKey.layoutEnd(day, tag), own);
            }
        }
    }

    /**
     * The smallest key after every key that starts with {@code prefix}: its last byte is a UTF-8
     * byte or a length, never 0xFF, so adding one to it stays in range.
     */
    private static byte[] successor(byte[] prefix) {
        byte[] end = prefix.clone();
        end[end.length - 1]++;
        return end;
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
