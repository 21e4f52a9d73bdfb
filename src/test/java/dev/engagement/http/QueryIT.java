package dev.engagement.http;

import dev.engagement.app.EmbeddedKafka;
import dev.engagement.app.EngagementService;
import dev.engagement.avro.Ping;
import dev.engagement.config.EngagementConfig;
import dev.engagement.query.BadQueryException;
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
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
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
import java.time.LocalDate;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two instances of one application on a real in-process broker, queried over HTTP: each answers the
 * same question with the same rows, gathered from its own partitions and the other's.
 */
class QueryIT {

    private static final String TOKEN = "shared-query-token";

    private static final int PARTITIONS = 4;
    private static final String APP = "query-it";
    private static final LocalDate FIRST_DAY = LocalDate.of(2026, 9, 1);
    private static final TestData DATA = new TestData(FIRST_DAY, 4, 1500, 3000, 7);
    private static final EmbeddedSchemaRegistry REGISTRY = new EmbeddedSchemaRegistry();
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedKafka kafka;
    private static Path stateRoot;
    private static EngagementService a;
    private static EngagementService b;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafka.start(Files.createTempDirectory("engagement-broker"), false);
        stateRoot = Files.createTempDirectory("query-it-state");
        EngagementConfig configA = config("a", freePort());
        EngagementConfig configB = config("b", freePort());
        KafkaTestUtils.createTopic(kafka.bootstrapServers(), configA.pingsTopic(), PARTITIONS);
        a = EngagementService.start(configA, REGISTRY);
        b = EngagementService.start(configB, REGISTRY);
        // Both RUNNING, each the active owner of some partitions (so that queries must cross instances).
        Poll.until("both instances RUNNING and each owning partitions", Duration.ofSeconds(90), () ->
            a.app().streams().state() == KafkaStreams.State.RUNNING
                && b.app().streams().state() == KafkaStreams.State.RUNNING
                && owned(a).size() > 0 && owned(b).size() > 0
                && owned(a).size() + owned(b).size() == PARTITIONS);
        produce(configA.pingsTopic(), DATA.pings);
        Poll.until("every ping counted by one of the instances (" + DATA.pings.size() + ")", Duration.ofSeconds(120),
            () -> a.app().counters().total() + b.app().counters().total() >= DATA.pings.size());
        assertThat(a.app().counters().total() + b.app().counters().total()).isEqualTo(DATA.pings.size());
        assertThat(a.app().counters().total()).as("instance a ingested some").isPositive();
        assertThat(b.app().counters().total()).as("instance b ingested some").isPositive();
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
        p.put("engagement.downstream-interval", "200ms");
        p.put("engagement.http.bind", "127.0.0.1");
        p.put("engagement.http.port", Integer.toString(port));
        // Both instances share a token: the scatter-gather calls between them must carry it.
        p.put("engagement.http.token", TOKEN);
        return EngagementConfig.defaults(p);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    /** The pings-topic partitions an instance is the active owner of. */
    private static Set<Integer> owned(EngagementService service) {
        Set<Integer> out = new TreeSet<>();
        String self = "127.0.0.1:" + service.httpPort();
        for (StreamsMetadata m : service.app().streams().streamsMetadataForStore(EngagementTopology.SKETCH_STORE)) {
            if ((m.hostInfo().host() + ":" + m.hostInfo().port()).equals(self)) {
                for (TopicPartition tp : m.topicPartitions()) {
                    if (tp.topic().equals(APP + "-pings")) {
                        out.add(tp.partition());
                    }
                }
            }
        }
        return out;
    }

    private static void produce(String topic, List<Ping> pings) throws InterruptedException {
        KafkaTestUtils.produceAll(kafka.bootstrapServers(), KafkaTestUtils.pingRecords(topic, pings, REGISTRY, PARTITIONS));
    }

    private record Reply(int status, String body, JsonNode json) {
    }

    private static Reply get(EngagementService service, String pathAndQuery) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + service.httpPort() + pathAndQuery)).timeout(Duration.ofSeconds(30)).GET()
            .header("Authorization", "Bearer " + TOKEN).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
        return new Reply(r.statusCode(), r.body(), JSON.readTree(r.body()));
    }

    private static JsonNode rows(EngagementService service, String query) {
        try {
            Reply r = get(service, "/v1/engagement?" + query);
            if (r.status() != 200 || r.json().path("partitions").path("answered").asInt() != PARTITIONS) {
                return null;
            }
            return r.json().get("rows");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void bothInstancesGiveTheSameRowsFromEveryPartitionAndTheyMatchExactCounts() throws Exception {
        String query = "from=" + FIRST_DAY + "&to=" + FIRST_DAY.plusDays(3) + "&groupBy=os&channel=release";
        // The stores settle after the last flush: wait until the answer stops changing.
        JsonNode settled = Poll.stable("the answer of instance a", Duration.ofSeconds(60), Duration.ofMillis(800),
            () -> rows(a, query));
        Reply fromA = get(a, "/v1/engagement?" + query);
        Reply fromB = get(b, "/v1/engagement?" + query);
        assertThat(fromA.status()).isEqualTo(200);
        assertThat(fromB.status()).isEqualTo(200);
        assertThat(fromA.json().get("rows")).isEqualTo(settled);
        assertThat(fromB.json().get("rows")).as("instance b's rows equal instance a's").isEqualTo(fromA.json().get("rows"));
        for (Reply r : List.of(fromA, fromB)) {
            assertThat(r.json().path("partitions").path("total").asInt()).isEqualTo(PARTITIONS);
            assertThat(r.json().path("partitions").path("answered").asInt()).isEqualTo(PARTITIONS);
            assertThat(r.json().path("groupBy").get(0).asText()).isEqualTo("os");
            assertThat(r.json().path("filters").path("channel").get(0).asText()).isEqualTo("release");
            assertThat(r.json().path("complete").asBoolean()).as("the 28-day windows reach before the data").isFalse();
        }

        JsonNode rows = fromA.json().get("rows");
        assertThat(rows).hasSize(TestData.OSES.length * 4);
        Set<String> seen = new HashSet<>();
        for (JsonNode row : rows) {
            String os = row.path("group").path("os").asText();
            LocalDate day = LocalDate.parse(row.path("day").asText());
            seen.add(os + "|" + day);
            Set<String> exact = DATA.exact.getOrDefault(TestData.key(day, "release", os), Set.of());
            assertThat(exact).as("test data has clients for %s %s", os, day).isNotEmpty();
            JsonNode dau = row.path("dau");
            assertThat(dau.path("lower").asDouble()).as("%s %s DAU %s vs exact %d", os, day, dau, exact.size())
                .isLessThanOrEqualTo(exact.size());
            assertThat(dau.path("upper").asDouble()).as("%s %s DAU %s vs exact %d", os, day, dau, exact.size())
                .isGreaterThanOrEqualTo(exact.size());
            // MAU over the first days is the union of the days so far.
            Set<String> soFar = new HashSet<>();
            for (LocalDate d = FIRST_DAY; !d.isAfter(day); d = d.plusDays(1)) {
                soFar.addAll(DATA.exact.getOrDefault(TestData.key(d, "release", os), Set.of()));
            }
            JsonNode mau = row.path("mau");
            assertThat(mau.path("lower").asDouble()).isLessThanOrEqualTo(soFar.size());
            assertThat(mau.path("upper").asDouble()).isGreaterThanOrEqualTo(soFar.size());
            assertThat(row.path("complete").asBoolean()).isFalse();
            for (String metric : List.of("dau", "wau", "mau", "er", "er_smoothed")) {
                assertThat(row.has(metric)).as(metric).isTrue();
            }
        }
        assertThat(seen).hasSize(rows.size());

        // The same with a metric list and a multi-value filter, on both instances.
        String other = "from=" + FIRST_DAY.plusDays(1) + "&to=" + FIRST_DAY.plusDays(2)
            + "&metrics=dau,wau&channel=beta,nightly&os=Linux";
        JsonNode otherA = get(a, "/v1/engagement?" + other).json();
        JsonNode otherB = get(b, "/v1/engagement?" + other).json();
        assertThat(otherB.get("rows")).isEqualTo(otherA.get("rows"));
        assertThat(otherA.get("rows")).hasSize(2);
        for (JsonNode row : otherA.get("rows")) {
            LocalDate day = LocalDate.parse(row.path("day").asText());
            Set<String> exact = new HashSet<>();
            exact.addAll(DATA.exact.getOrDefault(TestData.key(day, "beta", "Linux"), Set.of()));
            exact.addAll(DATA.exact.getOrDefault(TestData.key(day, "nightly", "Linux"), Set.of()));
            assertThat(row.has("mau")).isFalse();
            assertThat(row.path("dau").path("lower").asDouble()).isLessThanOrEqualTo(exact.size());
            assertThat(row.path("dau").path("upper").asDouble()).isGreaterThanOrEqualTo(exact.size());
        }
    }

    @Test
    void statusDimensionsAndHealth() throws Exception {
        for (EngagementService s : List.of(a, b)) {
            Reply live = get(s, "/health/live");
            assertThat(live.status()).isEqualTo(200);
            assertThat(live.json().path("status").asText()).isEqualTo("UP");
            Reply ready = get(s, "/health/ready");
            assertThat(ready.status()).isEqualTo(200);
            assertThat(ready.json().path("status").asText()).isEqualTo("UP");

            Reply status = get(s, "/v1/status");
            assertThat(status.status()).isEqualTo(200);
            assertThat(status.json().path("state").asText()).isEqualTo("RUNNING");
            assertThat(status.json().path("partitions").asInt()).isEqualTo(PARTITIONS);
            assertThat(status.json().path("pings").path("total").asLong()).isEqualTo(s.app().counters().total());
            assertThat(status.json().has("consumerLag")).isTrue();

            Reply dims = get(s, "/v1/dimensions");
            assertThat(dims.status()).isEqualTo(200);
            assertThat(dims.json().path("day").asText()).isEqualTo(FIRST_DAY.plusDays(3).toString());
            JsonNode list = dims.json().path("dimensions");
            assertThat(list).hasSize(2);
            assertThat(list.get(0).path("name").asText()).isEqualTo("channel");
            assertThat(list.get(1).path("name").asText()).isEqualTo("os");
            Set<String> oses = new HashSet<>();
            list.get(1).path("values").forEach(v -> oses.add(v.path("value").asText()));
            assertThat(oses).containsExactlyInAnyOrder(TestData.OSES);
            assertThat(list.get(0).path("distinctValues").asInt()).isEqualTo(TestData.CHANNELS.length);
            // Values by clients, most first.
            JsonNode values = list.get(0).path("values");
            for (int i = 1; i < values.size(); i++) {
                assertThat(values.get(i - 1).path("clients").asLong()).isGreaterThanOrEqualTo(values.get(i).path("clients").asLong());
            }
            Reply limited = get(s, "/v1/dimensions?limit=1");
            assertThat(limited.json().path("dimensions").get(0).path("values")).hasSize(1);
        }
    }

    @Test
    void fuzzedQueryParametersGetAnswersOrJsonErrorsNeverAServerError() throws Exception {
        Random random = new Random(17);
        String[] names = {"from", "to", "metrics", "groupBy", "channel", "os", "country", "limit", "x", "from[]", ""};
        String[] values = {"2026-09-01", "2026-09-03", "2026-13-40", "1970-01-01", "+999999-01-01", "dau,er", "wau,xx",
            "channel,os", "os,os", "release,beta", "", ",,,", "%00", "%ZZ", "é中", "' OR 1=1 --", "<script>",
            "9".repeat(3000), "-1", "2026-09-02"};
        int ok = 0;
        int bad = 0;
        for (int i = 0; i < 300; i++) {
            StringBuilder q = new StringBuilder(random.nextBoolean() ? "/v1/engagement?" : "/v1/dimensions?");
            int params = random.nextInt(6);
            for (int p = 0; p < params; p++) {
                if (p > 0) {
                    q.append('&');
                }
                q.append(URLEncoder.encode(names[random.nextInt(names.length)], StandardCharsets.UTF_8))
                    .append('=')
                    .append(URLEncoder.encode(values[random.nextInt(values.length)], StandardCharsets.UTF_8));
            }
            Reply reply = get(random.nextBoolean() ? a : b, q.toString());
            // 414: a URI over engagement.http.max-uri-bytes (4 KB; some fuzzed values are 3,000 digits).
            assertThat(reply.status()).as(q.toString()).isIn(200, 400, 414);
            if (reply.status() == 400 || reply.status() == 414) {
                bad++;
                assertThat(reply.json().path("error").asText()).as(q.toString()).isNotBlank();
                assertThat(reply.body()).as(q.toString()).doesNotContain("Exception").doesNotContain("\tat ");
            } else {
                ok++;
            }
        }
        assertThat(bad).isPositive();
        assertThat(ok).as("some fuzzed queries are valid").isPositive();
    }

    @Test
    void badRequestsAreJsonErrorsWithoutStackTraces() throws Exception {
        String to = "&to=" + FIRST_DAY;
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/v1/engagement?to=" + FIRST_DAY, "missing 'from'");
        cases.put("/v1/engagement?from=2026-02-30" + to, "not a date");
        cases.put("/v1/engagement?from=" + FIRST_DAY.plusDays(1) + to, "after");
        cases.put("/v1/engagement?from=" + FIRST_DAY + to + "&metrics=dau,nope", "unknown metric");
        cases.put("/v1/engagement?from=" + FIRST_DAY + to + "&groupBy=country", "unknown groupBy dimension");
        cases.put("/v1/engagement?from=" + FIRST_DAY + to + "&country=DE", "unknown parameter or dimension");
        cases.put("/v1/engagement?from=" + FIRST_DAY + to + "&os=", "has no values");
        cases.put("/v1/engagement?from=2020-01-01" + to, "the maximum is 400");
        cases.put("/v1/engagement?from=" + FIRST_DAY + to + "&os=" + "x".repeat(2001), "longer than");
        cases.put("/v1/dimensions?limit=zero", "'limit'");
        cases.put("/internal/v1/partials?from=" + FIRST_DAY + to + "&partitions=one", "'partitions'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Reply r;
            try {
                r = get(b, c.getKey());
            } catch (IOException e) {
                throw new AssertionError("GET " + c.getKey() + ": " + e, e);
            }
            assertThat(r.status()).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().path("error").asText()).as(c.getKey()).contains(c.getValue());
            assertThat(r.json().size()).as("only an error message").isEqualTo(1);
            assertThat(r.body()).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("dev.engagement");
        }
        // A malformed escape cannot be sent through java.net.URI; the parser refuses it as a bad query.
        Assertions.assertThatThrownBy(() -> ApiServer.params("from=%ZZ" + to))
            .isInstanceOf(BadQueryException.class).hasMessageContaining("malformed query string");
        Reply missing = get(a, "/v1/nothing");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.json().path("error").asText()).contains("/v1/nothing");
        HttpResponse<String> post = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + a.httpPort()
            + "/v1/engagement")).POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        assertThat(JSON.readTree(post.body()).path("error").asText()).isNotEmpty();
    }
}
