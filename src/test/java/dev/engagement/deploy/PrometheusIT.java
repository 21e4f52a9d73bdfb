package dev.engagement.deploy;

import dev.engagement.generate.ReleaseTrains;
import dev.engagement.testing.AppProcess;
import dev.engagement.testing.Poll;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Prometheus (Debian's package, 2.42) scrapes a running {@code demo} that watches the release
 * channel, loads {@code deploy/prometheus/rules.yml}, and through its HTTP API: the watched-segment
 * alert fires, the operational alerts stay quiet, the JVM metrics are there, and every expression of
 * {@code deploy/grafana/engagement.json} answers.
 *
 * <p>Two things are arranged so that this runs in minutes, not a week:
 * <ul>
 *   <li>the alert compares with {@code offset 7d}, a week of Prometheus history that a fresh
 *   Prometheus lacks: that history is backfilled ({@code promtool tsdb create-blocks-from
 *   openmetrics}) with the value the demo itself answers for the complete day a week earlier, as
 *   Prometheus would have scraped it then;</li>
 *   <li>every rule's {@code for:} becomes {@code 0s} in the test's copy, so that an alert that is
 *   active at all shows at once: the watched one must be, the operational ones must never be (a
 *   stricter check than with their waiting times). {@code for:} itself is covered by
 *   {@code rules.test.yml}.</li>
 * </ul>
 * The demo's release trains are chosen so that a release lands 7 to 9 days ago and is the degraded
 * one (all its clients half as active): the complete day (3 days ago) has it, the week before not.
 */
class PrometheusIT {

    private static final String WATCHED_ALERT = "EngagementRatioDroppedWeekOverWeek";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void theWatchedSegmentAlertFiresAndTheOperationalOnesDoNot() throws Exception {
        Path prometheusBin = Path.of("/usr/bin/prometheus");
        Path promtool = Path.of("/usr/bin/promtool");
        assertThat(Files.isExecutable(prometheusBin) && Files.isExecutable(promtool))
            .as("Debian's prometheus package (apt-get install prometheus; .ci/run installs it)").isTrue();
        Path dir = Files.createDirectories(Path.of("target", "prometheus-it"));
        deleteTree(dir);
        Files.createDirectories(dir);

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Release release = releaseBetween(today.minusDays(9), today.minusDays(7));
        int port = AppProcess.freePort();
        try (AppProcess demo = AppProcess.start(dir.resolve("demo.log"), port, "demo", "--http-port", Integer.toString(port),
            "--clients", "8000", "--days", "40", "--release-cycle-days", Integer.toString(release.cycleDays()),
            "--degraded-release", release.version(), "--degraded-share", "1.0",
            "--watch", "release=channel=release", "--data-dir", dir.resolve("demo").toString())) {
            // Backfilled, caught up, and the watch has a complete day.
            Poll.until("the demo's backfill folded, with a complete day for the watch", Duration.ofMinutes(6), () -> {
                AppProcess.Response status = demo.get("/v1/status");
                return status.status() == 200 && status.json().path("feed").path("produced").asLong() > 0
                    && status.json().path("consumerLag").asLong(-1) == 0
                    && !Double.isNaN(gauge(demo.get("/metrics").text(), "engagement_watch_day_timestamp_seconds"))
                    // records_lag_max is a max over Kafka's sample window (about a minute): the backfill's
                    // lag lingers there after the catch-up, and the lag alert reads it (its real for: 15m
                    // rides that out; this copy's 0s would not).
                    && streamThreadLagMax(demo.get("/metrics").text()) < 1000;
            });
            double completeSeconds = gauge(demo.get("/metrics").text(), "engagement_watch_day_timestamp_seconds");
            LocalDate complete = Instant.ofEpochSecond((long) completeSeconds).atZone(ZoneOffset.UTC).toLocalDate();
            LocalDate weekBefore = complete.minusDays(7);
            double lowerWeekBefore = erOn(demo, weekBefore).path("lower").asDouble();
            double upperNow = erOn(demo, complete).path("upper").asDouble();
            assertThat(upperNow).as("the demo's own answers: ER's upper bound on %s below the lower bound on %s (release %s"
                + " on %s)", complete, weekBefore, release.version(), release.day()).isLessThan(lowerWeekBefore);

            String instance = "127.0.0.1:" + port;
            Path data = Files.createDirectories(dir.resolve("data"));
            backfill(promtool, dir, data, instance, lowerWeekBefore);
            Path rules = dir.resolve("rules.yml");
            Files.writeString(rules, Files.readString(Path.of("deploy/prometheus/rules.yml"))
                .replaceAll("(?m)^(\\s+)for: \\S+$", "$1for: 0s"));
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, """
                global:
                  scrape_interval: 5s
                  scrape_timeout: 5s
                  evaluation_interval: 2s
                rule_files: [%s]
                scrape_configs:
                  - job_name: engagement
                    static_configs:
                      - targets: ['%s']
                """.formatted(rules.toAbsolutePath(), instance));
            int prometheusPort = AppProcess.freePort();
            Process prometheus = new ProcessBuilder(prometheusBin.toString(), "--config.file=" + config.toAbsolutePath(),
                "--storage.tsdb.path=" + data.toAbsolutePath(), "--web.listen-address=127.0.0.1:" + prometheusPort)
                .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/";
                Poll.until("the demo's watched-segment alert firing in Prometheus", Duration.ofMinutes(2), () ->
                    alerts(api).stream().anyMatch(a -> a.path("labels").path("alertname").asText().equals(WATCHED_ALERT)
                        && a.path("labels").path("watch").asText().equals("release")
                        && a.path("state").asText().equals("firing")));

                // Every rule evaluated without error, and the operational records have data behind them.
                for (JsonNode group : get(api + "rules").path("data").path("groups")) {
                    for (JsonNode rule : group.path("rules")) {
                        assertThat(rule.path("health").asText()).as("rule %s: %s", rule.path("name").asText(),
                            rule.path("lastError").asText()).isEqualTo("ok");
                    }
                }
                // The records behind the operational alerts have values (a rate needs two scrapes): the
                // alerts are quiet on data, not for want of it. The demo dead-letters one ping in 2,000.
                Poll.until("the operational records and the JVM metrics in Prometheus", Duration.ofMinutes(1), () ->
                    Stream.of("engagement:dead_letter_ratio:rate10m", "engagement:consumer_lag:sum", "jvm_gc_pause_seconds_count",
                        "jvm_threads_live_threads", "process_cpu_usage", "system_cpu_usage", "process_uptime_seconds")
                        .allMatch(q -> !query(api, q).isEmpty()));
                // NaN while no ping arrived within the window (0 / 0), then a share. The demo's live feed
                // after its backfill is real-time and sparse (8,000 clients: a ping every 20 s or so, none
                // at all for minutes at times), so a share is checked when there is one, not waited for;
                // the rule's firing is promtool's unit tests' (rules.test.yml).
                double deadLetterRatio = query(api, "engagement:dead_letter_ratio:rate10m").get(0).path("value").get(1).asDouble();
                if (!Double.isNaN(deadLetterRatio)) {
                    assertThat(deadLetterRatio).as("dead-letter ratio").isGreaterThanOrEqualTo(0).isLessThan(0.01);
                }
                // No operational alert was ever active (pending or firing) while Prometheus ran.
                assertThat(query(api, "ALERTS{alertname!=\"" + WATCHED_ALERT + "\"}[1h]"))
                    .as("operational alerts active at any evaluation").isEmpty();

                // Every expression of the Grafana dashboard answers, with data.
                demo.get("/v1/engagement?from=" + complete + "&to=" + complete + "&metrics=er");
                List<String> expressions = new ArrayList<>();
                JSON.readTree(Path.of("deploy/grafana/engagement.json").toFile()).path("panels")
                    .forEach(p -> p.path("targets").forEach(t -> expressions.add(t.path("expr").asText())));
                assertThat(expressions).hasSizeGreaterThan(10);
                for (String expression : expressions) {
                    String promql = expression.replace("$__rate_interval", "1m").replace("$instance", ".*")
                        .replace("$watch", ".*");
                    Poll.until("the dashboard's " + promql + " answering", Duration.ofMinutes(1),
                        () -> !query(api, promql).isEmpty());
                }
            } finally {
                prometheus.destroy();
                if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
        }
    }

    /** The release (cycle length, version, day) that lands in {@code [from, to]} on some calendar. */
    record Release(int cycleDays, String version, LocalDate day) {
    }

    static Release releaseBetween(LocalDate from, LocalDate to) {
        for (int cycle = 14; cycle <= 60; cycle++) {
            ReleaseTrains trains = ReleaseTrains.ordinary(cycle);
            for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
                if (!trains.release(d).equals(trains.release(d.minusDays(1)))) {
                    return new Release(cycle, trains.release(d), d);
                }
            }
        }
        throw new AssertionError("no release cycle of 14-60 days has a release between " + from + " and " + to);
    }

    private static JsonNode erOn(AppProcess demo, LocalDate day) {
        JsonNode rows = demo.get("/v1/engagement?from=" + day + "&to=" + day + "&metrics=er&channel=release").json().path("rows");
        assertThat(rows).as("ER on %s", day).hasSize(1);
        return rows.get(0).path("er");
    }

    /** Prometheus' history of a week ago: the demo's lower bound then, every 15 s over 40 minutes. */
    private static void backfill(Path promtool, Path dir, Path data, String instance, double lower) throws Exception {
        long weekAgo = Instant.now().minus(Duration.ofDays(7)).getEpochSecond();
        StringBuilder metrics = new StringBuilder("# TYPE engagement_watch_er_lower gauge\n");
        for (long t = weekAgo - 600; t <= weekAgo + 1800; t += 15) {
            metrics.append(String.format(Locale.ROOT,
                "engagement_watch_er_lower{day=\"complete\",instance=\"%s\",job=\"engagement\",watch=\"release\"} %s %d%n",
                instance, lower, t));
        }
        metrics.append("# EOF\n");
        Path file = Files.writeString(dir.resolve("week-before.om"), metrics);
        Process p = new ProcessBuilder(promtool.toString(), "tsdb", "create-blocks-from", "openmetrics",
            file.toAbsolutePath().toString(), data.toAbsolutePath().toString())
            .redirectErrorStream(true).redirectOutput(dir.resolve("promtool.log").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as("promtool backfill: %s",
            Files.readString(dir.resolve("promtool.log"))).isTrue();
    }

    /** The value of the first sample of {@code name} with {@code day="complete"} on a /metrics page. */
    private static double gauge(String metrics, String name) {
        return metrics.lines().filter(l -> l.startsWith(name + "{") && l.contains("day=\"complete\""))
            .map(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).findFirst().orElse(Double.NaN);
    }

    /** The sum of the stream threads' consumers' records_lag_max on a /metrics page (NaN as 0). */
    private static double streamThreadLagMax(String metrics) {
        return metrics.lines().filter(l -> l.startsWith("kafka_consumer_fetch_manager_records_lag_max{")
                && l.matches(".*client_id=\"[^\"]*-StreamThread-[0-9]+-consumer\".*"))
            .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
            .map(v -> Double.isNaN(v) ? 0 : v).sum();
    }

    private static List<JsonNode> alerts(String api) {
        List<JsonNode> alerts = new ArrayList<>();
        get(api + "alerts").path("data").path("alerts").forEach(alerts::add);
        return alerts;
    }

    private static List<JsonNode> query(String api, String promql) {
        JsonNode answer = get(api + "query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        assertThat(answer.path("status").asText()).as("%s: %s", promql, answer.path("error").asText()).isEqualTo("success");
        List<JsonNode> result = new ArrayList<>();
        answer.path("data").path("result").forEach(result::add);
        return result;
    }

    private static JsonNode get(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
            return JSON.readTree(r.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (Files.exists(dir)) {
            try (var paths = Files.walk(dir)) {
                paths.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
