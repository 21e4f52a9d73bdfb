package dev.engagement.query;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;

/**
 * Watched segments: named filters whose DAU, MAU and ER, with bounds and {@code lowSample}, are read
 * on two days, for monitoring (Prometheus gauges, bound by the app):
 * <ul>
 *   <li>{@link Day#COMPLETE}: the newest <i>complete</i> day (the answer's {@code complete: true}:
 *   past grace in every input partition, every partition read, the 28-day window within the data),
 *   looked for among the {@value #LOOKBACK_DAYS} days before those that grace can still hold open;
 *   none there, no row for it;</li>
 *   <li>{@link Day#CURRENT}: today (the UTC date of the clock), the open day, still filling.</li>
 * </ul>
 * Each reading is one {@link EngagementQuery} through the query layer, so it is the cluster-wide
 * answer that {@code /v1/engagement} gives for the same filter and day, on every instance.
 *
 * <p><b>Freshness and cost.</b> A watch's reading is computed when first asked for and kept for at
 * most {@link #MAX_AGE}, counted from when its computation started; then the next request computes it
 * again. A request starts every watch's computation that is not cached (so they run side by side),
 * then waits for the asked one at most until that computation's deadline: its start plus the
 * smaller of the query timeout and {@link #MAX_SCRAPE_WAIT}. So a scrape waits at most that long per
 * computation, however many gauges read it. Past the deadline, or when the computation failed (an
 * error, a timeout, partitions that could not be read), there is no reading: the gauges say NaN. A
 * failure is cached like a value, so it is retried after {@link #MAX_AGE}, not on every request. The
 * log says once that a watch has no reading, and once that it has one again.
 */
public final class WatchedSegments implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(WatchedSegments.class);

    /** The metrics of every reading. */
    public static final Set<Metric> METRICS = Collections.unmodifiableSet(EnumSet.of(Metric.DAU, Metric.MAU, Metric.ER));
    /** The longest a reading is kept, from the start of its computation. */
    public static final Duration MAX_AGE = Duration.ofSeconds(10);
    /** The longest a request waits for a computation (unless the query timeout is shorter). */
    public static final Duration MAX_SCRAPE_WAIT = Duration.ofSeconds(5);
    /** How many days before those that grace can hold open the complete day is looked for. */
    static final int LOOKBACK_DAYS = 7;

    /** The day a reading is for; its label is the lower-case name. */
    public enum Day {
        /** The newest complete day. */
        COMPLETE,
        /** Today's open day. */
        CURRENT;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * One watch's reading.
     *
     * @param complete the newest complete day's row, or null when none of the days looked at is complete
     * @param current  today's row
     */
    public record Reading(EngagementAnswer.Row complete, EngagementAnswer.Row current) {

        /** The row of that day, if there is one. */
        public Optional<EngagementAnswer.Row> row(Day day) {
            return Optional.ofNullable(day == Day.COMPLETE ? complete : current);
        }
    }

    /** A computation under way or done, and the latest a request waits for it (ticker nanos). */
    private record Computation(CompletableFuture<Reading> result, long deadline) {
    }

    private final Map<String, Map<String, Set<String>>> watches;
    private final Function<EngagementQuery, EngagementAnswer> query;
    private final int graceDays;
    private final Clock clock;
    private final long waitNanos;
    private final Executor executor;
    private final ExecutorService ownExecutor;
    private final Ticker ticker;
    private final Cache<String, Computation> cache;
    /** Per watch, why it has no reading, while it has none (so that the log says it once). */
    private final Map<String, String> problems = new ConcurrentHashMap<>();

    /**
     * @param watches      each watch's filters, by name
     * @param query        answers a query across the cluster (as {@code /v1/engagement} does)
     * @param graceDays    the grace period, in whole days (rounded up)
     * @param clock        gives today (its UTC date)
     * @param queryTimeout a query's time limit: no request waits longer for a computation
     */
    public WatchedSegments(Map<String, Map<String, Set<String>>> watches, Function<EngagementQuery, EngagementAnswer> query,
                           int graceDays, Clock clock, Duration queryTimeout) {
        this(watches, query, graceDays, clock, min(queryTimeout, MAX_SCRAPE_WAIT), null, Ticker.systemTicker());
    }

    /**
     * As the public constructor, with the longest wait given, computations run by {@code executor}
     * (null: a pool of its own) and time read from {@code ticker} (tests).
     */
    WatchedSegments(Map<String, Map<String, Set<String>>> watches, Function<EngagementQuery, EngagementAnswer> query,
                    int graceDays, Clock clock, Duration wait, Executor executor, Ticker ticker) {
        this.watches = Collections.unmodifiableMap(new TreeMap<>(watches));
        this.query = query;
        this.graceDays = graceDays;
        this.clock = clock;
        this.waitNanos = wait.toNanos();
        this.ownExecutor = executor != null ? null : Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "engagement-watch");
            t.setDaemon(true);
            return t;
        });
        this.executor = executor != null ? executor : ownExecutor;
        this.ticker = ticker;
        this.cache = Caffeine.newBuilder()
            .expireAfterWrite(MAX_AGE)
            .ticker(ticker)
            .executor(Runnable::run) // cache upkeep is trivial: no thread hand-off for it
            .build();
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    /** The watches' names, sorted. */
    public Set<String> names() {
        return watches.keySet();
    }

    /** A watch's filters, as a query takes them. */
    Map<String, Set<String>> filters(String watch) {
        return watches.get(watch);
    }

    /**
     * The watch's reading, computed at most {@link #MAX_AGE} ago; empty when it is not known: an
     * unknown watch, a computation that failed or that has not finished by its deadline.
     */
    public Optional<Reading> reading(String watch) {
        if (!watches.containsKey(watch)) {
            return Optional.empty();
        }
        for (String w : watches.keySet()) {
            cache.get(w, this::start); // starts the others too, so that they run side by side
        }
        Computation c = cache.get(watch, this::start);
        try {
            Reading reading = c.result().get(Math.max(0, c.deadline() - ticker.read()), TimeUnit.NANOSECONDS);
            if (problems.remove(watch) != null) {
                LOG.info("watch {}: its gauges have values again", watch);
            }
            return Optional.of(reading);
        } catch (TimeoutException e) {
            problem(watch, "not computed within " + waitNanos / 1_000_000 + " ms (a slow or stuck query)");
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            problem(watch, cause.getClass().getSimpleName() + ": " + cause.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    private void problem(String watch, String why) {
        if (problems.putIfAbsent(watch, why) == null) {
            LOG.warn("watch {}: no reading, its gauges are NaN until there is one (said once): {}", watch, why);
        }
    }

    private Computation start(String watch) {
        long deadline = ticker.read() + waitNanos;
        return new Computation(CompletableFuture.supplyAsync(() -> compute(watch), executor), deadline);
    }

    /** The reading of one watch, now. */
    Reading compute(String watch) {
        LocalDate today = LocalDate.now(clock);
        EngagementQuery q = new EngagementQuery(today.minusDays(graceDays + LOOKBACK_DAYS), today, METRICS, List.of(),
            watches.get(watch));
        EngagementAnswer answer = query.apply(q);
        if (answer.partitionsAnswered() < answer.partitions()) {
            // A partial answer counts too few clients: as a reading it would look like a drop.
            throw new IllegalStateException("only " + answer.partitionsAnswered() + " of " + answer.partitions()
                + " partitions could be read");
        }
        EngagementAnswer.Row complete = null;
        EngagementAnswer.Row current = null;
        for (EngagementAnswer.Row row : answer.rows()) {
            if (row.complete()) {
                complete = row; // rows ascend by day: the last complete one is the newest
            }
            if (row.day().equals(today)) {
                current = row;
            }
        }
        if (current == null) {
            throw new IllegalStateException("the answer has no row for " + today);
        }
        return new Reading(complete, current);
    }

    @Override
    public void close() {
        if (ownExecutor != null) {
            ownExecutor.shutdownNow();
        }
    }
}
