package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The closed-day cache: closed days are scanned once per (partition, filter, groupBy), open days every time. */
class PartitionQueryTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 3, 1));
    private static final int CLOSED = FIRST + 7;
    private static final int LAST = FIRST + 9;

    private static byte[] sketch(int from, int count) {
        HllSketch s = new Sketches(12).newLive();
        for (int i = from; i < from + count; i++) {
            s.update("c" + i);
        }
        return Sketches.toBytes(s);
    }

    /** Ten days, days 0..7 closed, two segments a day. */
    private static MemoryPartitionReader reader(int partition) {
        MemoryPartitionReader r = new MemoryPartitionReader(partition, CLOSED);
        for (int d = FIRST; d <= LAST; d++) {
            r.put(d, new String[] {"release", "Linux", "DE"}, sketch(d * 10, 50));
            r.put(d, new String[] {"beta", "Linux", "DE"}, sketch(d * 10 + 1000, 20));
        }
        return r;
    }

    private static EngagementQuery query(Map<String, Set<String>> filters, List<String> groupBy) {
        return new EngagementQuery(Days.toDate(FIRST), Days.toDate(LAST), EnumSet.of(Metric.DAU), groupBy, filters);
    }

    @Test
    void closedDaysAreReadOnceAndOpenDaysEveryTime() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        MemoryPartitionReader reader = reader(0);
        EngagementQuery q = query(Map.of("channel", Set.of("release")), List.of());

        PartitionAnswer first = pq.answer(q, reader);
        for (int d = FIRST; d <= LAST; d++) {
            assertThat(reader.scans(d)).as("first query, day %d", d - FIRST).isEqualTo(1);
        }
        assertThat(pq.cachedDays()).isEqualTo(CLOSED - FIRST + 1);

        PartitionAnswer second = pq.answer(q, reader);
        for (int d = FIRST; d <= CLOSED; d++) {
            assertThat(reader.scans(d)).as("closed day %d is cached", d - FIRST).isEqualTo(1);
        }
        for (int d = CLOSED + 1; d <= LAST; d++) {
            assertThat(reader.scans(d)).as("open day %d is read again", d - FIRST).isEqualTo(2);
        }
        assertThat(second.unions().keySet()).isEqualTo(first.unions().keySet());
        first.unions().forEach((gd, bytes) -> assertThat(second.unions().get(gd)).isEqualTo(bytes));
        assertThat(second.closedThrough()).isEqualTo(CLOSED);
        assertThat(second.firstDay()).isEqualTo(FIRST);
    }

    @Test
    void openDaysSeeNewDataAndCachedClosedDaysDoNot() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        MemoryPartitionReader reader = reader(0);
        EngagementQuery q = query(Map.of(), List.of());
        PartitionAnswer before = pq.answer(q, reader);

        // A new segment on an open day and (which never happens for real) on a closed day.
        reader.put(LAST, new String[] {"nightly", "Darwin", "US"}, sketch(50_000, 500));
        reader.put(FIRST, new String[] {"nightly", "Darwin", "US"}, sketch(50_000, 500));
        PartitionAnswer after = pq.answer(q, reader);

        PartitionAnswer.GroupDay last = new PartitionAnswer.GroupDay(List.of(), LAST);
        PartitionAnswer.GroupDay first = new PartitionAnswer.GroupDay(List.of(), FIRST);
        assertThat(estimate(after, last)).isGreaterThan(estimate(before, last) + 400);
        assertThat(after.unions().get(first)).as("closed day served from the cache").isEqualTo(before.unions().get(first));

        // A fresh PartitionQuery (no cache) does see it: the cache, not the reader, kept the old value.
        PartitionAnswer uncached = new PartitionQuery(Population.DIMENSIONS, 12, 1000).answer(q, reader);
        assertThat(estimate(uncached, first)).isGreaterThan(estimate(before, first) + 400);
    }

    @Test
    void whenDaysCloseLaterTheyAreCachedFromThen() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        MemoryPartitionReader reader = reader(0);
        EngagementQuery q = query(Map.of(), List.of());
        pq.answer(q, reader);
        reader.closedThrough(LAST);
        pq.answer(q, reader);
        pq.answer(q, reader);
        assertThat(reader.scans(LAST)).isEqualTo(2); // open once, then read when it closed, then cached
        assertThat(reader.scans(FIRST)).isEqualTo(1);
    }

    @Test
    void theCacheKeyIncludesPartitionFilterAndGroupBy() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        MemoryPartitionReader p0 = reader(0);
        MemoryPartitionReader p1 = reader(1);
        EngagementQuery release = query(Map.of("channel", Set.of("release")), List.of());
        EngagementQuery beta = query(Map.of("channel", Set.of("beta")), List.of());
        EngagementQuery byChannel = query(Map.of(), List.of("channel"));

        PartitionAnswer r0 = pq.answer(release, p0);
        pq.answer(release, p1);
        assertThat(p1.scans(FIRST)).as("another partition is not served from p0's cache").isEqualTo(1);

        PartitionAnswer b0 = pq.answer(beta, p0);
        assertThat(p0.scans(FIRST)).as("another filter is scanned").isEqualTo(2);
        PartitionAnswer.GroupDay day = new PartitionAnswer.GroupDay(List.of(), FIRST);
        assertThat(estimate(r0, day)).isCloseTo(50, Assertions.within(1.0));
        assertThat(estimate(b0, day)).isCloseTo(20, Assertions.within(1.0));

        PartitionAnswer g0 = pq.answer(byChannel, p0);
        assertThat(p0.scans(FIRST)).as("another groupBy is scanned").isEqualTo(3);
        assertThat(g0.unions().keySet()).contains(new PartitionAnswer.GroupDay(List.of("beta"), FIRST),
            new PartitionAnswer.GroupDay(List.of("release"), FIRST));

        // Each again: no new scans of closed days.
        int before = p0.scans(FIRST);
        pq.answer(release, p0);
        pq.answer(beta, p0);
        pq.answer(byChannel, p0);
        assertThat(p0.scans(FIRST)).isEqualTo(before);
    }

    @Test
    void theCacheIsBounded() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 3);
        MemoryPartitionReader reader = reader(0);
        EngagementQuery q = query(Map.of(), List.of());
        pq.answer(q, reader);
        assertThat(pq.cachedDays()).isEqualTo(3);
        pq.answer(q, reader);
        // Least recently used first: scanning days in order evicts each before it is read again.
        assertThat(reader.scans(FIRST)).isEqualTo(2);
    }

    @Test
    void theCacheIsBoundedInBytesToo() {
        PartitionQuery roomy = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        PartitionQuery tight = new PartitionQuery(Population.DIMENSIONS, 12, 1000, 64); // less than any day's unions
        EngagementQuery q = query(Map.of(), List.of("os"));
        roomy.answer(q, reader(0));
        tight.answer(q, reader(0));
        assertThat(roomy.cachedDays()).isEqualTo(CLOSED - FIRST + 1);
        assertThat(tight.cachedDays()).as("days whose unions fit in 64 bytes").isZero();
    }

    private static double estimate(PartitionAnswer answer, PartitionAnswer.GroupDay gd) {
        return Sketches.fromBytes(answer.unions().get(gd)).getEstimate();
    }

    @Test
    void theGroupLimitStopsAPartitionBeforeItBuildsMoreUnions() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        MemoryPartitionReader reader = reader(0);
        EngagementQuery q = query(Map.of(), List.of("channel"));
        PartitionAnswer all = pq.answer(q, reader);
        int groups = (int) all.unions().keySet().stream().map(PartitionAnswer.GroupDay::group).distinct().count();
        assertThat(groups).isEqualTo(2);
        assertThatThrownBy(() -> pq.answer(q, reader, groups - 1)).isInstanceOf(BadQueryException.class)
            .hasMessageContaining("more than " + (groups - 1) + " groups");
        Map<PartitionAnswer.GroupDay, byte[]> atTheLimit = pq.answer(q, reader, groups).unions();
        assertThat(atTheLimit.keySet()).isEqualTo(all.unions().keySet());
        all.unions().forEach((k, v) -> assertThat(atTheLimit.get(k)).isEqualTo(v));
    }

    @Test
    void aQueryPastItsDeadlineStops() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 1000);
        assertThatThrownBy(() -> pq.answer(query(Map.of(), List.of()), reader(0), 1000, System.nanoTime() - 1))
            .isInstanceOf(QueryTimeoutException.class).hasMessageContaining("time limit");
        assertThat(pq.answer(query(Map.of(), List.of()), reader(0), 1000, System.nanoTime() + 60_000_000_000L).unions())
            .isNotEmpty();
    }
}
