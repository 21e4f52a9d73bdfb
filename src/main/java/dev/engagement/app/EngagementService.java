package dev.engagement.app;

import dev.engagement.config.EngagementConfig;
import dev.engagement.http.ApiServer;
import dev.engagement.http.HttpPeerClient;
import dev.engagement.ping.Days;
import dev.engagement.query.Answers;
import dev.engagement.query.Dimensions;
import dev.engagement.query.PartitionQuery;
import dev.engagement.query.QueryLimits;
import dev.engagement.query.QueryService;
import dev.engagement.query.Releases;
import dev.engagement.query.ServedQueries;
import dev.engagement.query.WatchedSegments;
import dev.engagement.registry.SchemaRegistry;
import dev.engagement.store.Layouts;
import dev.engagement.topology.EngagementTopology;
import dev.engagement.topology.IngestCounters;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.HostInfo;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A whole instance: the streams application, the query service and the HTTP API.
 */
public final class EngagementService implements AutoCloseable {

    private final EngagementConfig config;
    private final EngagementApp app;
    private final QueryService queries;
    private final ApiServer api;
    private final Admin admin;
    private final PrometheusMeterRegistry metrics;
    private final WatchedSegments watched;
    private final ScheduledExecutorService summary;
    private long lastSummaryTotal;
    private final PartitionWatch partitions;
    private final String group;
    private final Map<String, Supplier<Object>> extraStatus = new ConcurrentHashMap<>();
    /** The consumer lag, one entry at most, kept {@link #LAG_MAX_AGE}: a status poll costs no admin call. */
    private final Cache<Boolean, Map<String, Object>> lagCache = Caffeine.newBuilder()
        .maximumSize(1)
        .expireAfterWrite(LAG_MAX_AGE)
        .executor(Runnable::run)
        .build();

    private static final Logger LOG = LoggerFactory.getLogger(EngagementService.class);
    private static final int SUMMARY_SECONDS = 60;
    private static final Duration LAG_MAX_AGE = Duration.ofSeconds(2);

    private EngagementService(EngagementConfig config, EngagementApp app, Admin admin, Clock clock) throws Exception {
        this.config = config;
        this.app = app;
        this.admin = admin;
        this.partitions = app.partitions();
        Properties streamsConfig = EngagementApp.streamsConfig(config);
        this.group = streamsConfig.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        String server = streamsConfig.getProperty(StreamsConfig.APPLICATION_SERVER_CONFIG);
        HostInfo self = server == null || server.isBlank() ? null : HostInfo.buildFromEndpoint(server);
        QueryLimits limits = QueryLimits.of(config.query());
        this.queries = new QueryService(app.streams(), EngagementTopology.SKETCH_STORE, config.pingsTopic(), partitions::current,
            self, new HttpPeerClient(Duration.ofSeconds(10), config.http()),
            new PartitionQuery(config.dimensionNames(), config.lgK(), config.query().cacheEntries()),
            new Answers(config.lgK(), limits));
        Duration queryTimeout = config.query().timeout();
        queries.timeout(queryTimeout);
        this.metrics = Metrics.create(app.streams(), app.counters(), Path.of(streamsConfig
            .getProperty(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/kafka-streams")));
        Map<String, Map<String, Set<String>>> watches = new LinkedHashMap<>();
        config.watches().forEach((name, watch) -> watches.put(name, watch.filters()));
        this.watched = new WatchedSegments(watches, queries::query, config.graceDays(), clock, queryTimeout);
        Metrics.bindWatches(metrics, watched);
        // Release days are looked for over the days the stores keep.
        Releases releases = new Releases(queries::queryAllGroups, this::latestDay, config.release().dimension(),
            config.release().minClients(), (int) config.retention().toDays(), limits.lowSampleClients());
        Dimensions dimensions = new Dimensions(queries::queryAllGroups, this::latestDay, config.dimensionNames());
        this.api = new ApiServer(config.http(),
            new ServedQueries(queries, releases, dimensions), config.dimensionNames(), limits, this::status,
            queries::canAnswer, () -> !app.failed(), metrics);
        api.start();
        this.summary = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "engagement-summary");
            t.setDaemon(true);
            return t;
        });
        summary.scheduleAtFixedRate(this::logSummary, SUMMARY_SECONDS, SUMMARY_SECONDS, TimeUnit.SECONDS);
    }

    /** Starts the streams and the HTTP API. */
    public static EngagementService start(EngagementConfig config, SchemaRegistry registry) throws Exception {
        return start(config, registry, Clock.systemUTC());
    }

    /** As {@link #start(EngagementConfig, SchemaRegistry)}, with the clock that says which day is today (tests). */
    static EngagementService start(EngagementConfig config, SchemaRegistry registry, Clock clock) throws Exception {
        EngagementApp app = EngagementApp.start(config, registry);
        Admin admin = null;
        try {
            admin = Admin.create(config.kafkaProperties());
            return new EngagementService(config, app, admin, clock);
        } catch (Exception e) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(5));
            }
            app.close();
            throw e;
        }
    }

    /** Adds a section to {@code /v1/status} (e.g. the demo's replay progress). */
    public void addStatus(String name, Supplier<Object> section) {
        extraStatus.put(name, section);
    }

    public EngagementApp app() {
        return app;
    }

    public int httpPort() {
        return api.port();
    }

    /** The newest day with data: from the stores held here, or from what this process ingested. */
    private LocalDate latestDay() {
        int stored = queries.latestLocalDay();
        long last = app.counters().lastSubmissionTimestamp();
        int day = Math.max(stored, last < 0 ? -1 : Days.ofMillis(last));
        return day < 0 ? null : Days.toDate(day);
    }

    /** The status document of {@code /v1/status}. */
    Map<String, Object> status() {
        IngestCounters c = app.counters();
        Map<String, Object> s = new LinkedHashMap<>();
        s.put("state", app.streams().state().name());
        Map<String, Object> pings = new LinkedHashMap<>();
        // These count since this process started (as Kafka's own client metrics do); what survives a
        // restart is Kafka's: pingsTopicCommittedOffsetSum below.
        pings.put("since", c.since().toString());
        pings.put("accepted", c.accepted());
        pings.put("late", c.late());
        pings.put("deadLettered", c.deadLetteredTotal());
        Map<String, Long> reasons = new LinkedHashMap<>();
        c.deadLetteredByReason().forEach((r, n) -> reasons.put(r.name(), n));
        pings.put("deadLetteredByReason", reasons);
        pings.put("total", c.total());
        s.put("pings", pings);
        long last = c.lastSubmissionTimestamp();
        s.put("lastIngestedTimestamp", last < 0 ? null : Instant.ofEpochMilli(last).toString());
        long seen = c.lastSeenTimestamp();
        s.put("lastSeenTimestamp", seen < 0 ? null : Instant.ofEpochMilli(seen).toString());
        s.putAll(lagCache.get(Boolean.TRUE, k -> fetchLag()));
        s.put("partitions", partitions.current());
        if (partitions.current() != partitions.atStart()) {
            s.put("partitionsAtStart", partitions.atStart());
            s.put("partitionsNote", "the pings topic grew while running: queries count every partition (answers"
                + " are complete:false until the new ones are read), no day is final before every partition has"
                + " closed it, and Kafka Streams gives the new partitions tasks at its next rebalance");
        }
        s.put("dimensions", config.dimensionNames());
        // The lists the stored days were written under: a day in two spans holds sketches of both.
        List<Map<String, Object>> layouts = new ArrayList<>();
        for (Layouts.Span span : queries.localLayouts()) {
            Map<String, Object> l = new LinkedHashMap<>();
            l.put("dimensions", span.dimensions());
            l.put("from", span.fromDay() < 0 ? null : Days.toDate(span.fromDay()).toString());
            l.put("until", span.untilDay() < 0 ? null : Days.toDate(span.untilDay()).toString());
            layouts.add(l);
        }
        s.put("layouts", layouts);
        extraStatus.forEach((name, supplier) -> s.put(name, supplier.get()));
        return s;
    }

    /** Consumer lag of the pings topic for this application's group, now (a failure reads as null). */
    private Map<String, Object> fetchLag() {
        Map<String, Object> out = new LinkedHashMap<>();
        try {
            Topics.Lag lag = Topics.lag(admin, group, config.pingsTopic(), partitions.current(),
                Duration.ofSeconds(5));
            out.put("consumerLag", lag.lag());
            out.put("pingsTopicEndOffsetSum", lag.endOffsets());
            out.put("pingsTopicCommittedOffsetSum", lag.committedOffsets());
        } catch (Exception e) {
            out.put("consumerLag", null);
        }
        return out;
    }

    /** One line a minute at INFO: throughput and outcomes since the last line. */
    private void logSummary() {
        IngestCounters c = app.counters();
        long total = c.total();
        long delta = total - lastSummaryTotal;
        lastSummaryTotal = total;
        LOG.info("ingest: {} pings/s over the last {}s; totals accepted={} late={} dead-lettered={}; state={}",
            delta / SUMMARY_SECONDS, SUMMARY_SECONDS, c.accepted(), c.late(), c.deadLetteredTotal(), app.streams().state());
    }

    @Override
    public void close() {
        summary.shutdownNow();
        api.close();
        watched.close();
        queries.close();
        app.close();
        admin.close(Duration.ofSeconds(1));
        metrics.close();
    }
}
