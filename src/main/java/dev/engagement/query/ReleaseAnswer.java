package dev.engagement.query;

import dev.engagement.sketch.Estimate;

import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * The answer to a {@link ReleaseQuery}.
 *
 * @param query              what was asked
 * @param newestDay          the newest day with data (rows stop there), or null when there is none
 * @param versions           the versions answered, by release day ascending (ties: {@link VersionOrder}), newest last
 * @param rows               one row per version and age, versions in that order, ages ascending
 * @param complete           every row is complete
 * @param partitions         partitions of the pings topic
 * @param partitionsAnswered the fewest partitions that any of the answer's reads could read
 * @param standbyPartitions  partitions read from a standby (their open days as of their last commit)
 * @param lowSampleThreshold the {@code lowSample} threshold, in clients
 * @param comparison         the newest version beside the previous one at the same age, or null
 * @param comparisonNote     why there is no comparison, or null when there is one
 */
public record ReleaseAnswer(ReleaseQuery query, LocalDate newestDay, List<Version> versions, List<Row> rows,
                            boolean complete, int partitions, int partitionsAnswered, List<Integer> standbyPartitions,
                            int lowSampleThreshold, Comparison comparison, String comparisonNote) {

    public ReleaseAnswer {
        versions = List.copyOf(versions);
        rows = List.copyOf(rows);
        standbyPartitions = List.copyOf(standbyPartitions);
    }

    /**
     * A version answered.
     *
     * @param version    its value of the release dimension
     * @param releaseDay its release day
     * @param given      the release day was given by the caller, not found in the data
     * @param age        days from its release day to the newest day
     */
    public record Version(String version, LocalDate releaseDay, boolean given, int age) {
    }

    /**
     * One version at one age.
     *
     * @param version   the version
     * @param age       days since its release day
     * @param day       release day + age
     * @param metrics   each requested metric's estimate and ~95 % bounds
     * @param lowSample the version's MAU (DAU when no 28-day metric is asked) is below the threshold
     * @param complete  as {@code /v1/engagement}'s rows (for uptake, the all-versions DAU's too)
     */
    public record Row(String version, int age, LocalDate day, Map<ReleaseMetric, Estimate> metrics, boolean lowSample,
                      boolean complete) {
    }

    /**
     * The newest version beside the previous one, at the same age.
     *
     * @param age     the age compared
     * @param newer   the newest version answered
     * @param newerDay its day at that age
     * @param older   the version before it
     * @param olderDay its day at that age
     * @param complete both versions' rows at that age are complete
     * @param metrics per metric (those requested, plus ER and smoothed ER), both values and their difference
     */
    public record Comparison(int age, String newer, LocalDate newerDay, String older, LocalDate olderDay,
                             boolean complete, Map<ReleaseMetric, Compared> metrics) {
    }

    /**
     * One metric compared.
     *
     * @param newer       the newer version's estimate
     * @param older       the older version's estimate
     * @param difference  newer - older, with ~95 % bounds from the two variances added (see
     *                    {@link Ratios#difference})
     * @param significant the difference's bounds exclude 0
     */
    public record Compared(Estimate newer, Estimate older, Estimate difference, boolean significant) {
    }
}
