package dev.engagement.http;

import dev.engagement.config.HttpSettings;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.Metric;
import dev.engagement.query.PartialsQuery;
import dev.engagement.query.PartitionAnswer;
import dev.engagement.query.QueryLimits;
import dev.engagement.sketch.Estimate;
import dev.engagement.testing.EngagementOnlyQueries;
import dev.engagement.testing.Poll;
import dev.engagement.testing.TestCertificates;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.GZIPInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What the HTTP server itself guards, on a real server over a stand-in query layer: slow clients
 * (requests half sent and held open) hold no thread, so health checks answer beside 256 of them; a
 * request not read within the read timeout has its connection closed; header, URI and connection
 * limits; gzip when accepted; a query whose client disconnected while it waited is dropped unrun;
 * TLS with client certificates, and a peer's call over https.
 *
 * <p>Every timing here is a deadline for a failure, never a measured bound: what is asserted is
 * that an answer came (with its status) while the slow connections were open, by the server's own
 * count.
 */
class ApiServerConnectionsTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(10)).build();
    private final StandInQueries queries = new StandInQueries();
    private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final List<Socket> sockets = new ArrayList<>();
    private ApiServer server;

    @TempDir
    Path dir;

    @AfterEach
    void stop() throws IOException {
        queries.release.countDown();
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void healthChecksAnswerBeside256SlowClientsHoldingHalfSentRequests() throws Exception {
        server = start(settings(Duration.ofSeconds(60), 4096, 1024));
        for (int i = 0; i < 256; i++) {
            Socket s = open();
            // The request line and one header, never the blank line that ends the headers.
            s.getOutputStream().write(("GET /v1/engagement?from=2026-09-01&to=2026-09-01 HTTP/1.1\r\nHost: x\r\n")
                .getBytes(StandardCharsets.US_ASCII));
            s.getOutputStream().flush();
        }
        Poll.until("256 slow connections open at the server", DEADLINE, () -> server.openConnections() >= 256);
        for (int i = 0; i < 20; i++) {
            for (String path : List.of("/health/live", "/health/ready")) {
                HttpResponse<String> r = get(path);
                assertThat(r.statusCode()).as(path).isEqualTo(200);
                assertThat(r.body()).contains("UP");
            }
        }
        assertThat(get("/v1/engagement?from=2026-09-01&to=2026-09-02").statusCode())
            .as("a query beside them").isEqualTo(200);
        assertThat(server.openConnections()).as("the slow ones were still open throughout").isGreaterThanOrEqualTo(256);
    }

    @Test
    void aRequestNotReadWithinTheReadTimeoutHasItsConnectionClosedAndAnIdleOneWaitsForTheIdleTimeout() throws Exception {
        server = start(new HttpSettings("127.0.0.1", 0, "", Duration.ofSeconds(60), Duration.ofMillis(300), 8192, 4096,
            1024, 4096, HttpSettings.Tls.NONE));
        Socket slow = open();
        Socket idle = open();
        slow.getOutputStream().write("GET /health/live HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII));
        slow.getOutputStream().flush();
        slow.setSoTimeout((int) DEADLINE.toMillis());
        assertThat(slow.getInputStream().read()).as("closed by the server").isEqualTo(-1);
        // The idle connection (no byte sent) is the idle timeout's (60 s), not the read timeout's:
        // it still serves a request after the slow one was closed.
        idle.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        idle.setSoTimeout((int) DEADLINE.toMillis());
        assertThat(new String(idle.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }

    @Test
    void headersAndUrisOverTheirLimitsAreRefusedWithJson() throws Exception {
        server = start(settings(Duration.ofSeconds(10), 2048, 1024));
        HttpResponse<String> longUri = get("/v1/engagement?from=2026-09-01&to=2026-09-01&os=" + "L".repeat(1500));
        assertThat(longUri.statusCode()).isEqualTo(414);
        assertThat(JSON.readTree(longUri.body()).path("error").asText()).contains("URI longer than 1024 bytes");

        HttpResponse<String> bigHeader = http.send(HttpRequest.newBuilder(uri("/health/live"))
            .header("X-Big", "x".repeat(4000)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(bigHeader.statusCode()).isEqualTo(431);
        assertThat(JSON.readTree(bigHeader.body()).has("error")).as(bigHeader.body()).isTrue();
    }

    @Test
    void pastTheConnectionLimitANewConnectionIsServedOnlyOnceAnotherCloses() throws Exception {
        server = start(new HttpSettings("127.0.0.1", 0, "", Duration.ofSeconds(60), Duration.ofSeconds(10), 8192, 4096,
            4, 4096, HttpSettings.Tls.NONE));
        for (int i = 0; i < 4; i++) {
            open();
        }
        Poll.until("4 connections open", DEADLINE, () -> server.openConnections() == 4);
        Socket fifth = open(); // the kernel completes the handshake; the server does not accept it yet
        fifth.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        fifth.setSoTimeout(500);
        assertThatThrownBy(() -> fifth.getInputStream().read()).as("not served at the limit")
            .isInstanceOf(SocketTimeoutException.class);
        assertThat(server.openConnections()).isEqualTo(4);
        sockets.get(0).close();
        fifth.setSoTimeout((int) DEADLINE.toMillis());
        assertThat(new String(fifth.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
    }

    @Test
    void answersOverTheGzipThresholdAreGzippedWhenAcceptedAndOnlyThen() throws Exception {
        server = start(settings(Duration.ofSeconds(10), 8192, 4096));
        String path = "/v1/engagement?from=2026-07-01&to=2026-08-29";
        HttpResponse<byte[]> gz = http.send(HttpRequest.newBuilder(uri(path)).header("Accept-Encoding", "gzip").build(),
            HttpResponse.BodyHandlers.ofByteArray());
        HttpResponse<byte[]> plain = http.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
        assertThat(plain.body().length).as("a big answer").isGreaterThan(4096);
        assertThat(gz.headers().firstValue("Content-Encoding")).hasValue("gzip");
        byte[] inflated;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz.body()))) {
            inflated = in.readAllBytes();
        }
        assertThat(gz.body().length).as("compressed").isLessThan(plain.body().length / 3);
        JsonNode a = JSON.readTree(inflated);
        JsonNode b = JSON.readTree(plain.body());
        assertThat(a.path("rows")).isEqualTo(b.path("rows"));

        HttpResponse<byte[]> small = http.send(HttpRequest.newBuilder(uri("/health/live")).header("Accept-Encoding", "gzip")
            .build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(small.headers().firstValue("Content-Encoding")).as("under the threshold").isEmpty();
    }

    @Test
    void aQueryWhoseClientDisconnectedWhileItWaitedIsDroppedUnrun() throws Exception {
        server = start(settings(Duration.ofSeconds(60), 8192, 4096));
        queries.block = true;
        List<Socket> running = new ArrayList<>();
        for (int i = 0; i < ApiServer.MAX_CONCURRENT_QUERIES; i++) {
            running.add(send(open(), "/v1/engagement?from=2026-09-01&to=2026-09-01"));
        }
        Poll.until("every query slot taken", DEADLINE, () -> queries.running.get() == ApiServer.MAX_CONCURRENT_QUERIES);
        Socket gone = send(open(), "/v1/engagement?from=2026-09-01&to=2026-09-02");
        Poll.until("one query waiting", DEADLINE, () -> gauge("engagement_http_waiting_requests") == 1);
        gone.close();
        sockets.remove(gone);
        // On loopback the FIN is in the server's socket when close() returns: the lane sees it when
        // the query's turn comes.
        queries.release.countDown();
        for (Socket s : running) {
            s.setSoTimeout((int) DEADLINE.toMillis());
            assertThat(new String(s.getInputStream().readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("HTTP/1.1 200");
        }
        Poll.until("the abandoned query counted", DEADLINE, () -> metrics.get("engagement_http_dropped_requests")
            .tag("lane", "query").tag("reason", "disconnected").counter().count() == 1);
        assertThat(queries.calls.get()).as("the abandoned query never ran").isEqualTo(ApiServer.MAX_CONCURRENT_QUERIES);
    }

    @Test
    void tlsWithClientCertificatesServesPeersOverHttpsAndRefusesClientsWithoutOne() throws Exception {
        TestCertificates certs = TestCertificates.generate(dir.resolve("certs"), "keypass", "trustpass");
        HttpSettings.Tls tls = new HttpSettings.Tls(certs.brokerKeystore().toString(), certs.keystorePassword(),
            certs.truststore().toString(), certs.truststorePassword(), "need");
        Duration readTimeout = Duration.ofMillis(300);
        HttpSettings settings = new HttpSettings("127.0.0.1", 0, "tok", Duration.ofSeconds(30), readTimeout,
            8192, 4096, 64, 4096, tls);
        server = start(settings);
        HttpPeerClient peer = new HttpPeerClient(Duration.ofSeconds(30), settings);
        EngagementQuery query = EngagementQuery.parse(Map.of("from", List.of("2026-09-01"), "to", List.of("2026-09-01")),
            List.of("channel", "os"), QueryLimits.DEFAULTS);
        assertThat(peer.fetch("127.0.0.1:" + server.port(), query, Set.of(0, 1), 100))
            .extracting(PartitionAnswer::partition).isEmpty();
        assertThat(queries.partialCalls.get()).as("the peer's call arrived, over https with the token").isEqualTo(1);
        // A kept-alive TLS connection that finished its request is idle, not a stalled read: the read
        // timeout leaves it open (a lower bound on the wait, then the server's own count).
        long answered = System.nanoTime();
        Poll.until("well past the read timeout", DEADLINE, () -> System.nanoTime() - answered > 4 * readTimeout.toNanos());
        assertThat(server.openConnections()).as("the peer's connection still open").isEqualTo(1);
        peer.fetch("127.0.0.1:" + server.port(), query, Set.of(2), 100);
        assertThat(queries.partialCalls.get()).isEqualTo(2);

        HttpClient noCertificate = HttpClient.newBuilder().sslContext(HttpPeerClient.sslContext(
            new HttpSettings.Tls(dir.resolve("certs").resolve("truststore.jks").toString(), "trustpass",
                certs.truststore().toString(), certs.truststorePassword(), "none"))).build();
        assertThatThrownBy(() -> noCertificate.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + server.port()
            + "/health/live")).build(), HttpResponse.BodyHandlers.ofString()))
            .as("no client certificate, and client auth needed").isInstanceOf(IOException.class);
        assertThatThrownBy(() -> http.send(HttpRequest.newBuilder(uri("/health/live")).build(),
            HttpResponse.BodyHandlers.ofString())).as("plain http to a TLS port").isInstanceOf(IOException.class);
    }

    private static HttpSettings settings(Duration readTimeout, int maxHeaderBytes, int maxUriBytes) {
        return new HttpSettings("127.0.0.1", 0, "", Duration.ofSeconds(60), readTimeout, maxHeaderBytes, maxUriBytes,
            1024, 4096, HttpSettings.Tls.NONE);
    }

    private ApiServer start(HttpSettings settings) {
        ApiServer s = new ApiServer(settings, queries, List.of("channel", "os"), QueryLimits.DEFAULTS,
            () -> Map.of("state", "RUNNING"), () -> true, () -> true, metrics);
        s.start();
        return s;
    }

    private double gauge(String name) {
        return metrics.get(name).tag("lane", "query").gauge().value();
    }

    private Socket open() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
        sockets.add(s);
        return s;
    }

    private static Socket send(Socket s, String path) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return s;
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(uri(path)).timeout(DEADLINE).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Answers a row per day; blocks public queries while {@code block} until released. */
    private static final class StandInQueries extends EngagementOnlyQueries {

        final CountDownLatch release = new CountDownLatch(1);
        final AtomicInteger running = new AtomicInteger();
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger partialCalls = new AtomicInteger();
        volatile boolean block;

        @Override
        public EngagementAnswer engagement(EngagementQuery query) {
            calls.incrementAndGet();
            if (block) {
                running.incrementAndGet();
                try {
                    release.await(60, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            List<EngagementAnswer.Row> rows = new ArrayList<>();
            for (LocalDate d = query.from(); !d.isAfter(query.to()); d = d.plusDays(1)) {
                Map<Metric, Estimate> m = new EnumMap<>(Metric.class);
                m.put(Metric.DAU, new Estimate(1100 + d.getDayOfMonth(), 1050, 1150.5));
                m.put(Metric.MAU, new Estimate(10100, 9500, 10800));
                rows.add(new EngagementAnswer.Row(Map.of("os", "Linux"), d, m, 1100, 10100, false, true));
            }
            return new EngagementAnswer(query, rows, 4, 4, true);
        }

        @Override
        public List<PartitionAnswer> partials(PartialsQuery query) {
            partialCalls.incrementAndGet();
            return List.of();
        }
    }
}
