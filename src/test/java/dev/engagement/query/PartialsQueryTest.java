package dev.engagement.query;

import org.junit.jupiter.api.Test;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The parameters of another instance's {@code /internal/v1/partials} call. */
class PartialsQueryTest {

    private static final List<String> DIMENSIONS = List.of("channel", "os");

    private static Map<String, List<String>> params(String... pairs) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            out.computeIfAbsent(pairs[i], k -> new ArrayList<>()).add(pairs[i + 1]);
        }
        return out;
    }

    @Test
    void partitionsAndTheGroupLimitAreTakenOutAndTheRestIsTheEngagementQuery() {
        Map<String, List<String>> params = params("from", "2026-09-01", "to", "2026-09-03", "partitions", "5, 1",
            "partitions", "3,1", "maxGroups", "7", "groupBy", "os", "channel", "beta");
        PartialsQuery q = PartialsQuery.parse(params, DIMENSIONS, QueryLimits.DEFAULTS);
        assertThat(q.partitions()).containsExactly(1, 3, 5);
        assertThat(q.maxGroups()).isEqualTo(7);
        assertThat(q.query()).isEqualTo(EngagementQuery.parse(params("from", "2026-09-01", "to", "2026-09-03",
            "groupBy", "os", "channel", "beta"), DIMENSIONS, QueryLimits.DEFAULTS));
        assertThat(q.query().from()).isEqualTo(LocalDate.of(2026, 9, 1));
        assertThat(q.query().filters()).isEqualTo(Map.of("channel", Set.of("beta")));
        assertThat(params).as("the caller's parameters are left alone").containsKeys("partitions", "maxGroups");
    }

    @Test
    void withoutThemNoPartitionsAndTheLimitsGroupLimit() {
        PartialsQuery q = PartialsQuery.parse(params("from", "2026-09-01", "to", "2026-09-01"), DIMENSIONS,
            new QueryLimits(400, 17, 100, 2000));
        assertThat(q.partitions()).isEmpty();
        assertThat(q.maxGroups()).isEqualTo(17);
    }

    @Test
    void badValuesAreBadQueries() {
        assertThatThrownBy(() -> PartialsQuery.parse(params("from", "2026-09-01", "to", "2026-09-01",
            "partitions", "1,x"), DIMENSIONS, QueryLimits.DEFAULTS))
            .isInstanceOf(BadQueryException.class).hasMessage("'partitions' must be integers");
        assertThatThrownBy(() -> PartialsQuery.parse(params("from", "2026-09-01", "to", "2026-09-01",
            "maxGroups", "lots"), DIMENSIONS, QueryLimits.DEFAULTS))
            .isInstanceOf(BadQueryException.class).hasMessage("'maxGroups' must be an integer");
        assertThatThrownBy(() -> PartialsQuery.parse(params("from", "2026-09-01", "to", "2026-09-01",
            "country", "DE"), DIMENSIONS, QueryLimits.DEFAULTS))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("unknown parameter or dimension 'country'");
    }
}
