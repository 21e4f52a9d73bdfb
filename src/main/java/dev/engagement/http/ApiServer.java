package dev.engagement.http;

import dev.engagement.config.HttpSettings;
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

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.io.ssl.SslConnection;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.gzip.GzipHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * The HTTP API, on Jetty 12 (its core API, no servlets).
 * <ul>
 *   <li>{@code GET /v1/engagement?from&to[&metrics][&groupBy][&<dimension>=v1,v2]}: rows per group and day;</li>
 *   <li>{@code GET /v1/releases[?dimension][&versions][&ages][&metrics][&compareAge][&release.<version>=day][&<dimension>=v1,v2]}:
 *   versions by days since release, and the newest beside the previous one at the same age;</li>
 *   <li>{@code GET /v1/dimensions[?limit=N]}: the dimensions and their top values by 28-day clients;</li>
 *   <li>{@code GET /v1/status}: streams state, ping counts by outcome, lag, last ingested time;</li>
 *   <li>{@code GET /health/live} (503 once the streams stopped on an error), {@code GET /health/ready}
 *   (200 while this instance can answer queries completely, else 503: see docs/operations.md);</li>
 *   <li>{@code GET /internal/v1/partials}: this instance's partition answers, for scatter-gather;</li>
 *   <li>{@code GET /metrics}: Prometheus text format;</li>
 *   <li>{@code GET /}: the dashboard (its files under {@code /ui/} and {@code /webjars/uplot/}).</li>
 * </ul>
 * Routes only translate: each parses its parameters into a query of the query layer, asks
 * {@link Queries}, and writes the answer as JSON; what an answer holds and how it is computed (and
 * cached) is the query layer's ({@code ApiServerTest} checks the routes over a stand-in).
 * Errors are JSON {@code {"error": "..."}}: 400 for a bad request, 401 without the bearer token
 * (when one is configured; health checks need none), 404, 405, 414 for a URI over the limit, 431 for
 * headers over it, 503 when too busy or not ready, 500 for a bug; never a stack trace.
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
 *   on another instance), not 429. A query whose client has gone (its connection closed) while it
 *   waited is dropped unrun;</li>
 *   <li><i>internal</i> ({@code /internal/v1/partials}, another instance's fan-out): its own
 *   {@value #INTERNAL_THREADS} threads, so a query here never waits for a peer that is busy with its
 *   own public queries;</li>
 *   <li><i>health</i> ({@code /health/*}): answered at once by the thread that parsed the request,
 *   which never runs anything that waits;</li>
 *   <li><i>other</i> ({@code /v1/status}, {@code /metrics}, the dashboard's files, and every error for
 *   an unknown path): {@value #OTHER_THREADS} threads.</li>
 * </ul>
 * Each lane's waiting and active requests are gauges, {@code engagement_http_waiting_requests} and
 * {@code engagement_http_active_requests}, and requests dropped unrun are counted by
 * {@code engagement_http_dropped_requests_total}, tagged {@code lane} and {@code reason}
 * ({@code full}, {@code waited}, {@code disconnected}).
 *
 * <p><b>Connections.</b> Jetty reads requests with non-blocking I/O: a connection holds a thread only
 * while a complete request is being routed, never while its bytes trickle in, so slow or stalled
 * clients cannot starve the others (the JDK server this replaced read each request on a pool thread,
 * and 32 half-sent requests stalled every health check). A connection idle for the idle timeout is
 * closed; one that has started a request but not finished its line and headers within the read
 * timeout is closed; at most {@code maxConnections} are open (past it the server stops accepting
 * until one closes); headers and the URI have size limits; answers of {@code gzipMinBytes} or more
 * are gzipped when the client accepts it. With a key store the server speaks only TLS (optionally
 * asking for or requiring a client certificate), and instances call each other over https.
 *
 * <p>Maintainers' notes. The handler is non-blocking: Jetty may call it on the thread that parsed the
 * request, so it only answers health checks there (a volatile read or two and a 20-byte write) and
 * hands everything else to its lane; answers are written asynchronously, so a lane's thread is
 * freed as soon as the answer is computed, even for a client that reads slowly. A waiting query sits
 * in its lane's queue, not on a thread in a semaphore, so waiting costs no thread that health checks
 * or peers need. Sizes: a peer runs at most {@value #MAX_CONCURRENT_QUERIES} queries at once and each
 * sends this instance one internal request, so {@value #INTERNAL_THREADS} internal threads serve one
 * peer's full load without queueing and the internal queue ({@value #INTERNAL_QUEUE}) holds 32 peers'
 * worth; the query queue holds the 64 clients of the load test even when they all land on one
 * instance ({@code LoadIT}). One port keeps peers ({@code application.server}) and probes on one
 * address.
 */
public final class ApiServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ApiServer.class);

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
    /** The longest {@link #close} waits for running requests to finish. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(2);
    /** Jetty's own threads: acceptor, selectors, and the parsing of requests (health checks are answered there). */
    static final int JETTY_THREADS = 12;

    private final Server server;
    private final ServerConnector connector;
    private final ScheduledExecutorService sweeper;
    private final Lane queryLane;
    private final Lane internalLane;
    private final Lane otherLane;
    private final Queries queries;
    private final List<String> dimensions;
    private final QueryLimits limits;
    private final Supplier<Map<String, Object>> status;
    private final BooleanSupplier ready;
    private final BooleanSupplier live;
    private final HttpSettings settings;

    private static final Set<String> ENDPOINTS = Set.of("/v1/engagement", "/v1/releases", "/v1/dimensions", "/v1/status",
        "/health/live", "/health/ready", "/internal/v1/partials", "/metrics");

    private final PrometheusMeterRegistry metrics;
    private final byte[] expectedAuthorization;
    private final long maxWaitNanos;
    private volatile boolean closing;
    /** Connections not serving a request, with when they opened or last answered and their bytes read then. */
    private final Map<Connection, long[]> betweenRequests = new ConcurrentHashMap<>();

    /**
     * @param bind       address and port to listen on (port 0 picks a free one)
     * @param queries    answers the query endpoints
     * @param dimensions the configured dimensions (what a query may filter and group by)
     * @param limits     the limits a query is parsed against
     * @param status     the status document, as plain JSON-able values
     * @param ready      whether this instance can answer queries
     * @param live       false once the streams stopped on an error
     * @param metrics    where the lanes' gauges and the request timer are registered (and {@code /metrics} reads)
     * @param token      the bearer token every route but health checks and the dashboard's files
     *                   needs; null or empty: none
     */
    public ApiServer(InetSocketAddress bind, Queries queries, List<String> dimensions, QueryLimits limits,
                     Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
                     PrometheusMeterRegistry metrics, String token) {
        this(bind, queries, dimensions, limits, status, ready, live, metrics, token,
            Duration.ofSeconds(QUEUE_WAIT_SECONDS));
    }

    /** As the public constructor, with a given longest wait in a lane's queue (tests). */
    ApiServer(InetSocketAddress bind, Queries queries, List<String> dimensions, QueryLimits limits,
              Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
              PrometheusMeterRegistry metrics, String token, Duration maxWait) {
        this(new HttpSettings(bind.getHostString(), bind.getPort(), token == null ? "" : token), queries, dimensions,
            limits, status, ready, live, metrics, maxWait);
    }

    /**
     * The server as {@code settings} say (address, token, timeouts, limits, gzip, TLS); not started.
     * The other parameters are the public constructor's.
     */
    public ApiServer(HttpSettings settings, Queries queries, List<String> dimensions, QueryLimits limits,
                     Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
                     PrometheusMeterRegistry metrics) {
        this(settings, queries, dimensions, limits, status, ready, live, metrics, Duration.ofSeconds(QUEUE_WAIT_SECONDS));
    }

    /** As the settings' constructor, with a given longest wait in a lane's queue (tests). */
    ApiServer(HttpSettings settings, Queries queries, List<String> dimensions, QueryLimits limits,
              Supplier<Map<String, Object>> status, BooleanSupplier ready, BooleanSupplier live,
              PrometheusMeterRegistry metrics, Duration maxWait) {
        this.settings = settings;
        this.metrics = metrics;
        String token = settings.token();
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

        QueuedThreadPool threads = new QueuedThreadPool(JETTY_THREADS, 4);
        threads.setName("engagement-http");
        threads.setDaemon(true);
        this.server = new Server(threads);
        HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(settings.maxHeaderBytes());
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        http.setIdleTimeout(settings.idleTimeout().toMillis());
        HttpConnectionFactory h1 = new HttpConnectionFactory(http);
        if (settings.tls().enabled()) {
            // No SNI host check: peers and probes call by IP address as often as by name.
            http.addCustomizer(new SecureRequestCustomizer(false));
            this.connector = new ServerConnector(server, 1, 1, new SslConnectionFactory(sslContext(settings.tls()),
                h1.getProtocol()), h1);
        } else {
            this.connector = new ServerConnector(server, 1, 1, h1);
        }
        connector.setHost(settings.bind());
        connector.setPort(settings.port());
        connector.setIdleTimeout(settings.idleTimeout().toMillis());
        connector.setAcceptQueueSize(128);
        connector.addBean(new ReadDeadlines());
        server.addConnector(connector);
        server.addBean(new NetworkConnectionLimit(settings.maxConnections(), connector));
        server.setErrorHandler(new JsonErrors());
        // A stop waits this long at most for Jetty's own graceful parts (a SIGTERM exits promptly).
        server.setStopTimeout(CLOSE_WAIT.toMillis());
        Handler routes = new Routes();
        if (settings.gzipMinBytes() > 0) {
            GzipHandler gzip = new GzipHandler(routes);
            gzip.setMinGzipSize(settings.gzipMinBytes());
            gzip.setIncludedMethods("GET");
            server.setHandler(gzip);
        } else {
            server.setHandler(routes);
        }
        this.sweeper = Executors.newSingleThreadScheduledExecutor(daemon("engagement-http-read-timeout"));
        long sweepMillis = Math.max(50, Math.min(1000, settings.readTimeout().toMillis() / 4));
        sweeper.scheduleWithFixedDelay(this::closeStalledReads, sweepMillis, sweepMillis, TimeUnit.MILLISECONDS);
    }

    private static SslContextFactory.Server sslContext(HttpSettings.Tls tls) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStorePath(tls.keystore());
        ssl.setKeyStorePassword(tls.keystorePassword());
        if (!tls.truststore().isEmpty()) {
            ssl.setTrustStorePath(tls.truststore());
            ssl.setTrustStorePassword(tls.truststorePassword());
        }
        ssl.setNeedClientAuth("need".equals(tls.clientAuth()));
        ssl.setWantClientAuth("want".equals(tls.clientAuth()));
        return ssl;
    }

    /**
     * Tracks each connection between requests: when it opened (or last answered) and how many bytes
     * it had read then, so that {@link #closeStalledReads} can tell one that started a request and
     * never finished it from one merely idle (left to the idle timeout).
     */
    private final class ReadDeadlines implements Connection.Listener {
        @Override
        public void onOpened(Connection connection) {
            // Over TLS the HTTP connection inside is tracked; the TLS one under it carries handshakes
            // and records, and never sees a request.
            if (!(connection instanceof SslConnection)) {
                betweenRequests.put(connection, new long[] {System.nanoTime(), connection.getBytesIn()});
            }
        }

        @Override
        public void onClosed(Connection connection) {
            betweenRequests.remove(connection);
        }
    }

    /** Closes connections that started sending a request over the read timeout ago and have not finished it. */
    private void closeStalledReads() {
        long now = System.nanoTime();
        long limit = settings.readTimeout().toNanos();
        betweenRequests.forEach((connection, since) -> {
            if (now - since[0] > limit && connection.getBytesIn() > since[1]) {
                LOG.debug("closing {}: request not read within {}", connection.getEndPoint().getRemoteSocketAddress(),
                    settings.readTimeout());
                betweenRequests.remove(connection);
                connection.getEndPoint().close();
            }
        });
    }

    private static Connection connectionOf(Request request) {
        return request.getConnectionMetaData().getConnection();
    }

    /** The handler: answers health checks where it is called, hands everything else to its lane. */
    private final class Routes extends Handler.Abstract.NonBlocking {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            long received = System.nanoTime();
            Connection connection = connectionOf(request);
            betweenRequests.remove(connection);
            Exchange exchange = new Exchange(request, response, callback, received, connection);
            String path = request.getHttpURI().getPath();
            if (path == null) {
                path = "/";
            }
            String pathQuery = request.getHttpURI().getPathQuery();
            if (pathQuery != null && pathQuery.length() > settings.maxUriBytes()) {
                exchange.serve(() -> exchange.send(414, error("URI longer than " + settings.maxUriBytes()
                    + " bytes")));
            } else if (path.startsWith("/health/")) {
                exchange.serve(exchange::route);
            } else {
                laneFor(path).submit(exchange);
            }
            return true;
        }
    }

    /** Jetty's own errors (headers too large, a malformed request) as this API's JSON errors. */
    private static final class JsonErrors extends ErrorHandler {
        @Override
        protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                        Callback callback) {
            byte[] body = error(message == null || message.isEmpty() ? "HTTP " + code : message);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
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
     * queue holding no thread; it is refused (503) at once when the queue is full, unrun when it
     * waited longer than the longest wait (its caller has likely given up), and dropped unrun when
     * its client closed the connection while it waited.
     */
    private final class Lane {

        private final ThreadPoolExecutor pool;
        private final String fullMessage;
        private final String waitedMessage;
        private final Counter full;
        private final Counter waited;
        private final Counter disconnected;

        Lane(String name, int threads, int queue, String fullMessage, String waitedMessage) {
            this.pool = new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queue), daemon("engagement-http-" + name));
            this.fullMessage = fullMessage;
            this.waitedMessage = waitedMessage;
            Gauge.builder("engagement_http_waiting_requests", pool, p -> p.getQueue().size())
                .description("Requests waiting for a thread of their lane").tag("lane", name).register(metrics);
            Gauge.builder("engagement_http_active_requests", pool, ThreadPoolExecutor::getActiveCount)
                .description("Requests being served by their lane").tag("lane", name).register(metrics);
            this.full = dropped(name, "full");
            this.waited = dropped(name, "waited");
            this.disconnected = dropped(name, "disconnected");
        }

        private Counter dropped(String lane, String reason) {
            return Counter.builder("engagement_http_dropped_requests")
                .description("Requests not run: their lane's queue was full, they waited past the longest wait,"
                    + " or their client disconnected while they waited")
                .tag("lane", lane).tag("reason", reason).register(metrics);
        }

        /** Called on the parsing thread: queues the exchange, or refuses it there and then. */
        void submit(Exchange exchange) {
            try {
                pool.execute(() -> run(exchange));
            } catch (RejectedExecutionException e) {
                // Full, or closing: answered here without waiting (an asynchronous write of a small body).
                full.increment();
                exchange.serve(() -> {
                    throw new Busy(fullMessage);
                });
            }
        }

        private void run(Exchange exchange) {
            if (exchange.clientGone()) {
                disconnected.increment();
                exchange.abandon();
                return;
            }
            exchange.serve(() -> {
                if (System.nanoTime() - exchange.received > maxWaitNanos) {
                    waited.increment();
                    throw new Busy(waitedMessage);
                }
                exchange.route();
            });
        }

        void close(long deadline) {
            pool.shutdown();
            try {
                if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS)) {
                    pool.shutdownNow();
                }
            } catch (InterruptedException e) {
                pool.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    public void start() {
        try {
            server.start();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("could not start the HTTP server on " + settings.bind() + ":"
                + settings.port() + ": " + e.getMessage(), e);
        }
    }

    /** The port actually bound. */
    public int port() {
        return connector.getLocalPort();
    }

    /** Open connections now (tests, and the connection limit's gauge). */
    int openConnections() {
        return connector.getConnectedEndPoints().size();
    }

    /** What a lane does with an exchange: route it, or refuse it. */
    @FunctionalInterface
    private interface Work {
        void run() throws IOException;
    }

    /** Too busy: 503, with a message that says which limit was hit. */
    private static final class Busy extends RuntimeException {
        Busy(String message) {
            super(message, null, false, false);
        }
    }

    /** One request and its response, from its parsing to its answer's last byte. */
    private final class Exchange {

        final Request request;
        final Response response;
        final Callback callback;
        final long received;
        final Connection connection;
        private volatile boolean failed;

        Exchange(Request request, Response response, Callback callback, long received, Connection connection) {
            this.request = request;
            this.response = response;
            this.callback = callback;
            this.received = received;
            this.connection = connection;
            // Jetty tells a request that its connection failed (closed by the client, idle timeout).
            request.addFailureListener(t -> failed = true);
        }

        String path() {
            String path = request.getHttpURI().getPath();
            return path == null ? "/" : path;
        }

        /** Whether the client has gone: its connection closed, or failed, while the request waited. */
        boolean clientGone() {
            EndPoint endPoint = connection.getEndPoint();
            return failed || !endPoint.isOpen() || endPoint.isInputShutdown() || peerClosed(endPoint);
        }

        /**
         * Whether the client closed its side. Jetty reads nothing more from a connection while its
         * request is being handled (a GET has no body to read), so it cannot see the close: this
         * reads one byte, without blocking, from the socket itself. End of stream is a client that
         * has gone. A byte is the start of a pipelined request (no mainstream client pipelines):
         * that byte is consumed, so this answer closes the connection, and the client resends the
         * pipelined request, as HTTP/1.1 lets it. Over TLS the socket holds records, not requests;
         * there Jetty's own failure notice is all there is.
         */
        private boolean peerClosed(EndPoint endPoint) {
            if (endPoint.isSecure() || !(endPoint.getTransport() instanceof SocketChannel channel)) {
                return false;
            }
            try {
                int read = channel.read(ByteBuffer.allocate(1));
                if (read > 0) {
                    response.getHeaders().put(HttpHeader.CONNECTION, "close");
                }
                return read < 0;
            } catch (IOException e) {
                return true;
            }
        }

        /** Ends the exchange without an answer (its client is gone). */
        void abandon() {
            connection.getEndPoint().close();
            // An EofException is one of Jetty's quiet ones: no error response, no stack trace in the log.
            callback.failed(new EofException("client disconnected before its request was run"));
            record(0);
        }

        /** Runs the work and answers its errors; records the latency once the answer is written. */
        void serve(Work work) {
            try {
                work.run();
            } catch (BadQueryException e) {
                send(400, error(e.getMessage()));
            } catch (Busy | QueryTimeoutException e) {
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                send(503, error(e.getMessage()));
            } catch (RejectedExecutionException e) {
                // The query layer's threads are closing: this instance is shutting down.
                response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
                send(503, error("shutting down: retry on another instance"));
            } catch (RuntimeException | IOException e) {
                LOG.error("query failed: {}", request.getHttpURI().getPathQuery(), e);
                send(500, error("internal error: " + e.getClass().getSimpleName()));
            }
        }

        void send(int status, byte[] body) {
            send(status, "application/json; charset=utf-8", body);
        }

        void send(int status, String contentType, byte[] body) {
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), new Callback() {
                @Override
                public void succeeded() {
                    done(status);
                    callback.succeeded();
                }

                @Override
                public void failed(Throwable x) {
                    LOG.debug("could not answer {}: {}", request.getHttpURI().getPathQuery(), x.toString());
                    done(status);
                    callback.failed(x);
                }
            });
        }

        private void done(int status) {
            record(status);
            betweenRequests.put(connection, new long[] {System.nanoTime(), connection.getBytesIn()});
        }

        /** Records the latency, measured from when the request was parsed (so it includes the wait in the queue). */
        private void record(int status) {
            String path = path();
            Timer.builder("engagement_http_request")
                .description("HTTP request latency by endpoint")
                .tag("endpoint", ENDPOINTS.contains(path) ? path : "other")
                .tag("status", Integer.toString(status))
                .publishPercentileHistogram()
                .register(metrics)
                .record(System.nanoTime() - received, TimeUnit.NANOSECONDS);
        }

        void route() throws IOException {
            String path = path();
            if (!"GET".equals(request.getMethod())) {
                send(405, error("only GET is supported"));
                return;
            }
            if (Assets.isAsset(path)) {
                asset(this, path);
                return;
            }
            if (expectedAuthorization != null && !path.startsWith("/health/") && !authorized(request)) {
                response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
                send(401, error("missing or wrong bearer token"));
                return;
            }
            Map<String, List<String>> params = params(request.getHttpURI().getQuery());
            switch (path) {
                case "/v1/engagement" -> send(200, engagement(params));
                case "/v1/releases" -> send(200, releases(params));
                case "/v1/dimensions" -> send(200, dimensions(params));
                case "/v1/status" -> send(200, AnswerJson.write(status.get()));
                case "/health/live" -> {
                    boolean up = live.getAsBoolean();
                    send(up ? 200 : 503, AnswerJson.write(Map.of("status", up ? "UP" : "DOWN")));
                }
                case "/health/ready" -> {
                    boolean up = !closing && ready.getAsBoolean();
                    send(up ? 200 : 503, AnswerJson.write(Map.of("status", up ? "UP" : "DOWN")));
                }
                case "/internal/v1/partials" -> send(200, partials(params));
                case "/metrics" -> send(200, "text/plain; version=0.0.4; charset=utf-8",
                    metrics.scrape().getBytes(StandardCharsets.UTF_8));
                default -> send(404, error("no such endpoint: " + path));
            }
        }
    }

    /** Serves a dashboard file from the jar; needs no token (it holds no data). */
    private static void asset(Exchange exchange, String path) throws IOException {
        Assets.Asset asset = Assets.find(path);
        if (asset == null) {
            exchange.send(404, error("no such file: " + path));
            return;
        }
        exchange.response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
        exchange.send(200, asset.contentType(), asset.body());
    }

    /** {@code {"error": message}}. */
    private static byte[] error(String message) {
        try {
            return AnswerJson.error(message);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a string always writes
        }
    }

    /** Whether the request carries the token; compared in constant time. */
    private boolean authorized(Request request) {
        String header = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        return header != null && MessageDigest.isEqual(expectedAuthorization,
            header.getBytes(StandardCharsets.UTF_8));
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

    @Override
    public void close() {
        // Not ready from the first moment of a shutdown: a probe on a kept-alive connection that
        // Jetty still serves while it stops must not see 200.
        closing = true;
        try {
            server.stop();
        } catch (Exception e) {
            LOG.debug("stopping the HTTP server: {}", e.toString());
        }
        sweeper.shutdownNow();
        // Requests already running finish before the query layer under them closes (a SIGTERM while
        // queries run): bounded, so that a shutdown never hangs on a slow query.
        long deadline = System.nanoTime() + CLOSE_WAIT.toNanos();
        for (Lane lane : List.of(queryLane, internalLane, otherLane)) {
            lane.close(deadline);
        }
    }
}
