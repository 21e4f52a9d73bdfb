package dev.engagement.generate;

import dev.engagement.avro.Ping;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The release trains of the synthetic population, counted exactly (sets of client ids, no sketches):
 * staged uptake, pre-releases ahead of release, and a degraded release that is less engaging than its
 * predecessor at the same age while an ordinary release is not.
 */
class PopulationTest {

    private static final LocalDate LAST = LocalDate.of(2026, 11, 29);
    private static final int DAYS = 84;
    private static final ReleaseTrains DEGRADED = new ReleaseTrains(28, ReleaseTrains.NEWEST, 0.5);

    /** Per day, per version: the clients active on it (activity on the day itself, late pings included). */
    private static List<Map<String, Set<String>>> byDay;

    @BeforeAll
    static void generate() {
        byDay = activity(new Population(20_000, LAST.minusDays(DAYS - 1), DAYS, 1, DEGRADED));
    }

    private static List<Map<String, Set<String>>> activity(Population population) {
        List<Map<String, Set<String>>> days = new ArrayList<>();
        for (int d = 0; d < DAYS; d++) {
            days.add(new HashMap<>());
        }
        LocalDate first = LAST.minusDays(DAYS - 1);
        for (int d = 0; d < DAYS; d++) {
            population.day(first.plusDays(d), Long.MIN_VALUE, Long.MAX_VALUE, ping -> {
                int index = (int) ChronoUnit.DAYS.between(first, ping.getActivityDate());
                days.get(index).computeIfAbsent(ping.getAppVersion(), v -> new HashSet<>()).add(ping.getClientId());
            });
        }
        return days;
    }

    private static int index(String version) {
        LocalDate first = LAST.minusDays(DAYS - 1);
        for (int d = 0; d < DAYS; d++) {
            if (byDay.get(d).getOrDefault(version, Set.of()).size() >= 100) {
                return d;
            }
        }
        throw new AssertionError(version + " never reached 100 clients a day after " + first);
    }

    private static int dau(String version, int day) {
        return byDay.get(day).getOrDefault(version, Set.of()).size();
    }

    private static int releaseDau(int day) {
        return byDay.get(day).entrySet().stream().filter(e -> !e.getKey().contains("a") && !e.getKey().contains("b"))
            .mapToInt(e -> e.getValue().size()).sum();
    }

    /** Exact ER of a version at an age: its DAU over its distinct clients since its release day. */
    private static double er(String version, int age) {
        int released = index(version);
        Set<String> seen = new HashSet<>();
        for (int d = Math.max(released, released + age - 27); d <= released + age; d++) {
            seen.addAll(byDay.get(d).getOrDefault(version, Set.of()));
        }
        return (double) dau(version, released + age) / seen.size();
    }

    @Test
    void theCalendarMovesEveryCycleWithPreReleasesAhead() {
        ReleaseTrains trains = ReleaseTrains.ordinary(28);
        assertThat(trains.release(LocalDate.of(2022, 5, 3))).isEqualTo("100.0");
        assertThat(trains.release(LocalDate.of(2022, 5, 30))).isEqualTo("100.0");
        assertThat(trains.release(LocalDate.of(2022, 5, 31))).isEqualTo("101.0");
        int day = trains.releaseDay(150);
        assertThat(trains.nightly(day)).isEqualTo("152.0a1");
        assertThat(trains.beta(day)).isEqualTo("151.0b1");
        assertThat(trains.beta(day + 27)).isEqualTo("151.0b4");
        assertThat(ReleaseTrains.ordinary(14).beta(ReleaseTrains.ordinary(14).releaseDay(300) + 13)).isEqualTo("301.0b2");
        assertThat(DEGRADED.degradedVersion(LAST)).isEqualTo(trains.release(LAST.minusDays(7)));
        assertThatThrownBy(() -> new ReleaseTrains(3, "none", 0.5)).hasMessageContaining("7 to 182 days");
        assertThatThrownBy(() -> new ReleaseTrains(28, "136", 0.5)).hasMessageContaining("not '136'");
        assertThatThrownBy(() -> new ReleaseTrains(28, "newest", 0)).hasMessageContaining("(0, 1]");
    }

    @Test
    void releaseClientsTakeANewVersionOverAboutTwoWeeksAndSomeLag() {
        String version = ReleaseTrains.ordinary(28).release(LAST.minusDays(7 + 28));
        int released = index(version);
        double day0 = (double) dau(version, released) / releaseDau(released);
        double day13 = (double) dau(version, released + 13) / releaseDau(released + 13);
        double day27 = (double) dau(version, released + 27) / releaseDau(released + 27);
        assertThat(day0).as("uptake on release day").isBetween(0.1, 0.5);
        assertThat(day13).as("uptake after two weeks").isBetween(0.8, 0.97);
        assertThat(day27).as("laggards still on older versions after four weeks").isBetween(0.85, 0.995);
        assertThat(day0).isLessThan(day13);
        // A new version's release day is its calendar release day, the same day beta and nightly move on.
        LocalDate releaseDate = LAST.minusDays(DAYS - 1).plusDays(released);
        assertThat(ReleaseTrains.ordinary(28).release(releaseDate)).isEqualTo(version);
        assertThat(ReleaseTrains.ordinary(28).release(releaseDate.minusDays(1))).isNotEqualTo(version);
        String major = version.substring(0, version.indexOf('.'));
        assertThat(index(major + ".0b1")).as("beta a cycle earlier").isEqualTo(released - 28);
        String next = (Integer.parseInt(major) + 2) + ".0a1";
        assertThat(index(next)).as("nightly two cycles earlier: the one after next starts now").isEqualTo(released);
    }

    @Test
    void theDegradedReleaseIsLessEngagingThanItsPredecessorAtTheSameAgeAndAnOrdinaryOneIsNot() {
        String degraded = DEGRADED.degradedVersion(LAST);
        int major = Integer.parseInt(degraded.substring(0, degraded.indexOf('.')));
        String previous = (major - 1) + ".0";
        String older = (major - 2) + ".0";
        for (int age : new int[] {7, 14}) {
            double drop = 1 - er(degraded, age) / er(previous, age);
            double ordinary = 1 - er(previous, age) / er(older, age);
            System.out.printf("age %d: ER %s %.3f, %s %.3f, %s %.3f; DAU %d %d %d%n", age, degraded, er(degraded, age),
                previous, er(previous, age), older, er(older, age), dau(degraded, index(degraded) + age),
                dau(previous, index(previous) + age), dau(older, index(older) + age));
            assertThat(drop).as("degraded ER drop at age " + age).isBetween(0.07, 0.35);
            assertThat(Math.abs(ordinary)).as("ordinary ER change at age " + age).isLessThan(0.04);
        }
    }

    @Test
    void theSameSeedGivesTheSamePingsAndNoDegradationLeavesEveryReleaseAlike() {
        LocalDate day = LAST.minusDays(3);
        List<Ping> a = new ArrayList<>();
        List<Ping> b = new ArrayList<>();
        new Population(3000, LAST.minusDays(DAYS - 1), DAYS, 9, DEGRADED).day(day, Long.MIN_VALUE, Long.MAX_VALUE, a::add);
        new Population(3000, LAST.minusDays(DAYS - 1), DAYS, 9, DEGRADED).day(day, Long.MIN_VALUE, Long.MAX_VALUE, b::add);
        assertThat(a).isEqualTo(b).isNotEmpty();
        List<Ping> plain = new ArrayList<>();
        new Population(3000, LAST.minusDays(DAYS - 1), DAYS, 9).day(day, Long.MIN_VALUE, Long.MAX_VALUE, plain::add);
        assertThat(plain.size()).as("the degraded release's clients are active less often").isGreaterThan(a.size());
        assertThat(plain).extracting(Ping::getAppVersion).contains(ReleaseTrains.ordinary(28).release(day));
    }
}
