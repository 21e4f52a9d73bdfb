package dev.engagement.query;

import dev.engagement.sketch.Estimate;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * The answer to an {@link EngagementQuery}.
 *
 * @param query               what was asked
 * @param rows                one row per group per day, groups in value order, days ascending
 * @param partitions          partitions of the pings topic
 * @param partitionsAnswered  partitions whose data is in the answer
 * @param complete            every row is complete
 * @param standbyPartitions   partitions read from a store that does not see the live sketches (a
 *                            standby replica, or an active task still restoring): their part of the
 *                            open days is as of their last commit, up to one commit interval old
 */
public record EngagementAnswer(EngagementQuery query, List<Row> rows, int partitions, int partitionsAnswered,
                               boolean complete, List<Integer> standbyPartitions) {

    public EngagementAnswer {
        standbyPartitions = List.copyOf(standbyPartitions);
    }

    /** An answer read from live sketches only. */
    public EngagementAnswer(EngagementQuery query, List<Row> rows, int partitions, int partitionsAnswered,
                            boolean complete) {
        this(query, rows, partitions, partitionsAnswered, complete, List.of());
    }

    /**
     * One group on one day.
     *
     * @param group      the group's dimension values (empty when not grouped)
     * @param day        the day
     * @param metrics    each requested metric's estimate and ~95 % bounds
     * @param dauClients the DAU estimate (always computed: it is the ratio's numerator)
     * @param mauClients the MAU estimate, or -1 when no 28-day metric was requested
     * @param lowSample  the denominator is too small for the numbers to mean much
     * @param complete   false when the window reaches before the data starts, the day has not passed
     *                   grace, or some partitions could not be read
     */
    public record Row(Map<String, String> group, LocalDate day, Map<Metric, Estimate> metrics,
                      double dauClients, double mauClients, boolean lowSample, boolean complete) {
    }
}
