package dev.engagement.generate;

import dev.engagement.avro.Ping;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonLinesPingsTest {

    @TempDir
    Path dir;

    @Test
    void parsesIsoAndEpochTimestampsDatesAndAttributes() {
        Ping iso = JsonLinesPings.parse("{\"client_id\":\"a\",\"submission_timestamp\":\"2026-10-01T12:00:00Z\","
            + "\"activity_date\":\"2026-09-30\",\"channel\":\"beta\",\"attributes\":{\"branch\":\"treatment\"}}");
        assertThat(iso.getSubmissionTimestamp()).isEqualTo(Instant.parse("2026-10-01T12:00:00Z"));
        assertThat(iso.getActivityDate()).isEqualTo(LocalDate.of(2026, 9, 30));
        assertThat(iso.getChannel()).isEqualTo("beta");
        assertThat(iso.getOs()).isNull();
        assertThat(iso.getAttributes()).isEqualTo(Map.of("branch", "treatment"));
        Ping epoch = JsonLinesPings.parse("{\"client_id\":\"a\",\"submission_timestamp\":1790000000000}");
        assertThat(epoch.getSubmissionTimestamp().toEpochMilli()).isEqualTo(1_790_000_000_000L);
        assertThat(epoch.getActivityDate()).isNull();
        assertThat(JsonLinesPings.parse(JsonLinesPings.toJson(iso))).isEqualTo(iso);
    }

    @Test
    void badLinesAreReportedWithTheirNumberAndSkipped() throws Exception {
        Path file = dir.resolve("p.jsonl");
        Files.write(file, List.of(
            "{\"client_id\":\"a\",\"submission_timestamp\":1790000000000}",
            "not json",
            "",
            "{\"submission_timestamp\":1790000000000}",
            "{\"client_id\":\"b\",\"submission_timestamp\":\"yesterday\"}",
            "{\"client_id\":\"c\",\"submission_timestamp\":1790000000000,\"activity_date\":\"2026-02-30\"}",
            "[1,2]",
            "{\"client_id\":\"d\",\"submission_timestamp\":\"1790000000000\"}"));
        List<String> reports = new ArrayList<>();
        List<Ping> pings = new ArrayList<>();
        JsonLinesPings.Result result = JsonLinesPings.read(file, pings::add, (line, reason) -> reports.add(line + ": " + reason));
        assertThat(result.lines()).isEqualTo(8);
        assertThat(result.pings()).isEqualTo(2);
        assertThat(result.badLines()).isEqualTo(5);
        assertThat(pings).extracting(Ping::getClientId).containsExactly("a", "d");
        assertThat(reports).hasSize(5);
        assertThat(reports.get(0)).startsWith("2: not JSON");
        assertThat(reports.get(1)).startsWith("4: client_id is missing");
        assertThat(reports.get(2)).startsWith("5: submission_timestamp is neither");
        assertThat(reports.get(3)).startsWith("6: activity_date is not YYYY-MM-DD");
        assertThat(reports.get(4)).startsWith("7: not a JSON object");
    }

    @Test
    void theSyntheticPopulationIsDeterministicAndSkewed() {
        List<Ping> a = new ArrayList<>();
        List<Ping> b = new ArrayList<>();
        LocalDate first = LocalDate.of(2026, 9, 1);
        new Population(2000, first, 14, 5).day(first.plusDays(10), Long.MIN_VALUE, Long.MAX_VALUE, a::add);
        new Population(2000, first, 14, 5).day(first.plusDays(10), Long.MIN_VALUE, Long.MAX_VALUE, b::add);
        assertThat(a).isEqualTo(b).isNotEmpty();
        long release = a.stream().filter(p -> "release".equals(p.getChannel())).count();
        long nightly = a.stream().filter(p -> "nightly".equals(p.getChannel())).count();
        assertThat(release).isGreaterThan(4 * nightly);
        assertThat(a).anyMatch(p -> p.getActivityDate().isBefore(first.plusDays(10))); // a late trickle
        assertThatThrownBy(() -> JsonLinesPings.parse("{")).isInstanceOf(IllegalArgumentException.class);
    }
}
