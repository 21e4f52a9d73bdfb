package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.query.WatchedSegments.Day;
import dev.engagement.query.WatchedSegments.Reading;
import dev.engagement.sketch.Estimate;

import com.github.benmanes.caffeine.cache.Ticker;

import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watched segments' readings: the query layer's rows for the newest complete day and today, cached
 * for at most {@link WatchedSegments#MAX_AGE} on an injected ticker (no sleeps), failures cached too,
 * and a request that never waits past a computation's deadline.
 */
class WatchedSegmentsTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 6, 1));
    private static final int PARTITIONS = 3;
    private static final Executor DIRECT = Runnable::run;
    private static final Map<String, Set<String>> RELEASE = Map.of("channel", Set.of("release"));
    private static final Map<String, Set<String>> BETA_LINUX = Map.of("channel", Set.of("beta"), "os", Set.of("Linux"));

    private static Clock today(int day) {
        return Clock.fixed(Days.toDate(day).atTime(13, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
    }

    /** The query layer over an in-memory population, as QueryService answers with every partition read. */
    private static Function<EngagementQuery, EngagementAnswer> queryLayer(Population population) {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 10_000);
        Answers answers = new Answers(12, QueryLimits.DEFAULTS);
        return q -> {
            List<PartitionAnswer> parts = new ArrayList<>();
            for (MemoryPartitionReader reader : population.partitions) {
                parts.add(pq.answer(q, reader));
            }
            return answers.answer(q, parts, PARTITIONS);
        };
    }

    private static final class FakeTicker implements Ticker {
        final AtomicLong nanos = new AtomicLong(1_000_000_000L);

        @Override
        public long read() {
            return nanos.get();
        }

        void advance(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    @Test
    void readingsAreTheQueryLayersRowsForTheNewestCompleteDayAndToday() {
        int today = FIRST + 39;
        int closedThrough = FIRST + 35; // grace holds today-3 .. today open
        Population population = new Population(FIRST, 40, 6_000, PARTITIONS, closedThrough, 11);
        Function<EngagementQuery, EngagementAnswer> layer = queryLayer(population);
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE, "beta-linux", BETA_LINUX), layer,
            2, today(today), Duration.ZERO, DIRECT, new FakeTicker())) {
            assertThat(watched.names()).containsExactly("beta-linux", "release");
            for (String name : watched.names()) {
                Reading r = watched.reading(name).orElseThrow();
                // Each row equals the one-day answer of /v1/engagement's query for that filter and day.
                for (Day day : Day.values()) {
                    EngagementAnswer.Row row = r.row(day).orElseThrow();
                    EngagementQuery oneDay = new EngagementQuery(row.day(), row.day(), WatchedSegments.METRICS, List.of(),
                        watched.filters(name));
                    assertThat(row).as("%s %s", name, day).isEqualTo(layer.apply(oneDay).rows().get(0));
                    assertThat(row.metrics().keySet()).containsExactlyInAnyOrder(Metric.DAU, Metric.MAU, Metric.ER);
                }
                assertThat(r.complete().day()).isEqualTo(Days.toDate(closedThrough));
                assertThat(r.complete().complete()).isTrue();
                assertThat(r.current().day()).isEqualTo(Days.toDate(today));
                assertThat(r.current().complete()).isFalse();
                assertThat(r.complete().metrics().get(Metric.DAU).estimate()).isPositive();
            }
            // Different filters, different readings.
            assertThat(watched.reading("release").orElseThrow().complete().mauClients())
                .isGreaterThan(watched.reading("beta-linux").orElseThrow().complete().mauClients());
        }
    }

    @Test
    void noCompleteDayInTheLookbackLeavesOnlyToday() {
        int today = FIRST + 39;
        // Stream time stalled long ago: no day of the lookback is past grace.
        Population population = new Population(FIRST, 40, 2_000, PARTITIONS, today - 3 - WatchedSegments.LOOKBACK_DAYS - 1, 3);
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE), queryLayer(population), 2,
            today(today), Duration.ZERO, DIRECT, new FakeTicker())) {
            Reading r = watched.reading("release").orElseThrow();
            assertThat(r.row(Day.COMPLETE)).isEmpty();
            assertThat(r.row(Day.CURRENT)).hasValueSatisfying(row -> assertThat(row.day()).isEqualTo(Days.toDate(today)));
        }
        // Data younger than 28 days: MAU's window reaches before it, nothing is complete either.
        Population young = new Population(FIRST, 20, 2_000, PARTITIONS, FIRST + 16, 3);
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE), queryLayer(young), 2,
            today(FIRST + 19), Duration.ZERO, DIRECT, new FakeTicker())) {
            assertThat(watched.reading("release").orElseThrow().row(Day.COMPLETE)).isEmpty();
        }
    }

    /** Answers every query with one row per day; DAU's estimate is the number of the call, per watch. */
    private static final class CountingQuery implements Function<EngagementQuery, EngagementAnswer> {
        final Map<Map<String, Set<String>>, AtomicInteger> calls = new ConcurrentHashMap<>();
        volatile RuntimeException failure;
        volatile int partitionsAnswered = PARTITIONS;

        int calls(Map<String, Set<String>> filters) {
            AtomicInteger n = calls.get(filters);
            return n == null ? 0 : n.get();
        }

        @Override
        public EngagementAnswer apply(EngagementQuery q) {
            int call = calls.computeIfAbsent(q.filters(), f -> new AtomicInteger()).incrementAndGet();
            if (failure != null) {
                throw failure;
            }
            List<EngagementAnswer.Row> rows = new ArrayList<>();
            for (LocalDate d = q.from(); !d.isAfter(q.to()); d = d.plusDays(1)) {
                Map<Metric, Estimate> metrics = new EnumMap<>(Metric.class);
                metrics.put(Metric.DAU, new Estimate(call, call - 0.5, call + 0.5));
                metrics.put(Metric.MAU, new Estimate(1000, 990, 1010));
                metrics.put(Metric.ER, new Estimate(call / 1000.0, 0, 1));
                rows.add(new EngagementAnswer.Row(Map.of(), d, metrics, call, 1000, false, d.isBefore(q.to().minusDays(2))));
            }
            return new EngagementAnswer(q, rows, PARTITIONS, partitionsAnswered, false);
        }
    }

    private static double dau(WatchedSegments watched, String watch) {
        return watched.reading(watch).orElseThrow().current().metrics().get(Metric.DAU).estimate();
    }

    @Test
    void aReadingIsKeptForAtMostTenSecondsFromTheStartOfItsComputation() {
        CountingQuery query = new CountingQuery();
        FakeTicker ticker = new FakeTicker();
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE, "beta-linux", BETA_LINUX), query, 2,
            today(FIRST + 40), Duration.ZERO, DIRECT, ticker)) {
            assertThat(dau(watched, "release")).isEqualTo(1);
            // Asking for one watch computes the others too (side by side, on a real executor).
            assertThat(query.calls(RELEASE)).isEqualTo(1);
            assertThat(query.calls(BETA_LINUX)).isEqualTo(1);
            for (int i = 0; i < 50; i++) {
                assertThat(dau(watched, "release")).isEqualTo(1);
                assertThat(dau(watched, "beta-linux")).isEqualTo(1);
            }
            ticker.advance(WatchedSegments.MAX_AGE.minusNanos(1));
            assertThat(dau(watched, "release")).as("just under 10 s: still the first reading").isEqualTo(1);
            assertThat(query.calls(RELEASE)).isEqualTo(1);
            ticker.advance(Duration.ofNanos(1));
            assertThat(dau(watched, "release")).as("10 s: computed again").isEqualTo(2);
            assertThat(query.calls(RELEASE)).isEqualTo(2);
            assertThat(query.calls(BETA_LINUX)).isEqualTo(2);
            ticker.advance(Duration.ofSeconds(3));
            assertThat(dau(watched, "beta-linux")).isEqualTo(2);
            ticker.advance(Duration.ofSeconds(7));
            assertThat(dau(watched, "beta-linux")).isEqualTo(3);
        }
    }

    @Test
    void aFailureIsCachedLikeAValueAndRetriedAfterTheExpiry() {
        CountingQuery query = new CountingQuery();
        FakeTicker ticker = new FakeTicker();
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE), query, 2, today(FIRST + 40),
            Duration.ZERO, DIRECT, ticker)) {
            query.failure = new QueryTimeoutException("the query took longer than 30 s");
            for (int i = 0; i < 20; i++) {
                assertThat(watched.reading("release")).isEmpty();
            }
            assertThat(query.calls(RELEASE)).as("not retried on every request").isEqualTo(1);
            query.failure = null;
            ticker.advance(Duration.ofSeconds(9));
            assertThat(watched.reading("release")).isEmpty();
            ticker.advance(Duration.ofSeconds(1));
            assertThat(dau(watched, "release")).isEqualTo(2);

            // An answer without every partition would understate the segment: no reading either.
            query.partitionsAnswered = PARTITIONS - 1;
            ticker.advance(WatchedSegments.MAX_AGE);
            assertThat(watched.reading("release")).isEmpty();
            query.partitionsAnswered = PARTITIONS;
            ticker.advance(WatchedSegments.MAX_AGE);
            assertThat(dau(watched, "release")).isEqualTo(4);
        }
        assertThat(new WatchedSegments(Map.of(), query, 2, today(FIRST), Duration.ZERO, DIRECT, ticker)
            .reading("unknown")).isEmpty();
    }

    @Test
    void aRequestDoesNotWaitPastTheDeadlineAndTheLateResultServesTheNextOne() {
        CountingQuery query = new CountingQuery();
        FakeTicker ticker = new FakeTicker();
        List<Runnable> pending = new ArrayList<>();
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE), query, 2, today(FIRST + 40),
            Duration.ZERO, pending::add, ticker)) {
            assertThat(watched.reading("release")).as("not done by its deadline").isEmpty();
            assertThat(watched.reading("release")).isEmpty();
            assertThat(pending).as("one computation, however often asked").hasSize(1);
            pending.remove(0).run();
            assertThat(dau(watched, "release")).as("done later: the next request has it").isEqualTo(1);
            assertThat(query.calls(RELEASE)).isEqualTo(1);
        }
    }

    @Test
    void theLongestWaitIsTheQueryTimeoutWhenShorterThanFiveSeconds() {
        // The public constructor: a stuck computation must not hold a scrape longer than the query timeout.
        Function<EngagementQuery, EngagementAnswer> stuck = q -> {
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("interrupted");
        };
        try (WatchedSegments watched = new WatchedSegments(Map.of("release", RELEASE), stuck, 2, today(FIRST + 40),
            Duration.ofMillis(200))) {
            long start = System.nanoTime();
            // Not a timing test: only that the request returns (empty) while the query is still stuck.
            assertThat(watched.reading("release")).isEmpty();
            long tookMs = (System.nanoTime() - start) / 1_000_000;
            assertThat(tookMs).as("gave up long before the stuck query ends").isLessThan(30_000);
        }
    }
}
