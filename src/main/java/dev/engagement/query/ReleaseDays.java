package dev.engagement.query;

import dev.engagement.ping.Days;
import dev.engagement.sketch.Estimate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;

import java.time.Duration;
import java.time.LocalDate;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Finds each version's release day: the first day its DAU over all segments (no filter) reached
 * {@code minClients}, looked for over the {@code historyDays} ending on the newest day.
 *
 * <p>What is found on closed days (every partition read, the day past grace everywhere) never
 * changes, so it is kept for good, per dimension, with the last closed day it covers; each call then
 * reads only the days after it. What is found on open days can still move (a day's DAU grows as
 * pings arrive) and is kept for {@link #OPEN_TTL} at most: a version that reaches the threshold on
 * an open day shows up within that time. Thread-safe.
 */
final class ReleaseDays {

    /** How long release days found on open days are reused. */
    static final Duration OPEN_TTL = Duration.ofSeconds(10);

    /**
     * What is known of a dimension's versions.
     *
     * @param releaseDays each version that has a release day, with it
     * @param seen        every version some client reported in the days read
     */
    record Found(Map<String, LocalDate> releaseDays, Set<String> seen) {
        static final Found NONE = new Found(Map.of(), Set.of());

        Found {
            releaseDays = Collections.unmodifiableMap(releaseDays);
            seen = Collections.unmodifiableSet(seen);
        }
    }

    /** Found on closed days up to {@code through} (inclusive): final. */
    private record Settled(int through, Map<String, LocalDate> releaseDays, Set<String> seen) {
    }

    private final Function<EngagementQuery, EngagementAnswer> source;
    private final int minClients;
    private final int historyDays;
    private final Cache<String, Settled> settled = Caffeine.newBuilder().maximumSize(64).build();
    private final Cache<String, Found> open;

    /**
     * @param source      answers an engagement query over every partition, without a group limit
     * @param minClients  the DAU a version must reach for its release day
     * @param historyDays how many days, ending on the newest, are looked at
     */
    ReleaseDays(Function<EngagementQuery, EngagementAnswer> source, int minClients, int historyDays) {
        this(source, minClients, historyDays, OPEN_TTL);
    }

    ReleaseDays(Function<EngagementQuery, EngagementAnswer> source, int minClients, int historyDays, Duration openTtl) {
        if (minClients < 1 || historyDays < 1) {
            throw new IllegalArgumentException("minClients and historyDays must be at least 1");
        }
        this.source = source;
        this.minClients = minClients;
        this.historyDays = historyDays;
        this.open = Caffeine.newBuilder().maximumSize(64).expireAfterWrite(openTtl).build();
    }

    int minClients() {
        return minClients;
    }

    /** The versions of {@code dimension} and their release days, as of the newest day {@code newest}. */
    Found find(String dimension, LocalDate newest) {
        int last = Days.of(newest);
        Settled known = settled.getIfPresent(dimension);
        if (known == null || known.through() < last - historyDays) {
            // Nothing settled yet, or so long ago that its days have left the stores: start over.
            known = new Settled(last - historyDays, known == null ? Map.of() : known.releaseDays(),
                known == null ? Set.of() : known.seen());
        }
        if (known.through() >= last) {
            return new Found(known.releaseDays(), known.seen());
        }
        Settled base = known;
        return open.get(dimension + "|" + last + "|" + base.through(), k -> read(dimension, base, last));
    }

    /** Reads the days after {@code base.through} up to {@code last}; keeps what closed days settled. */
    private Found read(String dimension, Settled base, int last) {
        EngagementQuery q = new EngagementQuery(Days.toDate(base.through() + 1), Days.toDate(last),
            EnumSet.of(Metric.DAU), List.of(dimension), Map.of());
        EngagementAnswer answer = source.apply(q);
        // Days up to the last complete one are settled: every partition read, past grace everywhere
        // (rows before the data starts are incomplete too, but hold nothing and never will).
        int closed = base.through();
        if (answer.partitionsAnswered() >= answer.partitions()) {
            for (EngagementAnswer.Row row : answer.rows()) {
                if (row.complete()) {
                    closed = Math.max(closed, Days.of(row.day()));
                }
            }
        }
        Map<String, LocalDate> settledDays = new HashMap<>(base.releaseDays());
        Set<String> settledSeen = new HashSet<>(base.seen());
        Map<String, LocalDate> allDays = new HashMap<>(base.releaseDays());
        Set<String> allSeen = new HashSet<>(base.seen());
        // Rows come group by group, days ascending: a version's first qualifying row is its release day.
        for (EngagementAnswer.Row row : answer.rows()) {
            String version = row.group().get(dimension);
            if (EngagementAnswer.NOT_RECORDED.equals(version) && !row.notRecorded().isEmpty()) {
                continue; // days written without the release dimension: no version
            }
            Estimate dau = row.metrics().get(Metric.DAU);
            int day = Days.of(row.day());
            boolean isClosed = day <= closed;
            if (dau.estimate() > 0) {
                allSeen.add(version);
                if (isClosed) {
                    settledSeen.add(version);
                }
            }
            if (dau.estimate() >= minClients && !allDays.containsKey(version)) {
                allDays.put(version, row.day());
                if (isClosed) {
                    settledDays.put(version, row.day());
                }
            }
        }
        if (closed > base.through()) {
            Settled next = new Settled(closed, Map.copyOf(settledDays), Set.copyOf(settledSeen));
            settled.asMap().merge(dimension, next, (a, b) -> b.through() > a.through() ? b : a);
        }
        return new Found(allDays, allSeen);
    }
}
