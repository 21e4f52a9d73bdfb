package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Answers merged from in-memory partitions, checked against exact client sets. */
class AnswersTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 1, 1));
    private static final int DAYS = 40;
    private static final int PARTITIONS = 4;
    private static final int CLOSED_THROUGH = FIRST + 37;
    private static final Set<Metric> ALL = EnumSet.allOf(Metric.class);

    private static Population population;
    private static List<PartitionAnswer> parts;

    private final Answers answers = new Answers(12, QueryLimits.DEFAULTS);

    @BeforeAll
    static void build() {
        population = new Population(FIRST, DAYS, 12_000, PARTITIONS, CLOSED_THROUGH, 7);
    }

    private static LocalDate date(int offset) {
        return Days.toDate(FIRST + offset);
    }

    private static EngagementQuery query(int fromOffset, int toOffset, Set<Metric> metrics, List<String> groupBy,
                                         Map<String, Set<String>> filters) {
        return new EngagementQuery(date(fromOffset), date(toOffset), metrics, groupBy, filters);
    }

    private static List<PartitionAnswer> partitionAnswers(Population pop, EngagementQuery query) {
        PartitionQuery pq = new PartitionQuery(Population.DIMENSIONS, 12, 10_000);
        List<PartitionAnswer> out = new ArrayList<>();
        for (MemoryPartitionReader reader : pop.partitions) {
            out.add(pq.answer(query, reader));
        }
        return out;
    }

    private EngagementAnswer answer(EngagementQuery query) {
        return answers.answer(query, partitionAnswers(population, query), PARTITIONS);
    }

    /** Exact value of a metric for a row. */
    private static double exact(Population pop, EngagementQuery query, EngagementAnswer.Row row, Metric metric) {
        Predicate<List<String>> match = Population.matching(query, row.group());
        int d = Days.of(row.day());
        switch (metric) {
            case DAU:
                return pop.clients(match, d, d).size();
            case WAU:
                return pop.clients(match, d - 6, d).size();
            case MAU:
                return pop.clients(match, d - 27, d).size();
            case ER: {
                double mau = pop.clients(match, d - 27, d).size();
                return mau == 0 ? 0 : pop.clients(match, d, d).size() / mau;
            }
            case ER_SMOOTHED: {
                double mau = pop.clients(match, d - 27, d).size();
                double sum = 0;
                for (int i = d - 6; i <= d; i++) {
                    sum += pop.clients(match, i, i).size();
                }
                return mau == 0 ? 0 : sum / 7 / mau;
            }
            default:
                throw new AssertionError(metric);
        }
    }

    private static void assertWellFormed(EngagementAnswer.Row row) {
        row.metrics().forEach((m, e) -> assertThat(e.lower() <= e.estimate() && e.estimate() <= e.upper())
            .as("%s %s %s: lower <= estimate <= upper: %s", row.group(), row.day(), m, e).isTrue());
    }

    /**
     * Checks every metric of every row against the exact value: all within twice the bounds' width
     * (about 4 standard deviations), and at least {@code minCoverage} of them within the bounds.
     */
    private static void assertClose(Population pop, EngagementQuery query, EngagementAnswer answer, double minCoverage) {
        int inside = 0;
        int total = 0;
        for (EngagementAnswer.Row row : answer.rows()) {
            assertWellFormed(row);
            for (Map.Entry<Metric, Estimate> e : row.metrics().entrySet()) {
                double truth = exact(pop, query, row, e.getKey());
                Estimate est = e.getValue();
                double slack = (est.upper() - est.lower()) * 2 + 1e-9;
                assertThat(Math.abs(est.estimate() - truth)).as("%s %s %s: %s vs exact %s", row.group(), row.day(),
                    e.getKey(), est, truth).isLessThanOrEqualTo(Math.max(slack, 1e-6));
                total++;
                if (est.contains(truth)) {
                    inside++;
                }
            }
        }
        assertThat(total).isPositive();
        assertThat((double) inside / total).as("share of bounds containing the exact value").isGreaterThanOrEqualTo(minCoverage);
    }

    @Test
    void aFilteredQueryMatchesExactCountsEveryDay() {
        EngagementQuery q = query(27, 39, ALL, List.of(), Map.of("channel", Set.of("release")));
        EngagementAnswer a = answer(q);
        assertThat(a.rows()).hasSize(13);
        assertThat(a.rows()).extracting(EngagementAnswer.Row::group).containsOnly(Map.of());
        assertThat(a.rows()).extracting(EngagementAnswer.Row::day)
            .containsExactly(IntStream.rangeClosed(27, 39).mapToObj(AnswersTest::date).toArray(LocalDate[]::new));
        for (EngagementAnswer.Row row : a.rows()) {
            assertThat(row.metrics()).containsOnlyKeys(ALL);
            assertThat(row.dauClients()).isEqualTo(row.metrics().get(Metric.DAU).estimate());
            assertThat(row.mauClients()).isEqualTo(row.metrics().get(Metric.MAU).estimate());
            // Nested windows: DAU <= WAU <= MAU (the exact ones are, and the estimates are close).
            double dau = exact(population, q, row, Metric.DAU);
            double wau = exact(population, q, row, Metric.WAU);
            double mau = exact(population, q, row, Metric.MAU);
            assertThat(dau).isLessThan(wau);
            assertThat(wau).isLessThan(mau);
            assertThat(mau).isGreaterThan(1000); // a real test of the dense HLL mode
        }
        assertClose(population, q, a, 0.9);
    }

    @Test
    void groupByGivesOneRowPerGroupAndDayInValueOrder() {
        EngagementQuery q = query(30, 33, ALL, List.of("os"), Map.of());
        EngagementAnswer a = answer(q);
        List<String> oses = new ArrayList<>(new TreeSet<>(List.of(Population.OSES)));
        assertThat(a.rows()).hasSize(oses.size() * 4);
        for (int i = 0; i < a.rows().size(); i++) {
            EngagementAnswer.Row row = a.rows().get(i);
            assertThat(row.group()).isEqualTo(Map.of("os", oses.get(i / 4)));
            assertThat(row.day()).isEqualTo(date(30 + i % 4));
        }
        assertClose(population, q, a, 0.9);

        // Two dimensions: every (channel, country) that has data is a group.
        EngagementQuery q2 = query(35, 35, EnumSet.of(Metric.DAU, Metric.MAU), List.of("channel", "country"), Map.of());
        EngagementAnswer a2 = answer(q2);
        assertThat(a2.rows()).hasSize(Population.CHANNELS.length * Population.COUNTRIES.length);
        assertThat(a2.rows().get(0).group().keySet()).containsExactly("channel", "country");
        assertClose(population, q2, a2, 0.9);
    }

    @Test
    void multiValueFiltersUnionTheirSegments() {
        EngagementQuery q = query(28, 39, ALL, List.of("country"),
            Map.of("channel", Set.of("beta", "nightly"), "os", Set.of("Linux", "Darwin")));
        EngagementAnswer a = answer(q);
        assertThat(a.rows()).extracting(r -> r.group().get("country")).containsOnly(Population.COUNTRIES);
        assertClose(population, q, a, 0.9);
        // The union of two values is more than either alone.
        EngagementQuery beta = query(39, 39, EnumSet.of(Metric.MAU), List.of(), Map.of("channel", Set.of("beta")));
        EngagementQuery both = query(39, 39, EnumSet.of(Metric.MAU), List.of(), Map.of("channel", Set.of("beta", "nightly")));
        assertThat(answer(both).rows().get(0).mauClients()).isGreaterThan(answer(beta).rows().get(0).mauClients() * 1.2);
    }

    @Test
    void aFilterThatMatchesNothingGivesZeroRows() {
        EngagementQuery q = query(30, 31, ALL, List.of(), Map.of("country", Set.of("XX")));
        EngagementAnswer a = answer(q);
        assertThat(a.rows()).hasSize(2);
        for (EngagementAnswer.Row row : a.rows()) {
            row.metrics().values().forEach(e -> assertThat(e).isEqualTo(Estimate.ZERO));
            assertThat(row.lowSample()).isTrue();
        }
    }

    @Test
    void theAnswerDoesNotDependOnTheOrderPartitionsAnswerIn() {
        EngagementQuery q = query(25, 39, ALL, List.of("channel", "os"), Map.of());
        List<PartitionAnswer> in = partitionAnswers(population, q);
        EngagementAnswer reference = answers.answer(q, in, PARTITIONS);
        Random random = new Random(3);
        for (int i = 0; i < 5; i++) {
            List<PartitionAnswer> shuffled = new ArrayList<>(in);
            Collections.shuffle(shuffled, random);
            assertThat(answers.answer(q, shuffled, PARTITIONS)).isEqualTo(reference);
        }
        List<PartitionAnswer> reversed = new ArrayList<>(in);
        Collections.reverse(reversed);
        assertThat(answers.answer(q, reversed, PARTITIONS)).isEqualTo(reference);
    }

    @Test
    void rowsAreIncompleteWhenTheWindowStartsBeforeTheData() {
        EngagementAnswer a = answer(query(20, 30, ALL, List.of(), Map.of()));
        for (EngagementAnswer.Row row : a.rows()) {
            int offset = Days.of(row.day()) - FIRST;
            assertThat(row.complete()).as("day +%d", offset).isEqualTo(offset >= 27);
        }
        assertThat(a.complete()).isFalse();
        // With only DAU, nothing before the day is read: every closed day is complete.
        EngagementAnswer dau = answer(query(0, 5, EnumSet.of(Metric.DAU), List.of(), Map.of()));
        assertThat(dau.rows()).allMatch(EngagementAnswer.Row::complete);
        assertThat(dau.complete()).isTrue();
        // WAU reads 6 days back.
        EngagementAnswer wau = answer(query(0, 10, EnumSet.of(Metric.WAU), List.of(), Map.of()));
        assertThat(wau.rows()).extracting(EngagementAnswer.Row::complete)
            .containsExactly(false, false, false, false, false, false, true, true, true, true, true);
    }

    @Test
    void rowsAreIncompleteAfterClosedThrough() {
        EngagementAnswer a = answer(query(35, 39, ALL, List.of(), Map.of()));
        assertThat(a.rows()).extracting(EngagementAnswer.Row::complete).containsExactly(true, true, true, false, false);
        assertThat(a.complete()).isFalse();
        assertThat(answer(query(35, 37, ALL, List.of(), Map.of())).complete()).isTrue();

        // The earliest closedThrough of the partitions counts.
        EngagementQuery q = query(35, 37, ALL, List.of(), Map.of());
        List<PartitionAnswer> in = new ArrayList<>(partitionAnswers(population, q));
        PartitionAnswer p2 = in.get(2);
        in.set(2, new PartitionAnswer(p2.partition(), FIRST + 35, p2.firstDay(), p2.unions()));
        assertThat(answers.answer(q, in, PARTITIONS).rows()).extracting(EngagementAnswer.Row::complete)
            .containsExactly(true, false, false);
    }

    @Test
    void rowsAreIncompleteWhenPartitionsAreMissing() {
        EngagementQuery q = query(30, 35, ALL, List.of(), Map.of());
        List<PartitionAnswer> in = partitionAnswers(population, q);
        EngagementAnswer full = answers.answer(q, in, PARTITIONS);
        assertThat(full.complete()).isTrue();
        assertThat(full.partitionsAnswered()).isEqualTo(PARTITIONS);
        EngagementAnswer partial = answers.answer(q, in.subList(0, PARTITIONS - 1), PARTITIONS);
        assertThat(partial.partitions()).isEqualTo(PARTITIONS);
        assertThat(partial.partitionsAnswered()).isEqualTo(PARTITIONS - 1);
        assertThat(partial.complete()).isFalse();
        assertThat(partial.rows()).noneMatch(EngagementAnswer.Row::complete);
        // And the numbers are smaller: a quarter of the clients is missing.
        for (int i = 0; i < full.rows().size(); i++) {
            assertThat(partial.rows().get(i).mauClients()).isLessThan(full.rows().get(i).mauClients() * 0.9);
        }
        // Grouped, with no partition at all: no rows, and not complete either.
        EngagementQuery grouped = query(30, 35, ALL, List.of("country"), Map.of());
        EngagementAnswer empty = answers.answer(grouped, List.of(), PARTITIONS);
        assertThat(empty.rows()).isEmpty();
        assertThat(empty.complete()).isFalse();
        // A partition that holds no data at all does not hold days open.
        List<PartitionAnswer> withIdle = new ArrayList<>(in);
        PartitionAnswer p0 = in.get(0);
        withIdle.set(0, new PartitionAnswer(p0.partition(), -1, -1, Map.of()));
        assertThat(answers.answer(q, withIdle, PARTITIONS).rows()).allMatch(EngagementAnswer.Row::complete);
        // No partition at all.
        EngagementAnswer none = answers.answer(q, List.of(), PARTITIONS);
        assertThat(none.partitionsAnswered()).isZero();
        assertThat(none.complete()).isFalse();
        assertThat(none.rows()).hasSize(6).noneMatch(EngagementAnswer.Row::complete);
    }

    @Test
    void partitionsReadFromAStandbyAreNamedAndSurviveTheFanOut() throws Exception {
        EngagementQuery q = query(30, 35, ALL, List.of(), Map.of());
        List<PartitionAnswer> in = new ArrayList<>(partitionAnswers(population, q));
        assertThat(answers.answer(q, in, PARTITIONS).standbyPartitions()).isEmpty();
        for (int p : List.of(3, 1)) {
            PartitionAnswer live = in.get(p);
            in.set(p, new PartitionAnswer(live.partition(), live.closedThrough(), live.firstDay(), live.unions(), true));
        }
        // Between instances, as JSON: the flag travels with its partition.
        List<PartitionAnswer> received = PartitionAnswerCodec.decode(PartitionAnswerCodec.encode(in));
        assertThat(received).extracting(PartitionAnswer::standby).containsExactly(false, true, false, true);
        EngagementAnswer answer = answers.answer(q, received, PARTITIONS);
        assertThat(answer.standbyPartitions()).containsExactly(1, 3);
        // The numbers do not change for it: a standby's data is counted, only older.
        assertThat(answer.rows()).isEqualTo(answers.answer(q, partitionAnswers(population, q), PARTITIONS).rows());
        // An instance of an earlier version sends no flag: its answers read as live.
        List<PartitionAnswer> old = PartitionAnswerCodec.decode(
            "{\"partitions\":[{\"partition\":0,\"closedThrough\":-1,\"firstDay\":-1,\"unions\":[]}]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(old).singleElement().extracting(PartitionAnswer::standby).isEqualTo(false);
    }

    @Test
    void tooManyGroupsIsABadQuery() {
        Answers strict = new Answers(12, new QueryLimits(400, 8, 100, 2000));
        EngagementQuery nine = query(30, 30, ALL, List.of("channel", "os"), Map.of());
        assertThatThrownBy(() -> strict.answer(nine, partitionAnswers(population, nine), PARTITIONS))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("9 groups; the maximum is 8");
        EngagementQuery three = query(30, 30, ALL, List.of("channel"), Map.of());
        assertThat(strict.answer(three, partitionAnswers(population, three), PARTITIONS).rows()).hasSize(3);
    }

    @Test
    void smallSegmentsAreLowSample() {
        EngagementQuery q = query(30, 39, ALL, List.of("country"), Map.of());
        EngagementAnswer a = answer(q);
        for (EngagementAnswer.Row row : a.rows()) {
            double mau = exact(population, q, row, Metric.MAU);
            boolean tiny = row.group().get("country").equals("IS");
            assertThat(mau).as("test data: IS is tiny, the rest big").matches(m -> tiny ? m < 80 : m > 500);
            assertThat(row.lowSample()).as(row.group() + " " + row.day()).isEqualTo(tiny);
        }
        // Without a ratio, the metric itself is the denominator: WAU of IS is small too, DAU of DE is not.
        EngagementQuery wau = query(39, 39, EnumSet.of(Metric.WAU), List.of("country"), Map.of());
        assertThat(answer(wau).rows()).allMatch(r -> r.lowSample() == r.group().get("country").equals("IS"));
        assertThat(answer(wau).rows()).allMatch(r -> r.mauClients() == -1);
        // The threshold is configurable.
        Answers lenient = new Answers(12, new QueryLimits(400, 1000, 5, 2000));
        EngagementQuery is = query(39, 39, ALL, List.of(), Map.of("country", Set.of("IS")));
        assertThat(lenient.answer(is, partitionAnswers(population, is), PARTITIONS).rows().get(0).lowSample()).isFalse();
    }

    /**
     * Empirical coverage of the ~95 % bounds over hundreds of (segment, day) rows of two populations:
     * every grouping of the three dimensions, every day whose 28-day window is inside the data.
     */
    @Test
    void boundsCoverTheExactValuesAtLeastNinetyPercentOfTheTime() {
        List<List<String>> groupings = List.of(List.of("channel"), List.of("os"), List.of("country"),
            List.of("channel", "os"), List.of("channel", "country"), List.of("os", "country"),
            List.of("channel", "os", "country"));
        Map<Metric, int[]> all = new EnumMap<>(Metric.class); // {inside, total}
        Map<Metric, int[]> large = new EnumMap<>(Metric.class); // rows with exact MAU >= 100
        for (Metric m : Metric.values()) {
            all.put(m, new int[2]);
            large.put(m, new int[2]);
        }
        double[] worstErRelative = {0};
        List<Population> pops = List.of(population, new Population(FIRST, DAYS, 30_000, 3, CLOSED_THROUGH, 11));
        for (Population pop : pops) {
            for (List<String> groupBy : groupings) {
                EngagementQuery q = query(27, 39, ALL, groupBy, Map.of());
                EngagementAnswer a = answers.answer(q, partitionAnswers(pop, q), pop.partitions.size());
                for (EngagementAnswer.Row row : a.rows()) {
                    assertWellFormed(row);
                    double mau = exact(pop, q, row, Metric.MAU);
                    for (Metric m : Metric.values()) {
                        Estimate e = row.metrics().get(m);
                        double truth = exact(pop, q, row, m);
                        boolean in = e.contains(truth);
                        all.get(m)[0] += in ? 1 : 0;
                        all.get(m)[1]++;
                        if (mau >= 100) {
                            large.get(m)[0] += in ? 1 : 0;
                            large.get(m)[1]++;
                            if (m == Metric.ER && truth > 0) {
                                worstErRelative[0] = Math.max(worstErRelative[0], Math.abs(e.estimate() - truth) / truth);
                            }
                        }
                    }
                }
            }
        }
        StringBuilder report = new StringBuilder("Bound coverage (share of rows whose ~95% bounds contain the exact value):\n");
        for (Metric m : Metric.values()) {
            report.append(String.format("  %-11s all rows %4d/%4d = %.3f   rows with MAU >= 100: %4d/%4d = %.3f%n",
                m.jsonName(), all.get(m)[0], all.get(m)[1], share(all.get(m)), large.get(m)[0], large.get(m)[1],
                share(large.get(m))));
        }
        report.append(String.format("  worst relative ER error (MAU >= 100): %.4f%n", worstErRelative[0]));
        System.out.println(report);

        assertThat(large.get(Metric.ER)[1]).as("hundreds of large rows").isGreaterThanOrEqualTo(300);
        for (Metric m : Metric.values()) {
            assertThat(share(all.get(m))).as(m + " coverage, all rows").isGreaterThanOrEqualTo(0.9);
            assertThat(share(large.get(m))).as(m + " coverage, MAU >= 100").isGreaterThanOrEqualTo(0.9);
        }
        // The conservative ER bounds should not be uselessly wide: well above nominal, but not everything.
        assertThat(worstErRelative[0]).isLessThan(0.15);
    }

    private static double share(int[] counts) {
        return counts[1] == 0 ? 0 : (double) counts[0] / counts[1];
    }
}
