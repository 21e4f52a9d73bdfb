package dev.engagement.cli;

import dev.engagement.config.HttpSettings;
import dev.engagement.http.ApiServer;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.PartialsQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.Queries;
import dev.engagement.query.QueryLimits;
import dev.engagement.testing.EngagementOnlyQueries;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code load} sends its mix to the instances and prints a row per query type with what came back. */
class LoadCommandTest {

    @Test
    void sendsTheMixAndPrintsFiguresPerQueryType() throws Exception {
        List<EngagementQuery> asked = new CopyOnWriteArrayList<>();
        Queries queries = new EngagementOnlyQueries() {
            @Override
            public EngagementAnswer engagement(EngagementQuery query) {
                asked.add(query);
                return new EngagementAnswer(query, List.of(), 4, 4, true);
            }

            @Override
            public List<PartitionAnswer> partials(PartialsQuery query) {
                return List.of();
            }
        };
        ApiServer server = new ApiServer(new HttpSettings("127.0.0.1", 0, ""), queries, List.of("channel", "os"),
            QueryLimits.DEFAULTS, () -> Map.of(), () -> true, () -> true, new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
        server.start();
        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            int code = new CommandLine(new LoadCommand()).execute("--url", "http://127.0.0.1:" + server.port(),
                "--clients", "4", "--seconds", "1", "--warmup-seconds", "0", "--to", "2026-09-30",
                "--mix", "er28-filter=1,groupby59=1,releases=0,dimensions=0", "--gzip");
            assertThat(code).isZero();
        } finally {
            System.setOut(out);
            server.close();
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        assertThat(text).contains("gzip on", "days to 2026-09-30").containsPattern("er28-filter +[1-9]")
            .containsPattern("groupby59 +[1-9]").doesNotContain("releases ");
        assertThat(asked).extracting(q -> q.from().toString()).contains("2026-09-03", "2026-08-03");
    }
}
