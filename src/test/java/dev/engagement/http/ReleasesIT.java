package dev.engagement.http;

import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementService;
import dev.engagement.avro.Ping;
import dev.engagement.cli.Main;
import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * {@code GET /v1/releases} on a real in-process broker: a release train (1.0, then 2.0 from day 5,
 * with a beta pre-release that never reaches the threshold) ingested by the real topology and
 * answered over HTTP, checked against exact counts, and its bad requests refused with messages.
 */
class ReleasesIT {

    private static final int PARTITIONS = 4;
    private static final String APP = "releases-it";
    private static final LocalDate FIRST_DAY = LocalDate.of(2026, 9, 1);
    private static final int DAYS = 12;
    private static final int RELEASE = 5;
    private static final int MIN_CLIENTS = 50;
    private static final String[] OSES = {"Linux", "Darwin", "Windows_NT"};
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static final List<Ping> PINGS = new ArrayList<>();
    /** Exact clients per "day|os|version". */
    private static final Map<String, Set<String>> EXACT = new HashMap<>();

    private static EmbeddedKafka kafka;
    private static EngagementService service;

    @BeforeAll
    static void start() throws Exception {
        population();
        kafka = EmbeddedKafka.start(Files.createTempDirectory("engagement-broker"), false);
        Path state = Files.createTempDirectory("releases-it-state");
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Map<String, String> p = TestConfigs.instance(kafka.bootstrapServers(), APP, state, PARTITIONS);
        p.put("engagement.dimensions", "channel,os,app_version");
        p.put("engagement.release.min-clients", Integer.toString(MIN_CLIENTS));
        p.put("engagement.http.port", Integer.toString(port));
        EngagementConfig config = EngagementConfig.defaults(p);
        KafkaTestUtils.createTopic(kafka.bootstrapServers(), config.pingsTopic(), PARTITIONS);
        service = EngagementService.start(config, REGISTRY);
        Poll.until("the instance RUNNING", Duration.ofSeconds(90),
            () -> service.app().streams().state() == KafkaStreams.State.RUNNING);
        KafkaTestUtils.produceAll(kafka.bootstrapServers(),
            KafkaTestUtils.pingRecords(config.pingsTopic(), PINGS, REGISTRY, PARTITIONS));
        Poll.until("every ping counted (" + PINGS.size() + ")", Duration.ofSeconds(120),
            () -> service.app().counters().total() >= PINGS.size());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {service, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    /**
     * 1,500 clients on 1.0; from day 5 each moves to 2.0 after 0-3 days; 30 beta clients run 2.0b1 on
     * days 2-4. Each client is active on a day with probability 1/2; pings of a day in time order.
     */
    private static void population() {
        Random random = new Random(11);
        int clients = 1500;
        int[] upgrade = new int[clients];
        for (int c = 0; c < clients; c++) {
            upgrade[c] = RELEASE + random.nextInt(4);
        }
        for (int d = 0; d < DAYS; d++) {
            LocalDate day = FIRST_DAY.plusDays(d);
            long start = day.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
            for (int c = 0; c < clients; c++) {
                if (random.nextInt(2) == 0) {
                    continue;
                }
                boolean beta = c < 30;
                String version = d >= upgrade[c] ? "2.0" : beta && d >= 2 ? "2.0b1" : "1.0";
                String os = OSES[c % OSES.length];
                String id = "client-" + c;
                PINGS.add(Ping.newBuilder().setClientId(id)
                    .setSubmissionTimestamp(Instant.ofEpochMilli(start + c * 50_000L))
                    .setActivityDate(day).setAppName("Firefox").setChannel(beta ? "beta" : "release").setOs(os)
                    .setCountry("DE").setAppVersion(version).setAttributes(Map.of()).build());
                EXACT.computeIfAbsent(day + "|" + os + "|" + version, k -> new HashSet<>()).add(id);
            }
        }
    }

    /** Exact distinct clients over days {@code from..to} of the given OSes (all when empty) and version (any when null). */
    private static int exact(LocalDate from, LocalDate to, Set<String> oses, String version) {
        Set<String> out = new HashSet<>();
        EXACT.forEach((key, ids) -> {
            String[] k = key.split("\\|");
            LocalDate day = LocalDate.parse(k[0]);
            if (!day.isBefore(from) && !day.isAfter(to) && (oses.isEmpty() || oses.contains(k[1]))
                && (version == null || version.equals(k[2]))) {
                out.addAll(ids);
            }
        });
        return out.size();
    }

    private record Reply(int status, JsonNode json) {
    }

    private static Reply get(String pathAndQuery) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort()
            + pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), JSON.readTree(r.body()));
    }

    private static void within(JsonNode estimate, double exact, String what) {
        assertThat(estimate.path("lower").asDouble()).as(what + " " + estimate + " vs exact " + exact)
            .isLessThanOrEqualTo(exact + 1e-9);
        assertThat(estimate.path("upper").asDouble()).as(what + " " + estimate + " vs exact " + exact)
            .isGreaterThanOrEqualTo(exact - 1e-9);
    }

    @Test
    void versionsByAgeMatchExactCountsWithinTheirBounds() throws Exception {
        String query = "/v1/releases?os=Linux,Darwin&ages=0..27";
        JsonNode answer = Poll.stable("the releases answer", Duration.ofSeconds(60), Duration.ofMillis(800), () -> {
            try {
                Reply r = get(query);
                // Every partition read; the rows settle once the last pings are folded.
                return r.status() == 200 && r.json().path("partitions").path("answered").asInt() == PARTITIONS
                    ? r.json().path("rows") : null;
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        JsonNode root = get(query).json();
        assertThat(root.path("rows")).isEqualTo(answer);
        assertThat(root.path("dimension").asText()).isEqualTo("app_version");
        assertThat(root.path("filters").path("os")).hasSize(2);
        assertThat(root.path("partitions").path("answered").asInt()).isEqualTo(PARTITIONS);
        assertThat(root.path("lowSampleThreshold").asInt()).isEqualTo(100);
        assertThat(root.path("ages").path("from").asInt()).isZero();
        assertThat(root.path("ages").path("to").asInt()).isEqualTo(27);
        assertThat(root.path("metrics")).hasSize(5);
        assertThat(root.path("newestDay").asText()).isEqualTo(FIRST_DAY.plusDays(DAYS - 1).toString());
        assertThat(root.has("tookMs")).isTrue();
        assertThat(root.has("comparisonNote")).as("no note beside a comparison").isFalse();
        JsonNode versions = root.path("versions");
        assertThat(versions).hasSize(2); // 2.0b1 never reached 50 clients a day
        assertThat(versions.get(0).path("version").asText()).isEqualTo("1.0");
        assertThat(versions.get(0).path("releaseDay").asText()).isEqualTo(FIRST_DAY.toString());
        assertThat(versions.get(1).path("version").asText()).isEqualTo("2.0");
        assertThat(versions.get(1).path("releaseDay").asText()).isEqualTo(FIRST_DAY.plusDays(RELEASE).toString());
        assertThat(versions.get(1).path("releaseDayGiven").asBoolean()).isFalse();
        assertThat(versions.get(1).path("age").asInt()).isEqualTo(DAYS - 1 - RELEASE);
        // The release day is the first day with at least 50 clients of the version over all segments.
        assertThat(exact(FIRST_DAY.plusDays(RELEASE - 1), FIRST_DAY.plusDays(RELEASE - 1), Set.of(), "2.0")).isZero();
        assertThat(exact(FIRST_DAY.plusDays(RELEASE), FIRST_DAY.plusDays(RELEASE), Set.of(), "2.0"))
            .isGreaterThanOrEqualTo(MIN_CLIENTS);

        Set<String> oses = Set.of("Linux", "Darwin");
        JsonNode rows = root.path("rows");
        assertThat(rows).hasSize(DAYS + (DAYS - RELEASE)); // rows stop at the newest day
        for (JsonNode row : rows) {
            String version = row.path("version").asText();
            LocalDate day = LocalDate.parse(row.path("day").asText());
            LocalDate release = version.equals("1.0") ? FIRST_DAY : FIRST_DAY.plusDays(RELEASE);
            assertThat(day).isEqualTo(release.plusDays(row.path("age").asInt()));
            String what = version + " age " + row.path("age").asInt();
            double dau = exact(day, day, oses, version);
            double mau = exact(day.minusDays(27), day, oses, version);
            within(row.path("dau"), dau, what + " dau");
            within(row.path("mau"), mau, what + " mau");
            within(row.path("er"), dau / mau, what + " er");
            within(row.path("uptake"), dau / exact(day, day, oses, null), what + " uptake");
            assertThat(row.has("er_smoothed")).isTrue();
        }
        JsonNode comparison = root.path("comparison");
        // No row of 2.0 is complete (its 28-day windows reach before the data): its current age.
        assertThat(comparison.path("age").asInt()).isEqualTo(DAYS - 1 - RELEASE);
        assertThat(comparison.path("complete").asBoolean()).isFalse();
        assertThat(comparison.path("newer").path("version").asText()).isEqualTo("2.0");
        assertThat(comparison.path("older").path("version").asText()).isEqualTo("1.0");
        assertThat(comparison.path("older").path("day").asText()).isEqualTo(FIRST_DAY.plusDays(DAYS - 1 - RELEASE).toString());
        for (String metric : List.of("dau", "mau", "er", "er_smoothed", "uptake")) {
            JsonNode m = comparison.path("metrics").path(metric);
            double difference = m.path("newer").path("estimate").asDouble() - m.path("older").path("estimate").asDouble();
            assertThat(m.path("difference").path("estimate").asDouble()).as(metric).isCloseTo(difference,
                offset(1e-9));
            assertThat(m.path("significant").asBoolean()).as(metric).isEqualTo(
                m.path("difference").path("lower").asDouble() > 0 || m.path("difference").path("upper").asDouble() < 0);
        }
        // 2.0 at day 6 holds most clients; 1.0 at day 6 held all of them: uptake differs, significantly.
        assertThat(comparison.path("metrics").path("uptake").path("significant").asBoolean()).isTrue();
    }

    @Test
    void aGivenReleaseDayAndTheCommandLine() throws Exception {
        Reply given = get("/v1/releases?versions=2.0b1,2.0&release.2.0b1=" + FIRST_DAY.plusDays(2) + "&metrics=dau&ages=0..2");
        assertThat(given.status()).isEqualTo(200);
        JsonNode versions = given.json().path("versions");
        assertThat(versions.get(0).path("version").asText()).isEqualTo("2.0b1");
        assertThat(versions.get(0).path("releaseDayGiven").asBoolean()).isTrue();
        JsonNode first = given.json().path("rows").get(0);
        assertThat(first.path("lowSample").asBoolean()).isTrue();
        within(first.path("dau"), exact(FIRST_DAY.plusDays(2), FIRST_DAY.plusDays(2), Set.of(), "2.0b1"), "2.0b1 dau");

        PrintStream out = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        int code;
        try {
            System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
            code = Main.execute("query", "releases", "--url", "http://127.0.0.1:" + service.httpPort(),
                "--where", "os=Linux", "--metrics", "dau,er,uptake", "--ages", "0..3");
        } finally {
            System.setOut(out);
        }
        String text = printed.toString(StandardCharsets.UTF_8);
        assertThat(code).as(text).isZero();
        assertThat(text).contains("app_version 2.0 released " + FIRST_DAY.plusDays(RELEASE))
            .contains("uptake [lower, upper]").contains("2.0 at day 3");
        assertThat(text.lines().filter(l -> l.matches("2\\.0 +\\d+ .*")).count()).as(text).isEqualTo(4);
    }

    @Test
    void fuzzedParametersGetAnswersOrMessagesNeverAServerError() throws Exception {
        Random random = new Random(23);
        String[] names = {"dimension", "versions", "ages", "metrics", "compareAge", "release.2.0", "release.", "os",
            "app_version", "channel", "x", ""};
        String[] values = {"app_version", "os", "1.0,2.0", "2.0b1", "9.9", "0..27", "3", "27..0", "-1..5", "0..9999",
            "dau,uptake", "wau", "2026-09-03", "2026-13-40", "", ",,", "Linux", "%00", "é中", "9".repeat(3000), "5"};
        int ok = 0;
        int bad = 0;
        for (int i = 0; i < 150; i++) {
            StringBuilder q = new StringBuilder("/v1/releases?");
            for (int p = random.nextInt(5); p > 0; p--) {
                q.append(URLEncoder.encode(names[random.nextInt(names.length)], StandardCharsets.UTF_8)).append('=')
                    .append(URLEncoder.encode(values[random.nextInt(values.length)], StandardCharsets.UTF_8)).append('&');
            }
            Reply r = get(q.toString());
            // 414: a URI over engagement.http.max-uri-bytes (4 KB; some fuzzed values are 3,000 digits).
            assertThat(r.status()).as(q.toString()).isIn(200, 400, 414);
            if (r.status() == 400 || r.status() == 414) {
                bad++;
                assertThat(r.json().path("error").asText()).as(q.toString()).isNotBlank();
            } else {
                ok++;
                assertThat(r.json().path("rows").isArray()).isTrue();
            }
        }
        assertThat(bad).isPositive();
        assertThat(ok).isPositive();
    }

    @Test
    void badRequestsGetMessages() throws Exception {
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("versions=9.9", "unknown version '9.9' of app_version");
        cases.put("versions=2.0b1", "'2.0b1' has no release day");
        cases.put("app_version=2.0", "is the release dimension");
        cases.put("ages=3..1", "'ages' must satisfy");
        cases.put("compareAge=40", "must lie within 'ages'");
        cases.put("metrics=wau", "unknown metric");
        cases.put("country=DE", "unknown parameter or dimension 'country'");
        cases.put("release.2.0=2026-02-30", "is not a date");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            int eq = c.getKey().indexOf('=');
            Reply r = get("/v1/releases?" + c.getKey().substring(0, eq) + "="
                + URLEncoder.encode(c.getKey().substring(eq + 1), StandardCharsets.UTF_8));
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().path("error").asText()).as(c.getKey()).contains(c.getValue());
            assertThat(r.json().size()).isEqualTo(1);
        }
    }
}
