package dev.engagement.query;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Answers {@code /v1/dimensions}: each dimension's top values by distinct clients over the 28 days
 * ending on the newest day with data (MAU on that day, one engagement query per dimension grouped by
 * it, over every partition and without the group limit).
 *
 * <p>The answer with the default limit ({@value #DEFAULT_LIMIT} values, the dashboard's call) is
 * kept for {@link #MAX_AGE} (counted from when it was computed): the dashboard asks on every load,
 * and the listing moves slowly. Concurrent callers of a stale or missing answer wait for one
 * computation rather than each running their own. An answer with a given limit is always computed.
 * A failed computation is not kept. Thread-safe.
 */
public final class Dimensions {

    /** How many values per dimension when the query gives no limit. */
    public static final int DEFAULT_LIMIT = 50;
    /** The largest limit a query may give. */
    public static final int MAX_LIMIT = 1000;
    /** How long the default answer is kept. */
    public static final Duration MAX_AGE = Duration.ofSeconds(30);

    private final Function<EngagementQuery, EngagementAnswer> source;
    private final Supplier<LocalDate> newestDay;
    private final List<String> dimensions;
    /** One entry at most: the default answer. */
    private final Cache<Boolean, DimensionsAnswer> cache;

    /**
     * @param source     answers an engagement query over every partition, without a group limit
     * @param newestDay  the newest day with data, or null when there is none
     * @param dimensions the configured dimensions
     */
    public Dimensions(Function<EngagementQuery, EngagementAnswer> source, Supplier<LocalDate> newestDay,
                      List<String> dimensions) {
        this(source, newestDay, dimensions, Ticker.systemTicker());
    }

    /** As the public constructor, with the time the default answer's age is read from (tests). */
    Dimensions(Function<EngagementQuery, EngagementAnswer> source, Supplier<LocalDate> newestDay,
               List<String> dimensions, Ticker ticker) {
        this.source = source;
        this.newestDay = newestDay;
        this.dimensions = List.copyOf(dimensions);
        this.cache = Caffeine.newBuilder()
            .maximumSize(1)
            .expireAfterWrite(MAX_AGE)
            .ticker(ticker)
            .executor(Runnable::run)
            .build();
    }

    /**
     * The query's {@code limit} parameter: empty when not given.
     *
     * @throws BadQueryException when it is not an integer from 1 to {@value #MAX_LIMIT}
     */
    public static OptionalInt parseLimit(Map<String, List<String>> params) {
        List<String> raw = params.get("limit");
        if (raw == null) {
            return OptionalInt.empty();
        }
        int limit;
        try {
            limit = Integer.parseInt(raw.isEmpty() ? "" : raw.get(0));
        } catch (NumberFormatException e) {
            throw new BadQueryException("'limit' is not an integer");
        }
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new BadQueryException("'limit' must be between 1 and " + MAX_LIMIT);
        }
        return OptionalInt.of(limit);
    }

    /**
     * Each dimension's top values: {@code limit} of them, or {@value #DEFAULT_LIMIT} from an answer
     * at most {@link #MAX_AGE} old when no limit is given.
     */
    public DimensionsAnswer answer(OptionalInt limit) {
        if (limit.isPresent()) {
            return compute(limit.getAsInt());
        }
        return cache.get(Boolean.TRUE, k -> compute(DEFAULT_LIMIT));
    }

    private DimensionsAnswer compute(int limit) {
        LocalDate day = newestDay.get();
        List<DimensionsAnswer.Dimension> out = new ArrayList<>();
        for (String dimension : dimensions) {
            if (day == null) {
                out.add(new DimensionsAnswer.Dimension(dimension, 0, List.of()));
                continue;
            }
            EngagementQuery q = new EngagementQuery(day, day, Set.of(Metric.MAU), List.of(dimension), Map.of());
            EngagementAnswer answer = source.apply(q);
            List<EngagementAnswer.Row> rows = new ArrayList<>(answer.rows());
            // Sketches written without this dimension are no value of it: said, not listed.
            rows.removeIf(r -> EngagementAnswer.NOT_RECORDED.equals(r.group().get(dimension)) && !r.notRecorded().isEmpty());
            rows.sort(Comparator.comparingDouble((EngagementAnswer.Row r) -> -r.metrics().get(Metric.MAU).estimate()));
            List<DimensionsAnswer.Value> values = new ArrayList<>();
            for (EngagementAnswer.Row r : rows.subList(0, Math.min(limit, rows.size()))) {
                values.add(new DimensionsAnswer.Value(r.group().get(dimension),
                    Math.round(r.metrics().get(Metric.MAU).estimate())));
            }
            out.add(new DimensionsAnswer.Dimension(dimension, rows.size(), values,
                answer.notRecorded().containsKey(dimension)));
        }
        return new DimensionsAnswer(day, out);
    }
}
