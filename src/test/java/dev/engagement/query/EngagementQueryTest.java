package dev.engagement.query;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EngagementQueryTest {

    private static final List<String> DIMENSIONS = List.of("channel", "os", "country");
    private static final QueryLimits LIMITS = new QueryLimits(30, 100, 100, 50);

    /** Parameters from "k=v" pairs; a repeated key adds a value. */
    private static Map<String, List<String>> params(String... pairs) {
        Map<String, List<String>> p = new LinkedHashMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            p.computeIfAbsent(pair.substring(0, eq), k -> new ArrayList<>()).add(pair.substring(eq + 1));
        }
        return p;
    }

    private static EngagementQuery parse(String... pairs) {
        return EngagementQuery.parse(params(pairs), DIMENSIONS, LIMITS);
    }

    private static void rejects(String messagePart, String... pairs) {
        assertThatThrownBy(() -> parse(pairs)).isInstanceOf(BadQueryException.class)
            .hasMessageContaining(messagePart);
    }

    @Test
    void badDatesAreRejected() {
        rejects("'from' is not a date", "from=2026-13-01", "to=2026-09-02");
        rejects("'to' is not a date", "from=2026-09-01", "to=yesterday");
        rejects("'from' is not a date", "from=2026-02-30", "to=2026-03-02");
    }

    @Test
    void datesOutsideTheSupportedRangeAreRejected() {
        rejects("dates must lie between 2000-02-01 and 2199-12-31, got 1970-01-10", "from=1970-01-10", "to=1970-01-10");
        rejects("dates must lie between 2000-02-01 and 2199-12-31, got +999999-01-01", "from=2026-01-01",
            "to=+999999-01-01");
    }

    @Test
    void missingFromOrToIsRejected() {
        rejects("missing 'from'", "to=2026-09-02");
        rejects("missing 'to'", "from=2026-09-01");
        rejects("missing 'from'", "from=", "to=2026-09-02");
        rejects("missing 'to'", "from=2026-09-01", "to=  ");
    }

    @Test
    void aRepeatedDateIsRejected() {
        rejects("'from' is given more than once", "from=2026-09-01", "from=2026-09-02", "to=2026-09-03");
    }

    @Test
    void fromAfterToIsRejected() {
        rejects("is after 'to'", "from=2026-09-02", "to=2026-09-01");
    }

    @Test
    void aRangeOverTheMaximumIsRejectedAndTheMaximumItselfIsAccepted() {
        // 30 days inclusive is the limit.
        assertThat(parse("from=2026-09-01", "to=2026-09-30").to()).isEqualTo(LocalDate.of(2026, 9, 30));
        rejects("31 days; the maximum is 30", "from=2026-09-01", "to=2026-10-01");
    }

    @Test
    void unknownMetricIsRejected() {
        rejects("unknown metric 'dauu'", "from=2026-09-01", "to=2026-09-01", "metrics=dau,dauu");
        rejects("unknown metric 'DAU'", "from=2026-09-01", "to=2026-09-01", "metrics=DAU");
    }

    @Test
    void unknownGroupByDimensionIsRejected() {
        rejects("unknown groupBy dimension 'city'", "from=2026-09-01", "to=2026-09-01", "groupBy=os,city");
    }

    @Test
    void unknownFilterDimensionIsRejected() {
        rejects("unknown parameter or dimension 'city'", "from=2026-09-01", "to=2026-09-01", "city=Berlin");
    }

    @Test
    void emptyFilterIsRejected() {
        rejects("filter 'os' has no values", "from=2026-09-01", "to=2026-09-01", "os=");
        rejects("filter 'os' has no values", "from=2026-09-01", "to=2026-09-01", "os=, ,");
    }

    @Test
    void overLongParameterIsRejected() {
        String longValue = "x".repeat(LIMITS.maxParamLength() + 1);
        rejects("parameter 'os' is longer than 50", "from=2026-09-01", "to=2026-09-01", "os=" + longValue);
        // Checked before anything else, even for a parameter that would also be unknown.
        rejects("is longer than", "from=" + longValue, "to=2026-09-01");
        // Exactly at the limit: only the value's own validity matters.
        String atLimit = "y".repeat(LIMITS.maxParamLength());
        assertThat(parse("from=2026-09-01", "to=2026-09-01", "os=" + atLimit).filters().get("os")).containsExactly(atLimit);
    }

    @Test
    void defaultsAreEveryMetricNoGroupsNoFilters() {
        EngagementQuery q = parse("from=2026-09-01", "to=2026-09-03");
        assertThat(q.from()).isEqualTo(LocalDate.of(2026, 9, 1));
        assertThat(q.to()).isEqualTo(LocalDate.of(2026, 9, 3));
        assertThat(q.metrics()).containsExactlyInAnyOrder(Metric.values());
        assertThat(q.groupBy()).isEmpty();
        assertThat(q.filters()).isEmpty();
        assertThat(parse("from=2026-09-01", "to=2026-09-03", "metrics=").metrics()).containsExactlyInAnyOrder(Metric.values());
    }

    @Test
    void commaListsAndRepeatedParametersCombine() {
        EngagementQuery q = parse("from=2026-09-01", "to=2026-09-01",
            "metrics=dau, mau", "metrics=er",
            "groupBy=os,channel", "groupBy=os",
            "channel=release,beta", "channel=nightly,,release",
            "os= Linux ");
        assertThat(q.metrics()).containsExactlyInAnyOrder(Metric.DAU, Metric.MAU, Metric.ER);
        assertThat(q.groupBy()).as("order kept, duplicates dropped").containsExactly("os", "channel");
        assertThat(q.filters()).containsOnlyKeys("channel", "os");
        assertThat(q.filters().get("channel")).containsExactlyInAnyOrder("release", "beta", "nightly");
        assertThat(q.filters().get("os")).containsExactly("Linux");
    }

    @Test
    void filtersAreCanonicalWhateverTheRequestOrder() {
        EngagementQuery asked = parse("from=2026-09-01", "to=2026-09-01", "os=Linux,Darwin", "channel=release,beta,aurora");
        EngagementQuery reordered = parse("from=2026-09-01", "to=2026-09-01", "channel=beta", "channel=aurora,release",
            "os=Darwin,Linux");
        assertThat(asked.filters().keySet()).containsExactly("channel", "os");
        assertThat(asked.filters().get("channel")).containsExactly("aurora", "beta", "release");
        assertThat(asked.filters().get("os")).containsExactly("Darwin", "Linux");
        // One text, so one cache entry (the closed-day cache keys on it) and one echo in answers.
        assertThat(reordered.filters()).hasToString(asked.filters().toString());
        assertThat(reordered.toParams()).isEqualTo(asked.toParams());
        assertThat(reordered).isEqualTo(asked);
        // Built directly, in any order, the same.
        Map<String, Set<String>> unsorted = new LinkedHashMap<>();
        unsorted.put("os", new LinkedHashSet<>(List.of("Linux", "Darwin")));
        unsorted.put("channel", new LinkedHashSet<>(List.of("release", "aurora", "beta")));
        EngagementQuery built = new EngagementQuery(asked.from(), asked.to(), asked.metrics(), List.of(), unsorted);
        assertThat(built.filters()).hasToString(asked.filters().toString());
    }

    @Test
    void canonicalParametersRoundTrip() {
        EngagementQuery q = parse("from=2026-09-01", "to=2026-09-05", "metrics=wau,er", "groupBy=country,os",
            "channel=release,beta");
        EngagementQuery again = EngagementQuery.parse(q.toParams(), DIMENSIONS, LIMITS);
        assertThat(again).isEqualTo(q);
    }

    @Test
    void firstDayReadDependsOnTheLargestLookback() {
        LocalDate from = LocalDate.of(2026, 9, 30);
        assertThat(query(from, Metric.DAU).firstDayRead()).isEqualTo(from);
        assertThat(query(from, Metric.WAU).firstDayRead()).isEqualTo(from.minusDays(6));
        assertThat(query(from, Metric.MAU).firstDayRead()).isEqualTo(from.minusDays(27));
        assertThat(query(from, Metric.ER).firstDayRead()).isEqualTo(from.minusDays(27));
        assertThat(query(from, Metric.ER_SMOOTHED).firstDayRead()).isEqualTo(from.minusDays(27));
        assertThat(query(from, Metric.DAU, Metric.WAU).firstDayRead()).isEqualTo(from.minusDays(6));
        assertThat(parse("from=2026-09-30", "to=2026-09-30", "metrics=dau").firstDayRead()).isEqualTo(from);
        assertThat(parse("from=2026-09-30", "to=2026-09-30").firstDayRead()).isEqualTo(from.minusDays(27));
    }

    private static EngagementQuery query(LocalDate from, Metric... metrics) {
        return new EngagementQuery(from, from, EnumSet.copyOf(List.of(metrics)), List.of(), Map.of());
    }

    @Test
    void metricNamesParse() {
        for (Metric m : Metric.values()) {
            assertThat(Metric.parse(m.jsonName())).isEqualTo(m);
        }
        assertThat(Metric.parse(" er_smoothed ")).isEqualTo(Metric.ER_SMOOTHED);
        assertThat(Set.of(Metric.values())).hasSize(5);
    }
}
