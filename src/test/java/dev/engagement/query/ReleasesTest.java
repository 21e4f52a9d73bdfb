package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.offset;

/** Releases answered from in-memory partitions of a release-train population, checked against exact sets. */
class ReleasesTest {

    private static final int FIRST = Days.of(LocalDate.of(2026, 1, 1));
    private static final int DAYS = 90;
    private static final LocalDate NEWEST = Days.toDate(FIRST + DAYS - 1);
    private static final String[] VERSIONS = {"1.0", "2.0", "3.0"};
    private static final int[] RELEASES = {0, 30, 60};

    private static ReleasePopulation population;
    private static ReleasePopulation degraded;

    @BeforeAll
    static void build() {
        population = new ReleasePopulation(FIRST, DAYS, 6000, 4, FIRST + DAYS - 4, VERSIONS, RELEASES, 1.0, 3);
        // The same clients, but those on the newest version are active 30 % less often.
        degraded = new ReleasePopulation(FIRST, DAYS, 6000, 4, FIRST + DAYS - 4, VERSIONS, RELEASES, 0.7, 3);
    }

    private static Releases releases(ReleasePopulation pop) {
        return new Releases(pop.source(), () -> NEWEST, "app_version", 100, 400, 100);
    }

    private static ReleaseQuery parse(Map<String, List<String>> params) {
        return ReleaseQuery.parse(params, ReleasePopulation.DIMENSIONS, "app_version", QueryLimits.DEFAULTS);
    }

    private static Map<String, List<String>> params(String... pairs) {
        Map<String, List<String>> out = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.computeIfAbsent(pairs[i], k -> new ArrayList<>()).add(pairs[i + 1]);
        }
        return out;
    }

    @Test
    void releaseDaysAreTheFirstDaysAVersionReachedTheThresholdAndVersionsAreOrderedByThem() {
        ReleaseAnswer a = releases(population).answer(parse(params()));
        assertThat(a.versions()).extracting(ReleaseAnswer.Version::version).containsExactly("1.0", "2.0", "3.0");
        for (int v = 0; v < VERSIONS.length; v++) {
            ReleaseAnswer.Version version = a.versions().get(v);
            assertThat(version.releaseDay()).isEqualTo(Days.toDate(FIRST + RELEASES[v]));
            assertThat(version.given()).isFalse();
            assertThat(version.age()).isEqualTo(DAYS - 1 - RELEASES[v]);
            // The day before, the version had fewer than 100 clients over all segments (exactly).
            String name = VERSIONS[v];
            assertThat(population.clients(s -> s.get(2).equals(name), FIRST + RELEASES[v] - 1,
                FIRST + RELEASES[v] - 1)).hasSizeLessThan(100);
            assertThat(population.clients(s -> s.get(2).equals(name), FIRST + RELEASES[v], FIRST + RELEASES[v]))
                .hasSizeGreaterThanOrEqualTo(100);
        }
    }

    @Test
    void theDefaultIsTheNewestThreeAndAGivenReleaseDayReordersThem() {
        // Given a release day before 1.0's, 2.0 comes first: a given day replaces the one found.
        ReleaseAnswer a = releases(population).answer(parse(params("versions", "3.0,1.0,2.0",
            "release.2.0", Days.toDate(FIRST - 5).toString())));
        assertThat(a.versions()).extracting(ReleaseAnswer.Version::version).containsExactly("2.0", "1.0", "3.0");
        assertThat(a.versions().get(0).given()).isTrue();
        assertThat(a.versions().get(0).releaseDay()).isEqualTo(Days.toDate(FIRST - 5));
        // Two versions on the same day: the version order breaks the tie (a pre-release before its release).
        ReleaseAnswer tie = releases(population).answer(parse(params("versions", "3.0,3.0b1",
            "release.3.0b1", Days.toDate(FIRST + 60).toString(), "ages", "0..1")));
        assertThat(tie.versions()).extracting(ReleaseAnswer.Version::version).containsExactly("3.0b1", "3.0");
    }

    @Test
    void theDefaultLeavesOutPreReleasesThatReachedTheThreshold() {
        // At 20 clients a day the beta's 3.0b1 has a release day, after 2.0's: still not a default.
        Releases low = new Releases(population.source(), () -> NEWEST, "app_version", 20, 400, 100);
        ReleaseAnswer a = low.answer(parse(params("metrics", "dau", "ages", "0")));
        assertThat(a.versions()).extracting(ReleaseAnswer.Version::version).containsExactly("1.0", "2.0", "3.0");
        ReleaseAnswer named = low.answer(parse(params("versions", "2.0,3.0b1,3.0", "metrics", "dau", "ages", "0")));
        assertThat(named.versions()).extracting(ReleaseAnswer.Version::version).containsExactly("2.0", "3.0b1", "3.0");
        assertThat(named.versions().get(1).releaseDay()).isBefore(named.versions().get(2).releaseDay());
    }

    @Test
    void rowsRunFromTheFirstAgeToTheLastOrTheNewestDay() {
        ReleaseAnswer a = releases(population).answer(parse(params("ages", "5..40", "metrics", "dau")));
        for (int v = 0; v < VERSIONS.length; v++) {
            String name = VERSIONS[v];
            List<ReleaseAnswer.Row> rows = a.rows().stream().filter(r -> r.version().equals(name)).toList();
            int lastAge = Math.min(40, DAYS - 1 - RELEASES[v]);
            assertThat(rows).extracting(ReleaseAnswer.Row::age)
                .containsExactlyElementsOf(IntStream.rangeClosed(5, lastAge).boxed().toList());
            for (ReleaseAnswer.Row r : rows) {
                assertThat(r.day()).isEqualTo(Days.toDate(FIRST + RELEASES[v] + r.age()));
                assertThat(r.metrics()).containsOnlyKeys(ReleaseMetric.DAU);
            }
        }
    }

    @Test
    void everyMetricIsWithinItsBoundsOfTheExactValueUnderAFilter() {
        ReleaseAnswer a = releases(population).answer(parse(params("os", "Linux")));
        Predicate<List<String>> linux = s -> s.get(1).equals("Linux");
        Map<ReleaseMetric, int[]> inside = new HashMap<>();
        for (ReleaseAnswer.Row r : a.rows()) {
            int d = Days.of(r.day());
            Predicate<List<String>> match = linux.and(s -> s.get(2).equals(r.version()));
            double dau = population.clients(match, d, d).size();
            double mau = population.clients(match, d - 27, d).size();
            double all = population.clients(linux, d, d).size();
            double smoothed = 0;
            for (int i = d - 6; i <= d; i++) {
                smoothed += population.clients(match, i, i).size() / 7.0;
            }
            Map<ReleaseMetric, Double> exact = Map.of(ReleaseMetric.DAU, dau, ReleaseMetric.MAU, mau,
                ReleaseMetric.ER, mau == 0 ? 0 : dau / mau, ReleaseMetric.ER_SMOOTHED, mau == 0 ? 0 : smoothed / mau,
                ReleaseMetric.UPTAKE, all == 0 ? 0 : dau / all);
            exact.forEach((m, truth) -> {
                int[] counts = inside.computeIfAbsent(m, x -> new int[2]);
                counts[0] += r.metrics().get(m).contains(truth) ? 1 : 0;
                counts[1]++;
            });
            assertThat(r.lowSample()).isEqualTo(r.metrics().get(ReleaseMetric.MAU).estimate() < 100);
        }
        assertThat(a.rows()).hasSize(3 * 28);
        inside.forEach((m, counts) -> assertThat(counts[0] / (double) counts[1]).as(m + " coverage").isGreaterThanOrEqualTo(0.95));
        // Uptake: the newest version's share climbs from its release day as clients move to it.
        List<ReleaseAnswer.Row> newest = a.rows().stream().filter(r -> r.version().equals("3.0")).toList();
        assertThat(newest.get(0).metrics().get(ReleaseMetric.UPTAKE).estimate())
            .isLessThan(newest.get(20).metrics().get(ReleaseMetric.UPTAKE).estimate());
        assertThat(newest.get(20).metrics().get(ReleaseMetric.UPTAKE).estimate()).isGreaterThan(0.8);
    }

    @Test
    void theDifferenceOfIndependentEstimatesAddsTheirVariances() {
        // SDs 3 and 4 (bounds 2 SD either side): the difference's SD is 5, its bounds 2 x 5 either side.
        Estimate d = Ratios.difference(new Estimate(100, 94, 106), new Estimate(90, 82, 98));
        assertThat(d.estimate()).isEqualTo(10.0);
        assertThat(d.lower()).isCloseTo(0.0, offset(1e-9));
        assertThat(d.upper()).isCloseTo(20.0, offset(1e-9));
    }

    @Test
    void theComparisonFindsALessEngagingReleaseAndNotAnOrdinaryOne() {
        ReleaseAnswer worse = releases(degraded).answer(parse(params("compareAge", "20")));
        ReleaseAnswer.Comparison c = worse.comparison();
        assertThat(c).isNotNull();
        assertThat(c.age()).isEqualTo(20);
        assertThat(c.newer()).isEqualTo("3.0");
        assertThat(c.older()).isEqualTo("2.0");
        assertThat(c.newerDay()).isEqualTo(Days.toDate(FIRST + 80));
        assertThat(c.olderDay()).isEqualTo(Days.toDate(FIRST + 50));
        assertThat(c.metrics()).containsKeys(ReleaseMetric.ER, ReleaseMetric.ER_SMOOTHED, ReleaseMetric.UPTAKE);
        ReleaseAnswer.Compared er = c.metrics().get(ReleaseMetric.ER_SMOOTHED);
        assertThat(er.difference().estimate()).isEqualTo(er.newer().estimate() - er.older().estimate());
        assertThat(er.difference().upper()).isLessThan(0);
        assertThat(er.significant()).isTrue();
        assertThat(c.metrics().get(ReleaseMetric.ER).significant()).isTrue();

        ReleaseAnswer same = releases(population).answer(parse(params("compareAge", "20")));
        for (ReleaseMetric m : List.of(ReleaseMetric.ER, ReleaseMetric.ER_SMOOTHED)) {
            ReleaseAnswer.Compared x = same.comparison().metrics().get(m);
            assertThat(x.significant()).as(m.jsonName()).isFalse();
            assertThat(x.difference().lower()).isLessThan(0);
            assertThat(x.difference().upper()).isGreaterThan(0);
        }
    }

    @Test
    void theComparisonAgeDefaultsToTheNewerVersionsAgeOnItsNewestCompleteDayWithinTheAges() {
        ReleaseAnswer a = releases(population).answer(parse(params("ages", "0..10")));
        assertThat(a.comparison().age()).isEqualTo(10); // 3.0 is 29 days old: clamped to the last age
        assertThat(a.comparison().complete()).isTrue();
        // Days after FIRST + 86 are within grace: 3.0's newest complete day is at age 26, not today's 29.
        ReleaseAnswer b = releases(population).answer(parse(params()));
        assertThat(b.comparison().age()).isEqualTo(26);
        assertThat(b.comparison().complete()).isTrue();
        ReleaseAnswer young = releases(population).answer(parse(params("ages", "0..40", "versions", "2.0,3.0")));
        assertThat(young.comparison().age()).isEqualTo(26);
        // No complete day within the ages: the current age, clamped into them.
        ReleaseAnswer open = releases(population).answer(parse(params("ages", "27..40")));
        assertThat(open.comparison().age()).isEqualTo(29);
        assertThat(open.comparison().complete()).isFalse();
        ReleaseAnswer asked = releases(population).answer(parse(params("compareAge", "28", "ages", "0..40")));
        assertThat(asked.comparison().age()).isEqualTo(28);
        assertThat(asked.comparison().complete()).isFalse();
        ReleaseAnswer notYet = releases(population).answer(parse(params("ages", "0..40", "compareAge", "35")));
        assertThat(notYet.comparison()).isNull();
        assertThat(notYet.comparisonNote()).contains("3.0 has not reached age 35");
        ReleaseAnswer one = releases(population).answer(parse(params("versions", "2.0")));
        assertThat(one.comparison()).isNull();
        assertThat(one.comparisonNote()).contains("only one version");
    }

    @Test
    void unknownVersionsAndVersionsWithoutAReleaseDayAreRefusedWithAMessage() {
        Releases r = releases(population);
        assertThatThrownBy(() -> r.answer(parse(params("versions", "9.0"))))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("unknown version '9.0' of app_version");
        assertThatThrownBy(() -> r.answer(parse(params("versions", "2.0b1"))))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("'2.0b1' has no release day")
            .hasMessageContaining("release.2.0b1=YYYY-MM-DD");
        assertThatThrownBy(() -> r.answer(parse(params("release.9.0", "2026-01-01"))))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("unknown version '9.0'");
    }

    @Test
    void badParametersAreRefusedWithAMessage() {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("ages=x", "'ages' must be A..B");
        cases.put("ages=5..2", "0 <= A <= B");
        cases.put("ages=-1..2", "0 <= A <= B");
        cases.put("ages=0..400", "0 <= A <= B <= 399");
        cases.put("metrics=wau", "unknown metric 'wau'");
        cases.put("compareAge=30", "must lie within 'ages' (0..27)");
        cases.put("compareAge=x", "'compareAge' must be a whole number");
        cases.put("app_version=2.0", "is the release dimension");
        cases.put("dimension=planet", "unknown release dimension 'planet'");
        cases.put("colour=red", "unknown parameter or dimension 'colour'");
        cases.put("release.2.0=yesterday", "'release.2.0' is not a date");
        cases.put("release.=2026-01-01", "names no version");
        cases.put("versions=,", "names no version");
        cases.put("os=", "filter 'os' has no values");
        cases.forEach((param, message) -> {
            int eq = param.indexOf('=');
            assertThatThrownBy(() -> parse(params(param.substring(0, eq), param.substring(eq + 1))))
                .as(param).isInstanceOf(BadQueryException.class).hasMessageContaining(message);
        });
        assertThatThrownBy(() -> parse(params("ages", "1", "ages", "2"))).hasMessageContaining("more than once");
        ReleaseQuery ok = parse(params("dimension", "os", "app_version", "2.0", "ages", "3"));
        assertThat(ok.dimension()).isEqualTo("os");
        assertThat(ok.filters()).containsOnlyKeys("app_version");
        assertThat(ok.fromAge()).isEqualTo(3);
        assertThat(ok.toAge()).isEqualTo(3);
    }

    @Test
    void releaseDaysFoundOnClosedDaysAreKeptAndOnlyLaterDaysReadAgain() {
        List<EngagementQuery> asked = new ArrayList<>();
        Function<EngagementQuery, EngagementAnswer> source = population.source();
        ReleaseDays days = new ReleaseDays(q -> {
            asked.add(q);
            return source.apply(q);
        }, 100, 400, Duration.ZERO);
        ReleaseDays.Found first = days.find("app_version", NEWEST);
        ReleaseDays.Found second = days.find("app_version", NEWEST);
        assertThat(second).isEqualTo(first);
        assertThat(first.releaseDays()).containsOnlyKeys("1.0", "2.0", "3.0");
        assertThat(first.seen()).contains("2.0b1", "3.0b1");
        assertThat(asked).hasSize(2);
        assertThat(asked.get(0).from()).isEqualTo(NEWEST.minusDays(399));
        // Closed through FIRST + 86: the second call reads only the three open days.
        assertThat(asked.get(1).from()).isEqualTo(Days.toDate(FIRST + DAYS - 3));
        assertThat(asked.get(1).to()).isEqualTo(NEWEST);
        assertThat(Set.copyOf(asked.get(1).groupBy())).containsExactly("app_version");
    }

    @Test
    void daysThatDidNotRecordTheReleaseDimensionGiveNoVersion() {
        // As after adding app_version to engagement.dimensions: the days before group as not recorded.
        Function<EngagementQuery, EngagementAnswer> source = population.source();
        ReleaseDays days = new ReleaseDays(q -> {
            EngagementAnswer a = source.apply(q);
            List<EngagementAnswer.Row> rows = new ArrayList<>(a.rows());
            for (EngagementAnswer.Row r : a.rows()) {
                if (r.group().get("app_version").equals("1.0")) {
                    rows.add(new EngagementAnswer.Row(Map.of("app_version", EngagementAnswer.NOT_RECORDED), r.day(),
                        r.metrics(), r.dauClients(), r.mauClients(), r.lowSample(), false, List.of("app_version")));
                }
            }
            return new EngagementAnswer(a.query(), rows, a.partitions(), a.partitionsAnswered(), false,
                a.standbyPartitions(), Map.of("app_version", List.of(NEWEST)));
        }, 100, 400, Duration.ZERO);
        ReleaseDays.Found found = days.find("app_version", NEWEST);
        assertThat(found.releaseDays()).containsOnlyKeys("1.0", "2.0", "3.0");
        assertThat(found.seen()).doesNotContain(EngagementAnswer.NOT_RECORDED);
    }
}
