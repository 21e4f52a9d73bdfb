package dev.engagement.http;

import dev.engagement.query.BadQueryException;
import dev.engagement.query.Dimensions;
import dev.engagement.query.EngagementAnswer;
import dev.engagement.query.EngagementQuery;
import dev.engagement.query.PartialsQuery;
import dev.engagement.query.PartitionAnswerCodec;
import dev.engagement.query.Queries;
import dev.engagement.query.QueryLimits;
import dev.engagement.query.QueryTimeoutException;
import dev.engagement.query.ReleaseAnswer;
import dev.engagement.query.ReleaseQuery;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP API.
 * <ul>
 *   <li>{@code GET /v1/engagement?from&to[&metrics][&groupBy][&<dimension>=v1,v2]}: rows per group and day;</li>
 *   <li>{@code GET /v1/releases[?dimension][&versions][&ages][&metrics][&compareAge][&release.<version>=day][&<dimension>=v1,v2]}:
 *   versions by days since release, and the newest beside the previous one at the same age;</li>
 *   <li>{@code GET /v1/dimensions[?limit=N]}: the dimensions and their top values by 28-day clients;</li>
 *   <li>{@code GET /v1/status}: streams state, ping counts by outcome, lag, last ingested time;</li>
 *   <li>{@code GET /health/live} (503 once the streams stopped on an error), {@code GET /health/ready}
 *   (200 once the streams are RUNNING, else 503);</li>
 *   <li>{@code GET /internal/v1/partials}: this instance's partition answers, for scatter-gather;</li>
 *   <li>{@code GET /metrics}: Prometheus text format;</li>
 *   <li>{@code GET /}: the dashboard (its files under {@code /ui/} and {@code /webjars/uplot/}).</li>
 * </ul>
 * Routes only translate: each parses its parameters into a query of the query layer, asks
 * {@link Queries}, and writes the answer as JSON; what an answer holds and how it is computed (and
 * cached) is the query layer's ({@code ApiServerTest} checks the routes over a stand-in).
 * Errors are JSON {@code {"error": "..."}}: 400 for a bad request, 401 without the bearer token
 * (when one is configured; health checks need none), 404, 405, 503 when too busy or not ready, 500
 * for a bug; never a stack trace.
 *
 * <p><b>Capacity.</b> Requests are served in three lanes, each with its own threads and its own
 * bounded queue, and health checks apart from all three, so that no kind of request waits behind
 * another:
 * <ul>
 *   <li><i>queries</i> ({@code /v1/engagement}, {@code /v1/releases}, {@code /v1/dimensions}): {@value #MAX_CONCURRENT_QUERIES}
 *   answered at once; up to {@value #MAX_WAITING_QUERIES} more wait their turn, first come first
 *   served, holding no thread. Beyond that a query is refused at once, and one that waited over
 *   {@value #QUEUE_WAIT_SECONDS} s is refused unrun: both get 503 with {@code Retry-After: 1} and a
 *   message. Overload is the server's state, not the client's fault, so it is 503 (retryable, also
 *   on another instance), not 429;</li>
 *   <li><i>internal</i> ({@code /internal/v1/partials}, another instance's fan-out): its own
 *   {@value #INTERNAL_THREADS} threads, so a query here never waits for a peer that is busy with its
 *   own public queries;</li>
 *   <li><i>health</i> ({@code /health/*}): answered at once by the {@value #FRONT_THREADS} threads
 *   that read every request, which never run anything that waits;</li>
 *   <li><i>other</i> ({@code /v1/status}, {@code /metrics}, the dashboard's files, and every error for
 *   an unknown path): {@value #OTHER_THREADS} threads.</li>
 * </ul>
 *
 * <p>Maintainers' notes. The JDK server has one executor, and it reads a request's line and headers
 * on that executor, so the executor cannot be chosen by path. Its executor here is therefore a small
 * <i>front</i> pool whose only work is that read and handing the exchange to its lane (the JDK
 * server lets a handler return and the exchange be answered later, on another thread). Health checks
 * are answered right there instead: a volatile read or two and a 20-byte write, never a wait, and
 * one thread hand-off fewer, which is what a health check's latency is made of on a saturated
 * machine (each hand-off waits for the woken thread to be scheduled). A second {@code HttpServer} on
 * a second port would also have kept the lanes apart, but peers find each other through
 * {@code application.server} and probes through the one configured port: one port keeps both. A
 * waiting query sits in its lane's queue, not on a thread in a semaphore, so waiting costs no thread
 * that health checks or peers need. Sizes: a peer runs at most {@value #MAX_CONCURRENT_QUERIES}
 * queries at once and each sends this instance one internal request, so {@value #INTERNAL_THREADS}
 * internal threads serve one peer's full load without queueing and the internal queue
 * ({@value #INTERNAL_QUEUE}) holds 32 peers' worth; the query queue holds the 64 clients of the load
 * test even when they all land on one instance ({@code LoadIT}). Each lane's waiting and active
 * requests are gauges, {@code engagement_http_waiting_requests} and
 * {@code engagement_http_active_requests}, tagged {@code lane}.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

    /** The JDK server's switch for TCP_NODELAY on the connections it accepts. */
    static final String NODELAY = "sun.net.httpserver.nodelay";

    static {
        // The JDK server writes a response's headers and its body separately. With Nagle's algorithm
        // on (its default), the body waits for the client's delayed ACK of the headers, 40 ms on
        // Linux: every answer after the first on a kept-alive connection from the JDK's HttpClient
        // (a peer's fan-out call, for one) took 44-52 ms, 2-5 ms with this set. The JDK reads the
        // property once, when the JVM's first server is created (so it must be set before any other
        // HttpServer); an operator's own setting is left alone.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }

    /** Public queries answered at once. */
    static final int MAX_CONCURRENT_QUERIES = 8;
    /** Public queries that may wait for one of those; more get 503 at once. */
    static final int MAX_WAITING_QUERIES = 64;
    /** The longest a request waits in its lane's queue; then it gets 503 without being run. */
    static final int QUEUE_WAIT_SECONDS = 10;
    /** Threads for other instances' {@code /internal/v1/partials} calls, and how many may wait. */
    static final int INTERNAL_THREADS = 8;
    static final int INTERNAL_QUEUE = 256;
    /** Threads for status, metrics, the dashboard's files and errors. */
    static final int OTHER_THREADS = 4;
    /** Threads that read request headers, answer health checks and hand every other exchange on. */
    static final int FRONT_THREADS = 4;

    private final HttpServer server;
    private final ExecutorService front;
    private final Lane queryLane;
    private final Lane internalLane;
    private final Lane otherLane;
    private final Queries queries;
    private final List<String> dimensions;
    private final QueryLimits limits;
    private final Supplier<Map<String, Object>> status;
    private final BooleanSupplier ready;
    private final BooleanSupplier live;

    private static final Set<String> ENDPOINTS = Set.of("/v1/engagement", "/v1/releases", "/v1/dimensions", "/v1/status",
        "/health/live", "/health/ready", "/internal/v1/partials", "/metrics");

    private final PrometheusMeterRegistry metrics;
    private final byte[] expectedAuthorization;
    private final long maxWaitNanos;

    /**
     * @param bind       address and port to listen on (port 0 picks a free one)
     * @param queries    answers the query endpoints
     * @param dimensions the configured dimensions (what a query may filter and group by)
     * @param limits     the limits a query is parsed against
     * @param status     the status document, as plain JSON-able values
     * @param ready      whether the streams are RUNNING
     * @param live       false once the streams stopped on an error
     * @param metrics    where the lanes' gauges and the request timer are registered (and {@code /metrics} reads)
     * @param token      the bearer token every route but health checks and the dashboard's files
     *                   needs; null or empty: none
     */
    public ApiServer(InetSocketAddress bind, Queries queries, List<String> dimensions, QueryLimits limits,
                     Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
                     PrometheusMeterRegistry metrics, String token)
        throws IOException {
        this(bind, queries, dimensions, limits, status, ready, live, metrics, token,
            Duration.ofSeconds(QUEUE_WAIT_SECONDS));
    }

    /** As the public constructor, with a given longest wait in a lane's queue (tests). */
    ApiServer(InetSocketAddress bind, Queries queries, List<String> dimensions, QueryLimits limits,
              Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
              PrometheusMeterRegistry metrics, String token, Duration maxWait)
        throws IOException {
        this.metrics = metrics;
        this.expectedAuthorization = token == null || token.isEmpty() ? null
            : ("Bearer " + token).getBytes(StandardCharsets.UTF_8);
        this.queries = queries;
        this.dimensions = List.copyOf(dimensions);
        this.limits = limits;
        this.status = status;
        this.ready = ready;
        this.live = live;
        this.maxWaitNanos = maxWait.toNanos();
        String wait = maxWait.toMillis() % 1000 == 0 ? maxWait.toSeconds() + " s" : maxWait.toMillis() + " ms";
        this.queryLane = new Lane("query", MAX_CONCURRENT_QUERIES, MAX_WAITING_QUERIES,
            "too many queries at once (" + MAX_CONCURRENT_QUERIES + " running, " + MAX_WAITING_QUERIES
                + " waiting): retry shortly",
            "waited over " + wait + " for a query slot: retry shortly");
        this.internalLane = new Lane("internal", INTERNAL_THREADS, INTERNAL_QUEUE,
            "too many internal requests at once: retry shortly",
            "internal request waited over " + wait + ": retry shortly");
        this.otherLane = new Lane("other", OTHER_THREADS, 64, "too many requests at once: retry shortly",
            "waited over " + wait + ": retry shortly");
        this.server = HttpServer.create(bind, 128);
        this.front = Executors.newFixedThreadPool(FRONT_THREADS, daemon("engagement-http-front"));
        server.setExecutor(front);
        server.createContext("/", this::dispatch);
    }

    /** On a front thread: answers a health check, or hands the exchange to its lane. */
    private void dispatch(HttpExchange exchange) {
        String path = exchange.getRequestURI().getPath();
        if (path.startsWith("/health/")) {
            serve(exchange, System.nanoTime(), () -> route(exchange));
        } else {
            laneFor(path).submit(exchange);
        }
    }

    private Lane laneFor(String path) {
        if (path.startsWith("/internal/")) {
            return internalLane;
        }
        if (path.equals("/v1/engagement") || path.equals("/v1/releases") || path.equals("/v1/dimensions")) {
            return queryLane;
        }
        return otherLane;
    }

    private static ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * One kind of request, with its own threads and its own bounded queue. A request waits in the
     * queue holding no thread; it is refused (503) at once when the queue is full, and unrun when it
     * waited longer than the longest wait (its caller has likely given up).
     */
    private final class Lane {

        private final ThreadPoolExecutor pool;
        private final String fullMessage;
        private final String waitedMessage;

        Lane(String name, int threads, int queue, String fullMessage, String waitedMessage) {
            this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queue), daemon("engagement-http-" + name));
            this.fullMessage = fullMessage;
            this.waitedMessage = waitedMessage;
            Gauge.builder("engagement_http_waiting_requests", pool, p -> p.getQueue().size())
                .description("Requests waiting for a thread of their lane").tag("lane", name).register(metrics);
            Gauge.builder("engagement_http_active_requests", pool, ThreadPoolExecutor::getActiveCount)
                .description("Requests being served by their lane").tag("lane", name).register(metrics);
        }

        /** Called on a front thread: queues the exchange, or refuses it there and then. */
        void submit(HttpExchange exchange) {
            long received = System.nanoTime();
            try {
                pool.execute(new Queued(exchange, received));
            } catch (RejectedExecutionException e) {
                // Full, or closing: answered here without waiting (a short write of a small body).
                serve(exchange, received, () -> {
                    throw new Busy(fullMessage);
                });
            }
        }

        void close() {
            for (Runnable r : pool.shutdownNow()) {
                ((Queued) r).exchange.close();
            }
        }

        /** An exchange waiting in this lane's queue, then served on one of its threads. */
        private final class Queued implements Runnable {

            private final HttpExchange exchange;
            private final long received;

            Queued(HttpExchange exchange, long received) {
                this.exchange = exchange;
                this.received = received;
            }

            @Override
            public void run() {
                serve(exchange, received, () -> {
                    if (System.nanoTime() - received > maxWaitNanos) {
                        throw new Busy(waitedMessage);
                    }
                    route(exchange);
                });
            }
        }
    }

    public void start() {
        server.start();
    }

    /** The port actually bound. */
    public int port() {
        return server.getAddress().getPort();
    }

    /** What a lane does with an exchange: route it, or refuse it. */
    @FunctionalInterface
    private interface Work {
        void run() throws IOException;
    }

    /**
     * Runs the work, answers its errors, closes the exchange and records the latency, measured from
     * when the request was handed to its lane (so it includes the wait in the queue).
     */
    private void serve(HttpExchange exchange, long received, Work work) {
        // The exchange is closed only after the error handlers have answered: a try-with-resources
        // with these catch clauses would close it first, and the client would get no response at all.
        try (exchange) {
            try {
                work.run();
            } catch (BadQueryException e) {
                send(exchange, 400, AnswerJson.error(e.getMessage()));
            } catch (Busy | QueryTimeoutException e) {
                exchange.getResponseHeaders().set("Retry-After", "1");
                send(exchange, 503, AnswerJson.error(e.getMessage()));
            } catch (RuntimeException e) {
                LOG.error("query failed: {}", exchange.getRequestURI(), e);
                send(exchange, 500, AnswerJson.error("internal error: " + e.getClass().getSimpleName()));
            }
        } catch (IOException e) {
            LOG.debug("could not answer {}: {}", exchange.getRequestURI(), e.toString());
        } finally {
            String path = exchange.getRequestURI().getPath();
            Timer.builder("engagement_http_request")
                .description("HTTP request latency by endpoint")
                .tag("endpoint", ENDPOINTS.contains(path) ? path : "other")
                .tag("status", Integer.toString(exchange.getResponseCode()))
                .publishPercentileHistogram()
                .register(metrics)
                .record(System.nanoTime() - received, TimeUnit.NANOSECONDS);
        }
    }

    private void route(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        if (!"GET".equals(exchange.getRequestMethod())) {
            send(exchange, 405, AnswerJson.error("only GET is supported"));
            return;
        }
        if (Assets.isAsset(path)) {
            asset(exchange, path);
            return;
        }
        if (expectedAuthorization != null && !path.startsWith("/health/") && !authorized(exchange)) {
            exchange.getResponseHeaders().set("WWW-Authenticate", "Bearer");
            send(exchange, 401, AnswerJson.error("missing or wrong bearer token"));
            return;
        }
        Map<String, List<String>> params = params(exchange.getRequestURI().getRawQuery());
        switch (path) {
            case "/v1/engagement" -> send(exchange, 200, engagement(params));
            case "/v1/releases" -> send(exchange, 200, releases(params));
            case "/v1/dimensions" -> send(exchange, 200, dimensions(params));
            case "/v1/status" -> send(exchange, 200, AnswerJson.write(status.get()));
            case "/health/live" -> {
                boolean up = live.getAsBoolean();
                send(exchange, up ? 200 : 503, AnswerJson.write(Map.of("status", up ? "UP" : "DOWN")));
            }
            case "/health/ready" -> {
                boolean up = ready.getAsBoolean();
                send(exchange, up ? 200 : 503, AnswerJson.write(Map.of("status", up ? "UP" : "DOWN")));
            }
            case "/internal/v1/partials" -> send(exchange, 200, partials(params));
            case "/metrics" -> {
                byte[] body = metrics.scrape().getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                exchange.sendResponseHeaders(200, body.length);
                try (OutputStream out = exchange.getResponseBody()) {
                    out.write(body);
                }
            }
            default -> send(exchange, 404, AnswerJson.error("no such endpoint: " + path));
        }
    }

    /** Serves a dashboard file from the jar; needs no token (it holds no data). */
    private static void asset(HttpExchange exchange, String path) throws IOException {
        Assets.Asset asset = Assets.find(path);
        if (asset == null) {
            send(exchange, 404, AnswerJson.error("no such file: " + path));
            return;
        }
        exchange.getResponseHeaders().set("Content-Type", asset.contentType());
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        exchange.sendResponseHeaders(200, asset.body().length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(asset.body());
        }
    }

    /** Whether the request carries the token; compared in constant time. */
    private boolean authorized(HttpExchange exchange) {
        String header = exchange.getRequestHeaders().getFirst("Authorization");
        return header != null && MessageDigest.isEqual(expectedAuthorization,
            header.getBytes(StandardCharsets.UTF_8));
    }

    /** Too busy: 503, with a message that says which limit was hit. */
    private static final class Busy extends RuntimeException {
        Busy(String message) {
            super(message, null, false, false);
        }
    }

    /** {@code /v1/engagement}: parses, asks the query layer, writes the answer. */
    private byte[] engagement(Map<String, List<String>> params) throws IOException {
        long start = System.nanoTime();
        EngagementQuery query = EngagementQuery.parse(params, dimensions, limits);
        EngagementAnswer answer = queries.engagement(query);
        return AnswerJson.engagement(query, answer, limits.lowSampleClients(), millisSince(start));
    }

    /** {@code /v1/releases}: parses, asks the query layer, writes the answer. */
    private byte[] releases(Map<String, List<String>> params) throws IOException {
        long start = System.nanoTime();
        ReleaseQuery query = ReleaseQuery.parse(params, dimensions, queries.defaultReleaseDimension(), limits);
        ReleaseAnswer answer = queries.releases(query);
        return AnswerJson.releases(query, answer, millisSince(start));
    }

    /** {@code /v1/dimensions}: parses the limit, asks the query layer, writes the answer. */
    private byte[] dimensions(Map<String, List<String>> params) throws IOException {
        return AnswerJson.dimensions(queries.dimensions(Dimensions.parseLimit(params)));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** {@code /internal/v1/partials}: parses, asks the query layer, writes the partition answers. */
    private byte[] partials(Map<String, List<String>> params) {
        return PartitionAnswerCodec.encode(queries.partials(PartialsQuery.parse(params, dimensions, limits)));
    }

    static Map<String, List<String>> params(String rawQuery) {
        Map<String, List<String>> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            try {
                String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
            } catch (IllegalArgumentException e) {
                throw new BadQueryException("malformed query string near '" + pair + "'");
            }
        }
        return params;
    }

    private static void send(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        exchange.sendResponseHeaders(status, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        front.shutdownNow();
        for (Lane lane : List.of(queryLane, internalLane, otherLane)) {
            lane.close();
        }
    }
}
