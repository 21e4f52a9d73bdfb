package dev.engagement.app;

import dev.engagement.config.EngagementConfig;
import dev.engagement.registry.EmbeddedSchemaRegistry;
import dev.engagement.testing.KafkaTestUtils;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestConfigs;
import dev.engagement.testing.TestData;
import dev.engagement.topology.EngagementTopology;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Watched segments on a real in-process broker, two instances: the {@code engagement_watch_*} gauges
 * that each instance's {@code /metrics} publishes equal, value for value, {@code /v1/engagement}'s
 * answer for the same filter and day, for the newest complete day and for today.
 */
class WatchIT {

    private static final int PARTITIONS = 4;
    private static final String APP = "watch-it";
    /** "Today" for the watches: the data's last day (a fixed clock, so the test never straddles midnight). */
    private static final LocalDate TODAY = LocalDate.of(2026, 10, 5);
    /** 35 days: the newest complete day (today - 3, grace 2 days) has a full 28-day window. */
    private static final TestData DATA = new TestData(TODAY.minusDays(34), 35, 1500, 700, 5);
    /** Two watches, in the query-string form of /v1/engagement. */
    private static final Map<String, String> WATCHES = Map.of(
        "release", "channel=release",
        "beta-nightly-linux", "channel=beta,nightly&os=Linux");
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final Pattern SAMPLE = Pattern.compile("^(engagement_watch_[a-z_]+)\\{([^}]*)} (\\S+)$");
    private static final Pattern LABEL = Pattern.compile("(\\w+)=\"([^\"]*)\"");

    private static EmbeddedKafka kafka;
    private static Path stateRoot;
    private static EngagementService a;
    private static EngagementService b;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("engagement-broker"), false);
        stateRoot = Files.createTempDirectory("watch-it-state");
        Clock clock = Clock.fixed(TODAY.atTime(15, 0).toInstant(ZoneOffset.UTC), ZoneOffset.UTC);
        EngagementConfig configA = config("a", freePort());
        EngagementConfig configB = config("b", freePort());
        KafkaTestUtils.createTopic(kafka.bootstrapServers(), configA.pingsTopic(), PARTITIONS);
        a = EngagementService.start(configA, REGISTRY, clock);
        b = EngagementService.start(configB, REGISTRY, clock);
        Poll.until("both instances RUNNING and each owning partitions", Duration.ofSeconds(90), () ->
            a.app().streams().state() == KafkaStreams.State.RUNNING
                && b.app().streams().state() == KafkaStreams.State.RUNNING
                && owned(a) > 0 && owned(b) > 0 && owned(a) + owned(b) == PARTITIONS);
        KafkaTestUtils.produceAll(kafka.bootstrapServers(),
            KafkaTestUtils.pingRecords(configA.pingsTopic(), DATA.pings, REGISTRY, PARTITIONS));
        Poll.until("every ping counted (" + DATA.pings.size() + ")", Duration.ofSeconds(120),
            () -> a.app().counters().total() + b.app().counters().total() >= DATA.pings.size());
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {a, b, kafka}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static EngagementConfig config(String instance, int port) {
        Map<String, String> p = TestConfigs.instance(kafka.bootstrapServers(), APP, stateRoot.resolve(instance), PARTITIONS);
        p.put("application.server", "127.0.0.1:" + port);
        p.put("engagement.http.port", Integer.toString(port));
        WATCHES.forEach((name, filter) -> p.put("engagement.watch." + name, filter));
        return EngagementConfig.defaults(p);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** How many pings-topic partitions an instance is the active owner of. */
    private static int owned(EngagementService service) {
        Set<Integer> out = new TreeSet<>();
        for (StreamsMetadata m : service.app().streams().streamsMetadataForStore(EngagementTopology.SKETCH_STORE)) {
            if (m.hostInfo().port() == service.httpPort()) {
                for (TopicPartition tp : m.topicPartitions()) {
                    if (tp.topic().equals(APP + "-pings")) {
                        out.add(tp.partition());
                    }
                }
            }
        }
        return out.size();
    }

    private static String get(EngagementService service, String pathAndQuery) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.httpPort()
                + pathAndQuery)).timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("%s: %s", pathAndQuery, r.body()).isEqualTo(200);
            return r.body();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code /v1/engagement}'s answer for a watch's filter, dau, mau and er, over the days. */
    private static JsonNode engagement(EngagementService service, String filter, LocalDate from, LocalDate to) {
        try {
            return JSON.readTree(get(service, "/v1/engagement?from=" + from + "&to=" + to + "&metrics=dau,mau,er&" + filter));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The watch gauges of one scrape: "name{day=..,watch=..}" to value. */
    private static Map<String, Double> scrape(EngagementService service) {
        Map<String, Double> out = new TreeMap<>();
        for (String line : get(service, "/metrics").split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (m.matches()) {
                Map<String, String> labels = new TreeMap<>();
                Matcher l = LABEL.matcher(m.group(2));
                while (l.find()) {
                    labels.put(l.group(1), l.group(2));
                }
                out.put(key(m.group(1), labels.get("day"), labels.get("watch")), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }

    private static String key(String name, String day, String watch) {
        return name + "{day=" + day + ",watch=" + watch + "}";
    }

    /** What the gauges must say, from /v1/engagement's row of each watch's filter and day. */
    private static Map<String, Double> expected(Map<String, JsonNode> rows) {
        Map<String, Double> out = new TreeMap<>();
        rows.forEach((dayAndWatch, row) -> {
            String[] dw = dayAndWatch.split("\\|");
            for (String metric : List.of("dau", "mau", "er")) {
                JsonNode e = row.path(metric);
                out.put(key("engagement_watch_" + metric, dw[0], dw[1]), e.path("estimate").asDouble());
                out.put(key("engagement_watch_" + metric + "_lower", dw[0], dw[1]), e.path("lower").asDouble());
                out.put(key("engagement_watch_" + metric + "_upper", dw[0], dw[1]), e.path("upper").asDouble());
            }
            out.put(key("engagement_watch_low_sample", dw[0], dw[1]), row.path("lowSample").asBoolean() ? 1.0 : 0.0);
            out.put(key("engagement_watch_day_timestamp_seconds", dw[0], dw[1]),
                (double) LocalDate.parse(row.path("day").asText()).atStartOfDay().toEpochSecond(ZoneOffset.UTC));
        });
        return out;
    }

    @Test
    void gaugesOfEveryInstanceEqualTheEngagementAnswerForTheSameFilterAndDay() {
        LocalDate complete = TODAY.minusDays(3);
        // /v1/engagement, once every ping is folded and the answers stop changing, for each watch's
        // filter over the days the watch looks at: its newest complete day, and today.
        Map<String, JsonNode> rows = new TreeMap<>();
        for (Map.Entry<String, String> watch : WATCHES.entrySet()) {
            JsonNode answer = Poll.stable("the answer for " + watch.getValue(), Duration.ofSeconds(60), Duration.ofMillis(800),
                () -> {
                    JsonNode r = engagement(a, watch.getValue(), TODAY.minusDays(9), TODAY);
                    return r.path("partitions").path("answered").asInt() == PARTITIONS ? r.get("rows") : null;
                });
            JsonNode newestComplete = null;
            for (JsonNode row : answer) {
                if (row.path("complete").asBoolean()) {
                    newestComplete = row;
                }
            }
            assertThat(newestComplete).as("a complete day for %s", watch.getKey()).isNotNull();
            assertThat(newestComplete.path("day").asText()).as("grace (2 days) holds the 3 newest days open")
                .isEqualTo(complete.toString());
            // The one-day answers, as a user would ask for them, are what the gauges must equal.
            for (LocalDate day : List.of(complete, TODAY)) {
                JsonNode oneDay = engagement(a, watch.getValue(), day, day).get("rows").get(0);
                assertThat(oneDay).as("the one-day answer equals the range's row").isEqualTo(row(answer, day));
                rows.put((day.equals(TODAY) ? "current" : "complete") + "|" + watch.getKey(), oneDay);
            }
        }
        Map<String, Double> expected = expected(rows);
        assertThat(expected.get(key("engagement_watch_dau", "complete", "release")))
            .isGreaterThan(expected.get(key("engagement_watch_dau", "complete", "beta-nightly-linux")))
            .isGreaterThan(100);
        assertThat(expected.get(key("engagement_watch_er_upper", "current", "release"))).isLessThan(1).isPositive();

        // The gauges may still hold a reading computed while pings were folding (kept up to 10 s):
        // poll until both instances' gauges agree, then compare with a clear message either way.
        Map<String, Map<String, Double>> scraped = new TreeMap<>();
        try {
            Poll.until("both instances' watch gauges equal /v1/engagement", Duration.ofSeconds(60), () -> {
                scraped.put("a", scrape(a));
                scraped.put("b", scrape(b));
                return scraped.get("a").equals(expected) && scraped.get("b").equals(expected);
            });
        } catch (AssertionError timedOut) {
            // the assertions below say what differs
        }
        assertThat(scraped.get("a")).as("instance a's gauges").isEqualTo(expected);
        assertThat(scraped.get("b")).as("instance b's gauges").isEqualTo(expected);
        assertThat(expected).hasSize(WATCHES.size() * 2 * 11);
    }

    private static JsonNode row(JsonNode rows, LocalDate day) {
        for (JsonNode row : rows) {
            if (row.path("day").asText().equals(day.toString())) {
                return row;
            }
        }
        throw new AssertionError("no row for " + day + " in " + rows);
    }
}
