package dev.engagement.cli;

import dev.engagement.avro.Ping;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestData;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code engagement demo --pings FILE} as a user runs it (a separate JVM): the status tells when every
 * line is processed, the answers match exact counts, and a restart on the same data dir resumes with
 * the same answers.
 */
class DemoIT {

    private static final LocalDate FIRST = LocalDate.of(2026, 9, 1);

    @TempDir
    Path dir;

    @Test
    void replaysAFileAnswersExactlyAndResumesOnTheSameDataDir() throws Exception {
        TestData data = new TestData(FIRST, 3, 400, 600, 7);
        List<String> lines = new ArrayList<>();
        for (Ping ping : data.pings) {
            lines.add(JsonLinesPings.toJson(ping));
        }
        lines.add(3, "{not json");
        lines.add(10, "{\"client_id\": \"x\"}");
        Path file = dir.resolve("pings.jsonl");
        Files.write(file, lines);
        Path dataDir = dir.resolve("data");
        int port = AppProcess.freePort();
        String query = "/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(2) + "&metrics=dau&groupBy=channel,os";

        // run's settings reach the demo: a config file, and --property over it.
        Path config = dir.resolve("demo.properties");
        Files.writeString(config, "engagement.query.max-range-days=5\nbootstrap.servers=elsewhere:9092\n");

        JsonNode first;
        long produced;
        try (AppProcess demo = AppProcess.start(dir.resolve("demo1.log"), port, "demo", "--http-port", Integer.toString(port),
            "--pings", file.toString(), "--data-dir", dataDir.toString(), "--dimensions", "channel,os",
            "--config", config.toString(), "--property", "engagement.query.max-range-days=20")) {
            Poll.until("every line of the file processed", Duration.ofSeconds(120), () -> {
                AppProcess.Response status = demo.get("/v1/status");
                JsonNode feed = status.json().path("feed");
                return feed.path("done").asBoolean() && feed.path("produced").asLong() > 0
                    && status.json().path("pings").path("total").asLong() == feed.path("produced").asLong();
            });
            JsonNode status = demo.get("/v1/status").json();
            assertThat(status.path("feed").path("badLines").asInt()).isEqualTo(2);
            assertThat(status.path("pings").path("late").asInt()).isEqualTo(data.latePings);
            assertThat(demo.output()).contains("pings.jsonl:4: skipped", "pings.jsonl:11: skipped");
            assertThat(demo.output()).contains("demo: ignoring bootstrap.servers");
            assertThat(demo.get("/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(19) + "&metrics=dau").status())
                .isEqualTo(200);
            AppProcess.Response tooLong = demo.get("/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(20)
                + "&metrics=dau");
            assertThat(tooLong.status()).isEqualTo(400);
            assertThat(tooLong.text()).contains("the maximum is 20");
            long seen = Instant.parse(status.path("lastSeenTimestamp").asText()).toEpochMilli();
            assertThat(seen).as("late pings included").isGreaterThanOrEqualTo(
                Instant.parse(status.path("lastIngestedTimestamp").asText()).toEpochMilli());

            produced = demo.get("/v1/status").json().path("feed").path("produced").asLong();
            // Kafka's count of what was read, committed every commit.interval.ms: reaches every record.
            Poll.until("the committed offsets cover every record", Duration.ofSeconds(60),
                () -> demo.get("/v1/status").json().path("pingsTopicCommittedOffsetSum").asLong() == produced);
            first = stable(demo, query);
            assertExact(data, first, true);
        }

        Instant restartedAt = Instant.now();
        try (AppProcess again = AppProcess.start(dir.resolve("demo2.log"), port, "demo", "--http-port", Integer.toString(port),
            "--pings", file.toString(), "--data-dir", dataDir.toString(), "--dimensions", "channel,os")) {
            Poll.until("the resumed demo answers as before", Duration.ofSeconds(120),
                () -> withoutTiming(again.get(query).json()).equals(withoutTiming(first)));
            assertThat(again.output()).contains("Resumed: the replay of " + file + " had finished");
            JsonNode status = again.get("/v1/status").json();
            assertThat(status.path("pings").path("total").asLong())
                .as("nothing replayed twice").isZero();
            // The counters say they count since this process started; Kafka's committed offsets survive.
            assertThat(Instant.parse(status.path("pings").path("since").asText())).isAfter(restartedAt);
            Poll.until("the resumed demo's committed offsets cover every record", Duration.ofSeconds(60),
                () -> again.get("/v1/status").json().path("pingsTopicCommittedOffsetSum").asLong() == produced);
            assertThat(status.path("lastSeenTimestamp").isNull()).as("nothing read since the restart").isTrue();
        }
    }

    /**
     * A kill -9 in the middle of a replay, then the same command again: the replay continues after
     * its last acknowledged progress, the console says so, ingest resumes within seconds, and the
     * answers end as an uninterrupted replay's (the exact counts).
     */
    @Test
    void anInterruptedReplayContinuesOnRestartAndEndsWithTheSameAnswers() throws Exception {
        TestData data = new TestData(FIRST, 3, 3_000, 4_000, 11);
        List<String> lines = new ArrayList<>();
        for (int copy = 0; copy < 12; copy++) { // a file long enough to interrupt; repeats change nothing
            for (Ping ping : data.pings) {
                lines.add(JsonLinesPings.toJson(ping));
            }
        }
        Path file = dir.resolve("long.jsonl");
        Files.write(file, lines);
        Path dataDir = dir.resolve("interrupted");
        int port = AppProcess.freePort();
        String[] command = {"demo", "--http-port", Integer.toString(port), "--pings", file.toString(),
            "--data-dir", dataDir.toString(), "--dimensions", "channel,os"};

        try (AppProcess demo = AppProcess.start(dir.resolve("interrupted1.log"), port, command)) {
            Poll.until("the replay half way", Duration.ofSeconds(120), () -> {
                JsonNode feed = demo.get("/v1/status").json().path("feed");
                return feed.path("produced").asLong() >= lines.size() / 3 && !feed.path("done").asBoolean();
            });
            demo.kill();
        }
        assertThat(Files.readString(dataDir.resolve(FeedProgress.FILE))).contains("done=false");

        long restarted = System.nanoTime();
        try (AppProcess again = AppProcess.start(dir.resolve("interrupted2.log"), port, command)) {
            Poll.until("the restarted demo folds a ping", Duration.ofSeconds(120),
                () -> again.get("/v1/status").json().path("pings").path("accepted").asLong() > 0);
            System.out.printf("DemoIT: demo --data-dir restarted after kill -9 folds its first ping after %d ms%n",
                (System.nanoTime() - restarted) / 1_000_000);
            Poll.until("the rest of the file processed", Duration.ofSeconds(180), () -> {
                AppProcess.Response status = again.get("/v1/status");
                JsonNode feed = status.json().path("feed");
                return feed.path("done").asBoolean()
                    && status.json().path("pings").path("total").asLong() >= feed.path("produced").asLong();
            });
            assertThat(again.output()).contains("Resuming the replay of " + file + " after line");
            JsonNode status = again.get("/v1/status").json();
            assertThat(status.path("feed").path("resumedAfterLine").asLong()).isPositive();
            assertThat(status.path("feed").path("produced").asLong()).as("only the rest is sent again")
                .isLessThan(lines.size());
            String query = "/v1/engagement?from=" + FIRST + "&to=" + FIRST.plusDays(2) + "&metrics=dau&groupBy=channel,os";
            assertExact(data, stable(again, query), false); // large segments: within bounds
        }
        assertThat(Files.readString(dataDir.resolve(FeedProgress.FILE))).contains("done=true");
    }

    /**
     * Every (day, channel, os) row's DAU bounds hold the exact count, and with {@code roundsToExact}
     * (small segments, counted exactly) so does the rounded estimate.
     */
    private static void assertExact(TestData data, JsonNode answer, boolean roundsToExact) {
        assertThat(answer.path("rows")).isNotEmpty();
        for (JsonNode row : answer.path("rows")) {
            String key = TestData.key(LocalDate.parse(row.path("day").asText()),
                row.path("group").path("channel").asText(), row.path("group").path("os").asText());
            int exact = data.exact.getOrDefault(key, Set.of()).size();
            JsonNode dau = row.path("dau");
            assertThat(dau.path("lower").asDouble()).as(key).isLessThanOrEqualTo(exact);
            assertThat(dau.path("upper").asDouble()).as(key).isGreaterThanOrEqualTo(exact);
            if (roundsToExact) {
                assertThat(Math.round(dau.path("estimate").asDouble())).as(key).isEqualTo(exact);
            }
        }
    }

    /** The answer once two reads a moment apart agree. */
    private static JsonNode stable(AppProcess demo, String query) {
        return Poll.stable("the answer", Duration.ofSeconds(60), Duration.ofMillis(1500),
            () -> withoutTiming(demo.get(query).json()));
    }

    private static JsonNode withoutTiming(JsonNode answer) {
        ObjectNode copy = answer.deepCopy();
        copy.remove("tookMs");
        return copy;
    }
}
