package dev.engagement.http;

import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.PartialsQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.QueryLimits;
import dev.engagement.testing.EngagementOnlyQueries;
import dev.engagement.testing.Poll;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The API's lanes, on a real HTTP server over a stand-in query layer whose queries block until the
 * test lets them go: with every public query slot taken and the query queue full, health checks,
 * another instance's {@code /internal/v1/partials} and {@code /v1/status} still answer at once; the
 * query past the queue is refused at once (503, with a message); queued queries hold no thread and
 * are all answered once slots free; a query that waited past the longest wait is refused unrun.
 *
 * <p>With one shared pool (the design before lanes) the health check and the internal call here
 * wait behind the blocked queries until those give up (10 s), and these tests fail.
 */
class ApiServerLanesTest {

    /** Far below the old design's 10 s stall, far above a loaded machine's scheduling hiccups. */
    private static final Duration AT_ONCE = Duration.ofSeconds(1);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    private final BlockingQueries queries = new BlockingQueries();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private ApiServer server;

    @AfterEach
    void stop() {
        queries.releasePublic.countDown();
        queries.releaseInternal.countDown();
        if (server != null) {
            server.close();
        }
    }

    @Test
    void healthInternalAndStatusAnswerAtOnceWhilePublicQueriesFillEverySlotAndTheQueue() throws Exception {
        server = start(Duration.ofSeconds(10));
        List<CompletableFuture<HttpResponse<String>>> blocked = new ArrayList<>();
        for (int i = 0; i < ApiServer.MAX_CONCURRENT_QUERIES; i++) {
            blocked.add(async("/v1/engagement?from=2026-09-01&to=2026-09-01"));
        }
        Poll.until("every query slot taken", Duration.ofSeconds(30),
            () -> queries.publicRunning.get() == ApiServer.MAX_CONCURRENT_QUERIES);
        for (int i = 0; i < ApiServer.MAX_WAITING_QUERIES; i++) {
            blocked.add(async("/v1/engagement?from=2026-09-01&to=2026-09-01"));
        }
        Poll.until("the query queue full", Duration.ofSeconds(30),
            () -> waiting("query") == ApiServer.MAX_WAITING_QUERIES);

        for (String path : List.of("/health/live", "/health/ready",
            "/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=0,1", "/v1/status")) {
            long start = System.nanoTime();
            HttpResponse<String> r = get(path);
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(took).as("%s answered while public queries are saturated", path).isLessThan(AT_ONCE);
        }

        long start = System.nanoTime();
        HttpResponse<String> refused = get("/v1/engagement?from=2026-09-01&to=2026-09-01");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refused without waiting").isLessThan(AT_ONCE);
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.body()).contains("too many queries at once (8 running, 64 waiting)");
        assertThat(refused.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(queries.publicRunning.get()).as("waiting queries hold no thread").isEqualTo(8);

        queries.releasePublic.countDown();
        for (CompletableFuture<HttpResponse<String>> f : blocked) {
            assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(queries.publicCalls.get()).isEqualTo(ApiServer.MAX_CONCURRENT_QUERIES + ApiServer.MAX_WAITING_QUERIES);
    }

    @Test
    void healthAndPublicQueriesAnswerWhileInternalRequestsFillTheirLane() throws Exception {
        server = start(Duration.ofSeconds(10));
        queries.publicBlocks = false;
        List<CompletableFuture<HttpResponse<String>>> blocked = new ArrayList<>();
        for (int i = 0; i < ApiServer.INTERNAL_THREADS + 4; i++) {
            blocked.add(async("/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=" + i));
        }
        Poll.until("every internal thread taken", Duration.ofSeconds(30),
            () -> queries.internalRunning.get() == ApiServer.INTERNAL_THREADS && waiting("internal") == 4);
        for (String path : List.of("/health/ready", "/v1/engagement?from=2026-09-01&to=2026-09-02")) {
            long start = System.nanoTime();
            HttpResponse<String> r = get(path);
            assertThat(r.statusCode()).as(path).isEqualTo(200);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(path).isLessThan(AT_ONCE);
        }
        queries.releaseInternal.countDown();
        for (CompletableFuture<HttpResponse<String>> f : blocked) {
            assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aQueryThatWaitedPastTheLongestWaitIsRefusedUnrun() throws Exception {
        Duration maxWait = Duration.ofMillis(300);
        server = start(maxWait);
        List<CompletableFuture<HttpResponse<String>>> running = new ArrayList<>();
        for (int i = 0; i < ApiServer.MAX_CONCURRENT_QUERIES; i++) {
            running.add(async("/v1/engagement?from=2026-09-01&to=2026-09-01"));
        }
        Poll.until("every query slot taken", Duration.ofSeconds(30),
            () -> queries.publicRunning.get() == ApiServer.MAX_CONCURRENT_QUERIES);
        long queuedAt = System.nanoTime();
        CompletableFuture<HttpResponse<String>> late = async("/v1/engagement?from=2026-09-01&to=2026-09-01");
        Poll.until("one query waiting", Duration.ofSeconds(30), () -> waiting("query") == 1);
        // A lower bound on the wait, not a hope: the slots free only after it has passed.
        Poll.until("the waiting query past the longest wait", Duration.ofSeconds(30),
            () -> System.nanoTime() - queuedAt > maxWait.toNanos() + 100_000_000L);
        queries.releasePublic.countDown();
        for (CompletableFuture<HttpResponse<String>> f : running) {
            assertThat(f.get(30, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> r = late.get(30, TimeUnit.SECONDS);
        assertThat(r.statusCode()).isEqualTo(503);
        assertThat(r.body()).contains("waited over 300 ms for a query slot");
        assertThat(queries.publicCalls.get()).as("the late query never ran").isEqualTo(ApiServer.MAX_CONCURRENT_QUERIES);
    }

    @Test
    void answersOnAKeptAliveConnectionDoNotWaitForTheClientsDelayedAck() throws Exception {
        server = start(Duration.ofSeconds(10));
        // A server that writes headers and body apart with Nagle's algorithm on makes the body wait for
        // the client's delayed ACK of the headers (at least 40 ms on Linux): every answer after the
        // first on a kept-alive connection from the JDK's client (as peers and the load test send
        // them) took 40-50 ms with the JDK server before it set TCP_NODELAY. Jetty sets TCP_NODELAY on
        // accepted connections and writes small answers in one write: a few ms, even on a busy machine.
        get("/health/live");
        List<Long> millis = new ArrayList<>();
        for (int i = 0; i < 21; i++) {
            long start = System.nanoTime();
            assertThat(get(i % 2 == 0 ? "/health/live" : "/internal/v1/partials?from=2026-09-01&to=2026-09-01&partitions=0,1")
                .statusCode()).isEqualTo(200);
            millis.add((System.nanoTime() - start) / 1_000_000);
        }
        Collections.sort(millis);
        assertThat(millis.get(millis.size() / 2))
            .as("median ms of %s", millis)
            .isLessThan(25);
    }

    private ApiServer start(Duration maxWait) throws Exception {
        ApiServer s = new ApiServer(new InetSocketAddress("127.0.0.1", 0), queries, List.of("channel", "os"),
            QueryLimits.DEFAULTS, () -> Map.of("state", "RUNNING"), () -> true, () -> true, metrics, "", maxWait);
        s.start();
        return s;
    }

    private double waiting(String lane) {
        return metrics.get("engagement_http_waiting_requests").tag("lane", lane).gauge().value();
    }

    private HttpRequest request(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
            .timeout(Duration.ofSeconds(60)).build();
    }

    private CompletableFuture<HttpResponse<String>> async(String path) {
        return http.sendAsync(request(path), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(request(path), HttpResponse.BodyHandlers.ofString());
    }

    /** A query layer whose public queries (and internal reads) block until released. */
    private static final class BlockingQueries extends EngagementOnlyQueries {

        final CountDownLatch releasePublic = new CountDownLatch(1);
        final CountDownLatch releaseInternal = new CountDownLatch(1);
        final AtomicInteger publicRunning = new AtomicInteger();
        final AtomicInteger publicCalls = new AtomicInteger();
        final AtomicInteger internalRunning = new AtomicInteger();
        volatile boolean publicBlocks = true;
        volatile boolean internalBlocks = true;

        @Override
        public EngagementAnswer engagement(EngagementQuery query) {
            publicCalls.incrementAndGet();
            if (publicBlocks) {
                publicRunning.incrementAndGet();
                await(releasePublic);
            }
            return new EngagementAnswer(query, List.of(), 4, 4, true);
        }

        @Override
        public List<PartitionAnswer> partials(PartialsQuery query) {
            if (internalBlocks && query.partitions().size() == 1) {
                internalRunning.incrementAndGet();
                await(releaseInternal);
            }
            return List.of();
        }

        private static void await(CountDownLatch latch) {
            try {
                if (!latch.await(60, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("never released");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }
}
