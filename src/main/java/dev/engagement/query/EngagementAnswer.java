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
 * @param notRecorded         per dimension the query filters or groups by, the days read (windows
 *                            included) that hold sketches written under a dimension list without it:
 *                            those sketches are left out of a filter on it and grouped as
 *                            {@link #NOT_RECORDED}; the rows they touch are not complete
 */
public record EngagementAnswer(EngagementQuery query, List<Row> rows, int partitions, int partitionsAnswered,
                               boolean complete, List<Integer> standbyPartitions,
                               Map<String, List<LocalDate>> notRecorded) {

    /** The group value of sketches written under a dimension list without the grouped dimension. */
    public static final String NOT_RECORDED = "(not recorded)";

    public EngagementAnswer {
        standbyPartitions = List.copyOf(standbyPartitions);
        notRecorded = Map.copyOf(notRecorded);
    }

    /** An answer whose every day recorded every dimension it asks about. */
    public EngagementAnswer(EngagementQuery query, List<Row> rows, int partitions, int partitionsAnswered,
                            boolean complete, List<Integer> standbyPartitions) {
        this(query, rows, partitions, partitionsAnswered, complete, standbyPartitions, Map.of());
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
     *                   grace, some partitions could not be read, or a dimension was not recorded
     * @param notRecorded the dimensions this row filters or groups by that some sketch of its
     *                   window was written without (empty: all recorded)
     */
    public record Row(Map<String, String> group, LocalDate day, Map<Metric, Estimate> metrics,
                      double dauClients, double mauClients, boolean lowSample, boolean complete,
                      List<String> notRecorded) {

        public Row {
            notRecorded = List.copyOf(notRecorded);
        }

        /** A row whose window recorded every dimension it asks about. */
        public Row(Map<String, String> group, LocalDate day, Map<Metric, Estimate> metrics,
                   double dauClients, double mauClients, boolean lowSample, boolean complete) {
            this(group, day, metrics, dauClients, mauClients, lowSample, complete, List.of());
        }
    }
}
