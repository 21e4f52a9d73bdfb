package dev.engagement.bench;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The query section of {@code bench} (which checks the releases answer's rows itself, and throws
 * when they are not the expected ones) at the default number of days, on small stores.
 */
class QueryAndStateBenchTest {

    @Test
    void querySectionRunsAtTheDefaultDaysPastFourVersionsOfSegments(@TempDir Path dir) throws Exception {
        // 3,000 segments: more than 2,700, where the store holds a fourth version (v3, segment 2700),
        // which the releases figure once picked up, with only 14 ages, and crashed at the default size.
        List<IngestBench.Figure> figures = QueryAndStateBench.queriesAndState(dir, 3000,
            IngestBench.DEFAULT_QUERY_DAYS, 10);
        assertThat(figures).extracting(IngestBench.Figure::name)
            .contains("query warm: releases, 3 versions x 28 ages, one filter",
                "query warm: group-by over 35 days", "state: RocksDB bytes on disk per segment-day");
    }

    @Test
    void querySectionRunsAtTheSmokeSize(@TempDir Path dir) throws Exception {
        List<IngestBench.Figure> figures = QueryAndStateBench.queriesAndState(dir, 500, 30, 10);
        assertThat(figures).extracting(IngestBench.Figure::name)
            .contains("query warm: releases, 1 version x 28 ages, one filter");
    }

    @Test
    void releaseRowsCountEachVersionsAgesUpToTheLastDay() {
        assertThat(QueryAndStateBench.expectedReleaseRows(3, IngestBench.DEFAULT_QUERY_DAYS)).isEqualTo(3 * 28);
        assertThat(QueryAndStateBench.expectedReleaseRows(3, 30)).isEqualTo(3 * 28); // every age is clamped to 29
        assertThat(QueryAndStateBench.expectedReleaseRows(1, 20)).isEqualTo(20);
    }
}
