package dev.engagement.query;

import dev.engagement.ping.Days;

import com.github.benmanes.caffeine.cache.Ticker;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link Dimensions} over in-memory partitions of a random population, checked against its exact
 * client sets; its default answer's age read from a test ticker (no sleeps).
 */
class DimensionsTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 1, 1));
    private static final int DAYS = 40;
    private static final int PARTITIONS = 4;
    private static final LocalDate NEWEST = Days.toDate(FIRST + DAYS - 1);

    private static Population population;

    private final AtomicInteger calls = new AtomicInteger();
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final FakeTicker ticker = new FakeTicker();

    @BeforeAll
    static void build() {
        population = new Population(FIRST, DAYS, 12_000, PARTITIONS, FIRST + 37, 11);
    }

    /** The population's answers over every partition without a group limit, counting the calls. */
    private Function<EngagementQuery, EngagementAnswer> source() {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 10_000);
        Answers answers = new Answers(12, QueryLimits.DEFAULTS).withoutGroupLimit();
        return q -> {
            calls.incrementAndGet();
            RuntimeException e = failure.getAndSet(null);
            if (e != null) {
                throw e;
            }
            List<PartitionAnswer> parts = new ArrayList<>();
            for (MemoryPartitionReader r : population.partitions) {
                parts.add(pq.answer(q, r));
            }
            return answers.answer(q, parts, PARTITIONS);
        };
    }

    private Dimensions dimensions(AtomicReference<LocalDate> newest) {
        return new Dimensions(source(), newest::get, Population.DIMENSIONS, ticker);
    }

    @Test
    void eachDimensionsValuesComeMostClientsFirstWithTheir28DayClients() {
        DimensionsAnswer a = dimensions(new AtomicReference<>(NEWEST)).answer(OptionalInt.empty());
        assertThat(a.day()).isEqualTo(NEWEST);
        assertThat(a.dimensions()).extracting(DimensionsAnswer.Dimension::name).containsExactlyElementsOf(Population.DIMENSIONS);
        int newest = Days.of(NEWEST);
        for (DimensionsAnswer.Dimension d : a.dimensions()) {
            int index = Population.DIMENSIONS.indexOf(d.name());
            List<String> seen = new ArrayList<>();
            population.exact.keySet().forEach(s -> {
                if (!seen.contains(s.get(index))) {
                    seen.add(s.get(index));
                }
            });
            assertThat(d.distinctValues()).as(d.name()).isEqualTo(seen.size());
            assertThat(d.values()).extracting(DimensionsAnswer.Value::value).as(d.name())
                .containsExactlyInAnyOrderElementsOf(seen);
            long previous = Long.MAX_VALUE;
            for (DimensionsAnswer.Value v : d.values()) {
                double exact = population.clients(s -> s.get(index).equals(v.value()), newest - 27, newest).size();
                assertThat((double) v.clients()).as("%s=%s", d.name(), v.value())
                    .isBetween(exact * 0.95 - 5, exact * 1.05 + 5);
                assertThat(v.clients()).as("most clients first").isLessThanOrEqualTo(previous);
                previous = v.clients();
            }
        }
        // The skew makes the first value of each dimension the largest by far, exactly too.
        assertThat(a.dimensions().get(0).values().get(0).value()).isEqualTo("release");
        assertThat(a.dimensions().get(1).values().get(0).value()).isEqualTo("Linux");
        assertThat(a.dimensions().get(2).values().get(3).value()).isEqualTo("IS");
    }

    @Test
    void aLimitKeepsTheTopValuesAndCountsThemAll() {
        Dimensions dims = dimensions(new AtomicReference<>(NEWEST));
        DimensionsAnswer all = dims.answer(OptionalInt.of(1000));
        DimensionsAnswer top = dims.answer(OptionalInt.of(2));
        for (int i = 0; i < all.dimensions().size(); i++) {
            DimensionsAnswer.Dimension full = all.dimensions().get(i);
            assertThat(top.dimensions().get(i).values()).isEqualTo(full.values().subList(0, 2));
            assertThat(top.dimensions().get(i).distinctValues()).isEqualTo(full.distinctValues()).isGreaterThan(2);
        }
    }

    @Test
    void withNoDataEveryDimensionHasNoValuesAndNothingIsAsked() {
        DimensionsAnswer a = dimensions(new AtomicReference<>(null)).answer(OptionalInt.empty());
        assertThat(a.day()).isNull();
        assertThat(a.dimensions()).extracting(DimensionsAnswer.Dimension::name).containsExactlyElementsOf(Population.DIMENSIONS);
        assertThat(a.dimensions()).allSatisfy(d -> {
            assertThat(d.values()).isEmpty();
            assertThat(d.distinctValues()).isZero();
        });
        assertThat(calls.get()).isZero();
    }

    @Test
    void theDefaultAnswerIsKeptForItsMaxAgeAndAGivenLimitIsAlwaysComputed() {
        AtomicReference<LocalDate> newest = new AtomicReference<>(NEWEST.minusDays(1));
        Dimensions dims = dimensions(newest);
        int perAnswer = Population.DIMENSIONS.size();

        DimensionsAnswer first = dims.answer(OptionalInt.empty());
        assertThat(calls.get()).isEqualTo(perAnswer);
        newest.set(NEWEST);
        ticker.advance(Dimensions.MAX_AGE.minusNanos(1));
        assertThat(dims.answer(OptionalInt.empty())).as("kept").isSameAs(first);
        assertThat(calls.get()).isEqualTo(perAnswer);

        DimensionsAnswer limited = dims.answer(OptionalInt.of(Dimensions.DEFAULT_LIMIT));
        assertThat(limited.day()).as("a given limit is computed now").isEqualTo(NEWEST);
        assertThat(calls.get()).isEqualTo(2 * perAnswer);

        ticker.advance(Duration.ofNanos(1));
        DimensionsAnswer fresh = dims.answer(OptionalInt.empty());
        assertThat(fresh.day()).as("recomputed once MAX_AGE has passed").isEqualTo(NEWEST);
        assertThat(fresh).isEqualTo(limited);
        assertThat(calls.get()).isEqualTo(3 * perAnswer);
    }

    @Test
    void aFailedComputationIsNotKept() {
        Dimensions dims = dimensions(new AtomicReference<>(NEWEST));
        failure.set(new QueryTimeoutException("too slow"));
        assertThatThrownBy(() -> dims.answer(OptionalInt.empty())).isInstanceOf(QueryTimeoutException.class);
        DimensionsAnswer a = dims.answer(OptionalInt.empty());
        assertThat(a.day()).isEqualTo(NEWEST);
        assertThat(a.dimensions().get(0).values()).isNotEmpty();
    }

    @Test
    void theLimitParameterIsAnIntegerFromOneToTheMaximum() {
        assertThat(Dimensions.parseLimit(Map.of())).isEmpty();
        assertThat(Dimensions.parseLimit(Map.of("limit", List.of("1")))).hasValue(1);
        assertThat(Dimensions.parseLimit(Map.of("limit", List.of("1000")))).hasValue(1000);
        assertThatThrownBy(() -> Dimensions.parseLimit(Map.of("limit", List.of("ten"))))
            .isInstanceOf(BadQueryException.class).hasMessage("'limit' is not an integer");
        assertThatThrownBy(() -> Dimensions.parseLimit(Map.of("limit", List.of(""))))
            .isInstanceOf(BadQueryException.class).hasMessage("'limit' is not an integer");
        for (String bad : List.of("0", "-3", "1001")) {
            assertThatThrownBy(() -> Dimensions.parseLimit(Map.of("limit", List.of(bad)))).as(bad)
                .isInstanceOf(BadQueryException.class).hasMessage("'limit' must be between 1 and 1000");
        }
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
    void sketchesWrittenWithoutADimensionAreNoValueOfItAndTheDimensionSaysSo() {
        // As after adding Population.DIMENSIONS' first dimension to engagement.dimensions: some
        // sketches of the 28 days were written without it and group as not recorded.
        String added = Population.DIMENSIONS.get(0);
        Function<EngagementQuery, EngagementAnswer> real = source();
        Function<EngagementQuery, EngagementAnswer> withGap = q -> {
            EngagementAnswer a = real.apply(q);
            if (!q.groupBy().equals(List.of(added))) {
                return a;
            }
            List<EngagementAnswer.Row> rows = new ArrayList<>(a.rows());
            EngagementAnswer.Row top = rows.get(0);
            rows.add(new EngagementAnswer.Row(Map.of(added, EngagementAnswer.NOT_RECORDED), top.day(), top.metrics(),
                top.dauClients(), top.mauClients(), false, false, List.of(added)));
            return new EngagementAnswer(q, rows, a.partitions(), a.partitionsAnswered(), false, List.of(),
                Map.of(added, List.of(top.day())));
        };
        DimensionsAnswer plain = dimensions(new AtomicReference<>(NEWEST)).answer(OptionalInt.of(1000));
        DimensionsAnswer gap = new Dimensions(withGap, () -> NEWEST, Population.DIMENSIONS, ticker)
            .answer(OptionalInt.of(1000));
        for (int i = 0; i < plain.dimensions().size(); i++) {
            DimensionsAnswer.Dimension before = plain.dimensions().get(i);
            DimensionsAnswer.Dimension after = gap.dimensions().get(i);
            assertThat(after.values()).as(after.name()).isEqualTo(before.values());
            assertThat(after.distinctValues()).isEqualTo(before.distinctValues());
            assertThat(after.notRecorded()).as(after.name()).isEqualTo(after.name().equals(added));
        }
    }
}
