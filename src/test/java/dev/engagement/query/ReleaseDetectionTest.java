package dev.engagement.query;

import dev.engagement.generate.Population;
import dev.engagement.generate.ReleaseTrains;
import dev.engagement.ping.Days;
import dev.engagement.sketch.Sketches;

import org.apache.datasketches.hll.HllSketch;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's story, found by the releases comparison: the synthetic population of {@code demo}
 * (20,000 clients, its degraded release on by default) stored as sketches in partitions, then
 * {@code /v1/releases}' query layer compares each release with the one before at the same age. The
 * degraded release is significantly less engaging than its predecessor; an ordinary release is not
 * flagged against its own.
 */
class ReleaseDetectionTest {

    private static final LocalDate LAST = LocalDate.of(2026, 11, 29);
    /** Long enough that the release before the degraded one's predecessor is released inside it. */
    private static final int DAYS = 84;
    private static final int PARTITIONS = 4;
    private static final ReleaseTrains DEMO = new ReleaseTrains(ReleaseTrains.DEFAULT_CYCLE_DAYS, ReleaseTrains.NEWEST,
        ReleaseTrains.DEFAULT_DEGRADED_SHARE);
    private static final List<String> DIMENSIONS = List.of("channel", "os", "app_version");

    private static Releases releases;

    @BeforeAll
    static void store() {
        Population population = new Population(20_000, LAST.minusDays(DAYS - 1), DAYS, 1, DEMO);
        List<MemoryPartitionReader> partitions = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            partitions.add(new MemoryPartitionReader(p, Days.of(LAST) - 2)); // the last two days within grace
        }
        Sketches sketches = new Sketches(12);
        Map<Integer, Map<List<String>, Map<Integer, HllSketch>>> live = new HashMap<>();
        for (int d = 0; d < DAYS; d++) {
            population.day(LAST.minusDays(DAYS - 1 - d), Long.MIN_VALUE, Long.MAX_VALUE, ping -> {
                int partition = Math.floorMod(ping.getClientId().hashCode(), PARTITIONS);
                List<String> segment = List.of(ping.getChannel(), ping.getOs(), ping.getAppVersion());
                live.computeIfAbsent(partition, x -> new HashMap<>()).computeIfAbsent(segment, s -> new HashMap<>())
                    .computeIfAbsent(Days.of(ping.getActivityDate()), x -> sketches.newLive()).update(ping.getClientId());
            });
        }
        live.forEach((p, bySegment) -> bySegment.forEach((segment, byDay) -> byDay.forEach((day, sketch) ->
            partitions.get(p).put(day, segment.toArray(String[]::new), Sketches.toBytes(sketch)))));
        PartitionQuery pq = new PartitionQuery(DIMENSIONS, 12, 100_000);
        Answers answers = new Answers(12, QueryLimits.DEFAULTS).withoutGroupLimit();
        Function<EngagementQuery, EngagementAnswer> source = q -> {
            List<PartitionAnswer> parts = new ArrayList<>();
            for (MemoryPartitionReader r : partitions) {
                parts.add(pq.answer(q, r));
            }
            return answers.answer(q, parts, partitions.size());
        };
        releases = new Releases(source, () -> LAST, "app_version", 100, 400, 100);
    }

    private static ReleaseAnswer.Comparison compare(String older, String newer, int age, String... filter) {
        Map<String, List<String>> params = new HashMap<>();
        params.put("versions", List.of(older + "," + newer));
        params.put("compareAge", List.of(Integer.toString(age)));
        for (int i = 0; i < filter.length; i += 2) {
            params.put(filter[i], List.of(filter[i + 1]));
        }
        ReleaseAnswer answer = releases.answer(ReleaseQuery.parse(params, DIMENSIONS, "app_version", QueryLimits.DEFAULTS));
        assertThat(answer.comparison()).as(answer.comparisonNote()).isNotNull();
        assertThat(answer.comparison().newer()).isEqualTo(newer);
        return answer.comparison();
    }

    @Test
    void theDegradedReleaseIsSignificantlyLessEngagingThanItsPredecessor() {
        String degraded = DEMO.degradedVersion(LAST);
        String previous = previous(degraded);
        for (int age : new int[] {7, 14}) {
            ReleaseAnswer.Comparison c = compare(previous, degraded, age);
            for (ReleaseMetric m : List.of(ReleaseMetric.ER, ReleaseMetric.ER_SMOOTHED)) {
                ReleaseAnswer.Compared x = c.metrics().get(m);
                assertThat(x.significant()).as(m.jsonName() + " at age " + age).isTrue();
                assertThat(x.difference().upper()).as(m.jsonName() + " at age " + age).isLessThan(0);
            }
        }
        // Also in the largest segment alone, as the dashboard's filters would ask.
        assertThat(compare(previous, degraded, 14, "os", "Windows_NT").metrics().get(ReleaseMetric.ER).significant())
            .isTrue();
    }

    @Test
    void anOrdinaryReleaseIsNotFlaggedAgainstItsPredecessor() {
        String ordinary = previous(DEMO.degradedVersion(LAST));
        String before = previous(ordinary);
        for (int age : new int[] {7, 14}) {
            ReleaseAnswer.Comparison c = compare(before, ordinary, age);
            for (ReleaseMetric m : List.of(ReleaseMetric.ER, ReleaseMetric.ER_SMOOTHED)) {
                ReleaseAnswer.Compared x = c.metrics().get(m);
                assertThat(x.significant()).as(m.jsonName() + " at age " + age).isFalse();
                assertThat(x.difference().lower()).isLessThan(0);
                assertThat(x.difference().upper()).isGreaterThan(0);
            }
        }
    }

    private static String previous(String version) {
        return (Integer.parseInt(version.substring(0, version.indexOf('.'))) - 1) + ".0";
    }
}
