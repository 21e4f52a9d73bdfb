package dev.engagement.cli;

import dev.engagement.avro.Ping;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.KafkaBroker;
import dev.engagement.testing.Poll;
import dev.engagement.testing.RegistryServer;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code engagement run --config} as an operator runs it (a separate JVM), against a real Kafka broker
 * and a real schema registry (Apicurio, Confluent-compatible API), fed by {@code engagement replay}.
 */
class RunIT {

    @RegisterExtension
    static final RegistryServer REGISTRY = new RegistryServer();

    private static final String TOKEN = "token-that-must-not-be-logged";
    @RegisterExtension
    static final KafkaBroker KAFKA = new KafkaBroker();

    @TempDir
    Path dir;



    @Test
    void runsAgainstARealBrokerAndRegistryAndCountsWhatReplayProduces() throws Exception {
        LocalDate first = LocalDate.of(2026, 9, 1);
        TestData data = new TestData(first, 3, 300, 400, 11);
        List<String> lines = new ArrayList<>();
        for (Ping ping : data.pings) {
            lines.add(JsonLinesPings.toJson(ping));
        }
        lines.add("{\"client_id\": 42}");
        Path pings = dir.resolve("pings.jsonl");
        Files.write(pings, lines);
        int port = AppProcess.freePort();
        Path config = dir.resolve("app.properties");
        Files.writeString(config, String.join("\n",
            "bootstrap.servers=" + KAFKA.bootstrapServers(),
            "application.id=run-it",
            "state.dir=" + dir.resolve("state"),
            "commit.interval.ms=500",
            "engagement.schema-registry.url=" + REGISTRY.url(),
            "engagement.dimensions=channel,os",
            "engagement.topic.partitions=2",
            "engagement.http.port=" + port,
            "sasl.jaas.config=secret-that-must-not-be-logged",
            "engagement.http.token=" + TOKEN,
            ""));

        try (AppProcess run = AppProcess.start(dir.resolve("run.log"), port, "run", "--config", config.toString())) {
            Poll.until("run ready", Duration.ofSeconds(90), () -> run.get("/health/ready").status() == 200);
            int exit = Main.execute("replay", pings.toString(), "--bootstrap-servers", KAFKA.bootstrapServers(),
                "--schema-registry", REGISTRY.url());
            assertThat(exit).isZero();
            Poll.until("every replayed ping counted", Duration.ofSeconds(60),
                () -> run.get("/v1/status", TOKEN).json().path("pings").path("total").asLong() == data.pings.size());
            String query = "/v1/engagement?from=" + first + "&to=" + first.plusDays(2) + "&metrics=dau&groupBy=channel,os";
            JsonNode answer = Poll.stable("the answer", Duration.ofSeconds(30), Duration.ofSeconds(1), () ->
                run.get(query, TOKEN).json().path("rows"));
            // The token guards everything but the health checks.
            for (String path : List.of(query, "/v1/status", "/v1/dimensions", "/metrics", "/internal/v1/partials")) {
                assertThat(run.get(path).status()).as(path).isEqualTo(401);
                assertThat(run.get(path, "wrong").status()).as(path).isEqualTo(401);
            }
            assertThat(run.get("/v1/status").json().path("error").asText()).contains("bearer token");
            assertThat(run.get("/health/live").status()).isEqualTo(200);
            assertThat(answer).isNotEmpty();
            for (JsonNode row : answer) {
                String key = TestData.key(LocalDate.parse(row.path("day").asText()),
                    row.path("group").path("channel").asText(), row.path("group").path("os").asText());
                assertThat(Math.round(row.path("dau").path("estimate").asDouble())).as(key)
                    .isEqualTo(data.exact.getOrDefault(key, Set.of()).size());
            }
            AppProcess.Response metrics = run.get("/metrics", TOKEN);
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.text()).contains("engagement_pings_total{outcome=\"accepted\"",
                "engagement_http_request_seconds_bucket", "kafka_stream");
            assertThat(metrics.text()).containsPattern("engagement_state_bytes [1-9]");
            assertThat(run.output()).doesNotContain("secret-that-must-not-be-logged").doesNotContain(TOKEN)
                .contains("sasl.jaas.config=****", "bearer token: ****");
        }
    }

    @Test
    void anUnreachableBrokerIsAOneLineErrorAndANonZeroExit() throws Exception {
        Path config = dir.resolve("broken.properties");
        Files.writeString(config, String.join("\n",
            "bootstrap.servers=127.0.0.1:" + AppProcess.freePort(),
            "default.api.timeout.ms=3000",
            "request.timeout.ms=2000",
            "state.dir=" + dir.resolve("state"),
            "engagement.http.port=" + AppProcess.freePort(),
            ""));
        try (AppProcess run = AppProcess.start(dir.resolve("broken.log"), 0, "run", "--config", config.toString())) {
            assertThat(run.waitFor(Duration.ofSeconds(60))).isNotZero();
            String out = run.output();
            assertThat(out).contains("engagement: ");
            assertThat(out).doesNotContain("\tat ");
        }
    }
}
