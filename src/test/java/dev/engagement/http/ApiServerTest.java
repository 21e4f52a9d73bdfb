package dev.engagement.http;

import dev.engagement.query.BadQueryException;
import dev.engagement.query.DimensionsAnswer;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.Metric;
import dev.engagement.query.PartialsQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.PartitionAnswerCodec;
import dev.engagement.query.Queries;
import dev.engagement.query.QueryLimits;
import dev.engagement.query.QueryTimeoutException;
import dev.engagement.query.ReleaseAnswer;
import dev.engagement.query.ReleaseMetric;
import dev.engagement.query.ReleaseQuery;
import dev.engagement.sketch.Estimate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The routes, on a real HTTP server (127.0.0.1, a free port) over a stand-in query layer: each route
 * parses the request into the query the layer is asked, writes the layer's answer field by field,
 * and turns errors into status codes with a JSON {@code {"error": ...}} body and no stack trace; the
 * bearer token guards every route but health checks and the dashboard's files. The lanes' limits
 * under load are {@link ApiServerLanesTest}'s.
 */
class ApiServerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> DIMENSIONS = List.of("channel", "os");
    /** Small limits, so that a test can cross them. */
    private static final QueryLimits LIMITS = new QueryLimits(31, 1000, 100, 40);
    private static final String TOKEN = "s3cret";

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private final FakeQueries queries = new FakeQueries();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private final AtomicBoolean live = new AtomicBoolean(true);
    private ApiServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
    }

    @Test
    void engagementParsesTheQueryAndWritesEveryFieldOfTheAnswer() throws Exception {
        start("");
        Reply r = get("/v1/engagement?from=2026-09-01&to=2026-09-02&metrics=dau,mau&groupBy=os&channel=beta,release");

        EngagementQuery asked = queries.engagement.get(0);
        assertThat(asked.from()).isEqualTo(LocalDate.of(2026, 9, 1));
        assertThat(asked.to()).isEqualTo(LocalDate.of(2026, 9, 2));
        assertThat(asked.metrics()).containsExactlyInAnyOrder(Metric.DAU, Metric.MAU);
        assertThat(asked.groupBy()).containsExactly("os");
        assertThat(asked.filters()).isEqualTo(Map.of("channel", Set.of("beta", "release")));

        assertThat(r.status).isEqualTo(200);
        assertThat(r.headers.firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        JsonNode j = r.json();
        assertThat(fieldNames(j)).containsExactly("from", "to", "metrics", "groupBy", "filters", "complete",
            "partitions", "lowSampleThreshold", "rows", "tookMs");
        assertThat(j.path("from").asText()).isEqualTo("2026-09-01");
        assertThat(j.path("to").asText()).isEqualTo("2026-09-02");
        assertThat(j.path("metrics")).extracting(JsonNode::asText).containsExactlyInAnyOrder("dau", "mau");
        assertThat(j.path("groupBy")).extracting(JsonNode::asText).containsExactly("os");
        assertThat(j.path("filters").path("channel")).extracting(JsonNode::asText)
            .containsExactlyInAnyOrder("beta", "release");
        assertThat(j.path("complete").asBoolean()).isFalse();
        assertThat(j.path("partitions").path("total").asInt()).isEqualTo(4);
        assertThat(j.path("partitions").path("answered").asInt()).isEqualTo(3);
        assertThat(j.path("partitions").path("standby")).extracting(JsonNode::asInt).containsExactly(2);
        assertThat(j.path("lowSampleThreshold").asInt()).isEqualTo(LIMITS.lowSampleClients());
        // One row per day, as the fake answers: the row's fields and each metric's bounds.
        assertThat(j.path("rows")).hasSize(2);
        JsonNode row = j.path("rows").get(1);
        assertThat(fieldNames(row)).containsExactly("group", "day", "dau", "mau", "lowSample", "complete");
        assertThat(row.path("group").path("os").asText()).isEqualTo("Linux");
        assertThat(row.path("day").asText()).isEqualTo("2026-09-02");
        assertThat(row.path("dau").path("estimate").asDouble()).isEqualTo(11.0);
        assertThat(row.path("dau").path("lower").asDouble()).isEqualTo(10.0);
        assertThat(row.path("dau").path("upper").asDouble()).isEqualTo(12.5);
        assertThat(row.path("mau").path("estimate").asDouble()).isEqualTo(101.0);
        assertThat(row.path("lowSample").asBoolean()).isTrue();
        assertThat(row.path("complete").asBoolean()).isFalse();
        assertThat(j.path("tookMs").asLong()).isNotNegative();
    }

    @Test
    void badParametersGet400WithAMessageAndNeverReachTheQueryLayer() throws Exception {
        start("");
        String longValue = "x".repeat(LIMITS.maxParamLength() + 1);
        Map<String, String> cases = new LinkedHashMap<>();
        cases.put("/v1/engagement?to=2026-09-01", "missing 'from'");
        cases.put("/v1/engagement?from=yesterday&to=2026-09-01", "'from' is not a date");
        cases.put("/v1/engagement?from=2026-09-02&to=2026-09-01", "is after 'to'");
        cases.put("/v1/engagement?from=2026-08-01&to=2026-09-30", "the maximum is 31");
        cases.put("/v1/engagement?from=2026-09-01&to=2026-09-01&channel=" + longValue, "longer than 40 characters");
        cases.put("/v1/engagement?from=2026-09-01&to=2026-09-01&groupBy=country", "unknown groupBy dimension 'country'");
        cases.put("/v1/engagement?from=2026-09-01&to=2026-09-01&colour=red", "unknown parameter or dimension 'colour'");
        cases.put("/v1/engagement?from=2026-09-01&to=2026-09-01&metrics=dau,hau", "unknown metric");
        cases.put("/v1/releases?ages=x", "ages");
        cases.put("/v1/releases?dimension=" + longValue, "longer than 40 characters");
        cases.put("/v1/dimensions?limit=many", "'limit' is not an integer");
        cases.put("/v1/dimensions?limit=0", "'limit' must be between 1 and 1000");
        cases.put("/v1/dimensions?limit=1001", "'limit' must be between 1 and 1000");
        cases.put("/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=0,a", "'partitions' must be integers");
        cases.put("/internal/v1/partials?from=2026-09-01&to=2026-09-01&maxGroups=all", "'maxGroups' must be an integer");
        cases.put("/internal/v1/partials?to=2026-09-01&partitions=0", "missing 'from'");
        for (Map.Entry<String, String> c : cases.entrySet()) {
            Reply r = get(c.getKey());
            assertThat(r.status).as(c.getKey()).isEqualTo(400);
            assertThat(r.json().path("error").asText()).as(c.getKey()).contains(c.getValue());
            assertThat(fieldNames(r.json())).as("only an error message").containsExactly("error");
            assertThat(r.body).doesNotContain("Exception").doesNotContain("\tat ");
        }
        assertThat(queries.calls.get()).as("no bad request reached the query layer").isZero();
        // A malformed escape cannot be sent through java.net.URI; the parser refuses it as a bad query.
        assertThatThrownBy(() -> ApiServer.params("from=%ZZ")).isInstanceOf(BadQueryException.class)
            .hasMessageContaining("malformed query string near 'from=%ZZ'");
    }

    @Test
    void theQueryLayersErrorsBecome400503And500WithoutAStackTrace() throws Exception {
        start("");
        String query = "/v1/engagement?from=2026-09-01&to=2026-09-01&groupBy=os";

        queries.failure = new BadQueryException("the answer has 1200 groups; the maximum is 1000");
        Reply bad = get(query);
        assertThat(bad.status).isEqualTo(400);
        assertThat(bad.json().path("error").asText()).isEqualTo("the answer has 1200 groups; the maximum is 1000");
        assertThat(bad.headers.firstValue("Retry-After")).isEmpty();

        queries.failure = new QueryTimeoutException("the query took over 30 s");
        for (String path : List.of(query, "/v1/dimensions", "/v1/releases",
            "/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=1")) {
            Reply slow = get(path);
            assertThat(slow.status).as(path).isEqualTo(503);
            assertThat(slow.headers.firstValue("Retry-After")).as(path).hasValue("1");
            assertThat(slow.json().path("error").asText()).as(path).isEqualTo("the query took over 30 s");
        }

        queries.failure = new Bug("a bug, with internals in its message");
        Reply bug = get(query);
        assertThat(bug.status).isEqualTo(500);
        assertThat(bug.json().path("error").asText()).isEqualTo("internal error: Bug");
        assertThat(bug.body).doesNotContain("internals").doesNotContain("\tat ").doesNotContain("dev.engagement");
    }

    @Test
    void unknownPathsGet404AndOtherMethods405() throws Exception {
        start("");
        Reply missing = get("/v1/nothing");
        assertThat(missing.status).isEqualTo(404);
        assertThat(missing.json().path("error").asText()).isEqualTo("no such endpoint: /v1/nothing");
        Reply noFile = get("/ui/nothing.js");
        assertThat(noFile.status).isEqualTo(404);
        assertThat(noFile.json().path("error").asText()).contains("no such file");
        for (String method : List.of("POST", "PUT", "DELETE")) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(uri("/v1/engagement?from=2026-09-01&to=2026-09-01"))
                .method(method, HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(JSON.readTree(r.body()).path("error").asText()).isEqualTo("only GET is supported");
        }
        assertThat(queries.calls.get()).isZero();
    }

    @Test
    void theTokenGuardsEveryRouteButHealthChecksAndTheDashboardsFiles() throws Exception {
        start(TOKEN);
        List<String> guarded = List.of("/v1/engagement?from=2026-09-01&to=2026-09-01", "/v1/releases", "/v1/dimensions",
            "/v1/status", "/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=0", "/metrics", "/v1/nothing");
        for (String path : guarded) {
            for (String header : new String[] {null, "Bearer wrong", TOKEN, "Bearer " + TOKEN + "x"}) {
                Reply r = get(path, header);
                assertThat(r.status).as("%s with %s", path, header).isEqualTo(401);
                assertThat(r.headers.firstValue("WWW-Authenticate")).hasValue("Bearer");
                assertThat(r.json().path("error").asText()).isEqualTo("missing or wrong bearer token");
            }
        }
        assertThat(queries.calls.get()).as("nothing unauthorized reached the query layer").isZero();
        for (String path : guarded) {
            assertThat(get(path, "Bearer " + TOKEN).status).as(path).isEqualTo(path.equals("/v1/nothing") ? 404 : 200);
        }
        for (String path : List.of("/health/live", "/health/ready", "/", "/ui/app.js", "/ui/releases.html",
            "/webjars/uplot/dist/uPlot.iife.min.js")) {
            assertThat(get(path).status).as(path).isEqualTo(200);
        }
    }

    @Test
    void healthChecksSayUpOrDownAndStatusAndMetricsAnswer() throws Exception {
        start("");
        assertThat(get("/health/live").json().path("status").asText()).isEqualTo("UP");
        assertThat(get("/health/ready").json().path("status").asText()).isEqualTo("UP");
        ready.set(false);
        Reply notReady = get("/health/ready");
        assertThat(notReady.status).isEqualTo(503);
        assertThat(notReady.json().path("status").asText()).isEqualTo("DOWN");
        assertThat(get("/health/live").status).as("not ready is still live").isEqualTo(200);
        live.set(false);
        Reply dead = get("/health/live");
        assertThat(dead.status).isEqualTo(503);
        assertThat(dead.json().path("status").asText()).isEqualTo("DOWN");

        Reply status = get("/v1/status");
        assertThat(status.status).isEqualTo(200);
        assertThat(status.json().path("state").asText()).isEqualTo("RUNNING");
        assertThat(status.json().path("pings").path("accepted").asLong()).isEqualTo(42);

        Reply scrape = get("/metrics");
        assertThat(scrape.status).isEqualTo(200);
        assertThat(scrape.headers.firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(scrape.body).contains("engagement_http_request_seconds_count{endpoint=\"/v1/status\",status=\"200\"}")
            .contains("engagement_http_waiting_requests{lane=\"query\"}");
    }

    @Test
    void dimensionsPassTheLimitAndWriteEachDimensionsTopValues() throws Exception {
        start("");
        Reply r = get("/v1/dimensions");
        assertThat(queries.dimensionLimits).containsExactly(OptionalInt.empty());
        assertThat(r.status).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(fieldNames(j)).containsExactly("day", "count", "dimensions");
        assertThat(j.path("day").asText()).isEqualTo("2026-09-02");
        assertThat(j.path("count").asText()).isEqualTo("distinct clients over the 28 days ending on 'day'");
        JsonNode os = j.path("dimensions").get(1);
        assertThat(fieldNames(os)).containsExactly("name", "values", "distinctValues");
        assertThat(os.path("name").asText()).isEqualTo("os");
        assertThat(os.path("distinctValues").asInt()).isEqualTo(3);
        assertThat(os.path("values")).hasSize(2);
        assertThat(os.path("values").get(0).path("value").asText()).isEqualTo("Windows_NT");
        assertThat(os.path("values").get(0).path("clients").asLong()).isEqualTo(900);

        get("/v1/dimensions?limit=7");
        assertThat(queries.dimensionLimits).containsExactly(OptionalInt.empty(), OptionalInt.of(7));

        queries.noData = true;
        JsonNode empty = get("/v1/dimensions").json();
        assertThat(empty.path("day").isNull()).isTrue();
        assertThat(empty.path("dimensions")).hasSize(2);
        assertThat(fieldNames(empty.path("dimensions").get(0))).as("no distinctValues without a day")
            .containsExactly("name", "values");
    }

    @Test
    void releasesParseWithTheDefaultDimensionAndWriteTheComparisonOrItsNote() throws Exception {
        start("");
        Reply r = get("/v1/releases?versions=2.0,3.0&metrics=dau,uptake&ages=0..3&os=Linux");
        ReleaseQuery asked = queries.releases.get(0);
        assertThat(asked.dimension()).as("the layer's default").isEqualTo("channel");
        assertThat(asked.versions()).containsExactly("2.0", "3.0");
        assertThat(asked.filters()).isEqualTo(Map.of("os", Set.of("Linux")));
        assertThat(r.status).isEqualTo(200);
        JsonNode j = r.json();
        assertThat(fieldNames(j)).containsExactly("dimension", "filters", "metrics", "ages", "newestDay", "versions",
            "complete", "partitions", "lowSampleThreshold", "rows", "comparison", "tookMs");
        assertThat(j.path("dimension").asText()).isEqualTo("channel");
        assertThat(j.path("ages").path("from").asInt()).isEqualTo(asked.fromAge());
        assertThat(j.path("ages").path("to").asInt()).isEqualTo(asked.toAge());
        assertThat(j.path("newestDay").asText()).isEqualTo("2026-09-02");
        JsonNode version = j.path("versions").get(0);
        assertThat(fieldNames(version)).containsExactly("version", "releaseDay", "releaseDayGiven", "age");
        assertThat(version.path("releaseDay").asText()).isEqualTo("2026-08-30");
        assertThat(version.path("releaseDayGiven").asBoolean()).isTrue();
        JsonNode row = j.path("rows").get(0);
        assertThat(fieldNames(row)).containsExactly("version", "age", "day", "dau", "lowSample", "complete");
        assertThat(row.path("dau").path("upper").asDouble()).isEqualTo(12.5);
        JsonNode c = j.path("comparison");
        assertThat(fieldNames(c)).containsExactly("age", "newer", "older", "complete", "metrics");
        assertThat(c.path("newer").path("version").asText()).isEqualTo("3.0");
        assertThat(c.path("older").path("day").asText()).isEqualTo("2026-08-01");
        JsonNode dau = c.path("metrics").path("dau");
        assertThat(fieldNames(dau)).containsExactly("newer", "older", "difference", "significant");
        assertThat(dau.path("difference").path("lower").asDouble()).isEqualTo(-3.0);
        assertThat(dau.path("significant").asBoolean()).isFalse();

        queries.noData = true;
        JsonNode none = get("/v1/releases").json();
        assertThat(none.path("comparison").isNull()).isTrue();
        assertThat(none.path("comparisonNote").asText()).isEqualTo("only one version");
    }

    @Test
    void partialsPassThePartitionsAndGroupLimitAndWriteTheCodecsEncoding() throws Exception {
        start("");
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(
                uri("/internal/v1/partials?from=2026-09-01&to=2026-09-02&groupBy=os&partitions=3,1&partitions=2&maxGroups=5"))
            .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(r.statusCode()).isEqualTo(200);
        PartialsQuery asked = queries.partials.get(0);
        assertThat(asked.partitions()).containsExactly(1, 2, 3);
        assertThat(asked.maxGroups()).isEqualTo(5);
        assertThat(asked.query().groupBy()).containsExactly("os");
        List<PartitionAnswer> decoded = PartitionAnswerCodec.decode(r.body());
        assertThat(decoded).hasSize(3);
        assertThat(decoded).extracting(PartitionAnswer::partition).containsExactly(1, 2, 3);
        assertThat(decoded.get(0).unions().keySet()).containsExactly(new PartitionAnswer.GroupDay(List.of("Linux"), 20_000));
        assertThat(decoded.get(0).unions().values().iterator().next()).containsExactly(1, 2, 3);

        get("/internal/v1/partials?from=2026-09-01&to=2026-09-01");
        assertThat(queries.partials.get(1).partitions()).as("no partitions: none").isEmpty();
        assertThat(queries.partials.get(1).maxGroups()).as("the default group limit").isEqualTo(LIMITS.maxGroups());
    }

    private void start(String token) throws Exception {
        server = new ApiServer(new InetSocketAddress("127.0.0.1", 0), queries, DIMENSIONS, LIMITS,
            () -> Map.of("state", "RUNNING", "pings", Map.of("accepted", 42)), ready::get, live::get, metrics, token,
            Duration.ofSeconds(10));
        server.start();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private Reply get(String path) throws Exception {
        return get(path, null);
    }

    private Reply get(String path, String authorization) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r.body(), r.headers());
    }

    private record Reply(int status, String body, HttpHeaders headers) {
        JsonNode json() throws Exception {
            return JSON.readTree(body);
        }
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }


    /** A bug in the query layer (without a stack trace, to keep the server's error log short). */
    private static final class Bug extends RuntimeException {
        Bug(String message) {
            super(message, null, false, false);
        }
    }

    /** Records what it is asked and answers with fixed values (or throws {@link #failure}). */
    private static final class FakeQueries implements Queries {

        final AtomicInteger calls = new AtomicInteger();
        final List<EngagementQuery> engagement = new ArrayList<>();
        final List<ReleaseQuery> releases = new ArrayList<>();
        final List<OptionalInt> dimensionLimits = new ArrayList<>();
        final List<PartialsQuery> partials = new ArrayList<>();
        volatile RuntimeException failure;
        volatile boolean noData;

        private synchronized void called() {
            calls.incrementAndGet();
            if (failure != null) {
                throw failure;
            }
        }

        @Override
        public synchronized EngagementAnswer engagement(EngagementQuery query) {
            called();
            engagement.add(query);
            List<EngagementAnswer.Row> rows = new ArrayList<>();
            for (LocalDate d = query.from(); !d.isAfter(query.to()); d = d.plusDays(1)) {
                Map<Metric, Estimate> m = new EnumMap<>(Metric.class);
                m.put(Metric.DAU, new Estimate(11, 10, 12.5));
                m.put(Metric.MAU, new Estimate(101, 95, 108));
                rows.add(new EngagementAnswer.Row(Map.of("os", "Linux"), d, m, 11, 101, true, false));
            }
            return new EngagementAnswer(query, rows, 4, 3, false, List.of(2));
        }

        @Override
        public String defaultReleaseDimension() {
            return "channel";
        }

        @Override
        public synchronized ReleaseAnswer releases(ReleaseQuery query) {
            called();
            releases.add(query);
            LocalDate newest = LocalDate.of(2026, 9, 2);
            Estimate e = new Estimate(11, 10, 12.5);
            if (noData) {
                return new ReleaseAnswer(query, newest, List.of(), List.of(), true, 4, 4, List.of(), 100, null,
                    "only one version");
            }
            ReleaseAnswer.Comparison comparison = new ReleaseAnswer.Comparison(3, "3.0", newest, "2.0",
                LocalDate.of(2026, 8, 1), true, Map.of(ReleaseMetric.DAU,
                new ReleaseAnswer.Compared(e, new Estimate(10, 9, 11), new Estimate(1, -3, 5), false)));
            return new ReleaseAnswer(query, newest,
                List.of(new ReleaseAnswer.Version("3.0", LocalDate.of(2026, 8, 30), true, 3)),
                List.of(new ReleaseAnswer.Row("3.0", 0, LocalDate.of(2026, 8, 30), Map.of(ReleaseMetric.DAU, e), false,
                    true)),
                true, 4, 4, List.of(), 100, comparison, null);
        }

        @Override
        public synchronized DimensionsAnswer dimensions(OptionalInt limit) {
            called();
            dimensionLimits.add(limit);
            if (noData) {
                return new DimensionsAnswer(null, List.of(new DimensionsAnswer.Dimension("channel", 0, List.of()),
                    new DimensionsAnswer.Dimension("os", 0, List.of())));
            }
            return new DimensionsAnswer(LocalDate.of(2026, 9, 2), List.of(
                new DimensionsAnswer.Dimension("channel", 1, List.of(new DimensionsAnswer.Value("release", 1000))),
                new DimensionsAnswer.Dimension("os", 3, List.of(new DimensionsAnswer.Value("Windows_NT", 900),
                    new DimensionsAnswer.Value("Linux", 80)))));
        }

        @Override
        public synchronized List<PartitionAnswer> partials(PartialsQuery query) {
            called();
            partials.add(query);
            List<PartitionAnswer> out = new ArrayList<>();
            for (int p : query.partitions()) {
                out.add(new PartitionAnswer(p, 19_999, 19_000,
                    Map.of(new PartitionAnswer.GroupDay(List.of("Linux"), 20_000), new byte[] {1, 2, 3})));
            }
            return out;
        }
    }
}
