package dev.engagement.generate;

import dev.engagement.ping.Days;

import java.time.LocalDate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The release calendar of the synthetic population, and an optional degraded release.
 * <ul>
 *   <li>A new major version ships every {@code cycleDays} days (default 28), on a calendar anchored
 *   at version 100.0 on 2022-05-03, so the same date has the same versions on every run.</li>
 *   <li>Nightly runs two versions ahead ({@code 138.0a1} while 136.0 is the release) and beta one
 *   ahead, with a new beta each week of the cycle ({@code 137.0b1}, {@code 137.0b2}, ...): a version
 *   reaches nightly two cycles and beta one cycle before its release.</li>
 *   <li>Release clients take a new version after a per-client, per-version lag: most within about two
 *   weeks (exponential, mean 3.5 days), 8 % of them two to eight weeks late, so some skip a version.
 *   Clients who arrive after a release install it directly.</li>
 *   <li>{@code degradedRelease} ({@code none}, {@code newest} or a version such as {@code 136.0}) makes
 *   one release less engaging: a {@code degradedShare} of its clients are active on a day with
 *   {@value #DEGRADED_ACTIVITY} times their usual probability while they run it. {@code newest} is the
 *   newest release at least {@value #DEGRADED_MIN_AGE} days old on the population's last day, so it
 *   has a week of data to find the drop in.</li>
 * </ul>
 *
 * @param cycleDays       days between releases, 7 to 182
 * @param degradedRelease {@code none}, {@code newest} or a release version {@code N.0}
 * @param degradedShare   share of the degraded release's clients it affects, in (0, 1]
 */
public record ReleaseTrains(int cycleDays, String degradedRelease, double degradedShare) {

    /** No degraded release. */
    public static final String NONE = "none";
    /** The newest release at least {@value #DEGRADED_MIN_AGE} days old on the last day. */
    public static final String NEWEST = "newest";
    /** The default release cycle, as Firefox's. */
    public static final int DEFAULT_CYCLE_DAYS = 28;
    /** The default share of a degraded release's clients that it affects. */
    public static final double DEFAULT_DEGRADED_SHARE = 0.5;
    /** Multiplies the daily activity probability of an affected client on the degraded release. */
    public static final double DEGRADED_ACTIVITY = 0.5;
    /** {@link #NEWEST} picks a release at least this many days old on the last day. */
    public static final int DEGRADED_MIN_AGE = 7;

    private static final int ANCHOR_MAJOR = 100;
    private static final int ANCHOR_DAY = Days.of(LocalDate.of(2022, 5, 3));
    private static final Pattern RELEASE = Pattern.compile("(\\d+)\\.0");

    /** Validates; a bad value fails naming what is wrong. */
    public ReleaseTrains {
        if (cycleDays < 7 || cycleDays > 182) {
            throw new IllegalArgumentException("release cycle must be 7 to 182 days, not " + cycleDays);
        }
        if (!(degradedShare > 0 && degradedShare <= 1)) {
            throw new IllegalArgumentException("degraded share must be in (0, 1], not " + degradedShare);
        }
        if (!degradedRelease.equals(NONE) && !degradedRelease.equals(NEWEST)
            && !RELEASE.matcher(degradedRelease).matches()) {
            throw new IllegalArgumentException("degraded release must be none, newest or a release version such as 136.0,"
                + " not '" + degradedRelease + "'");
        }
    }

    /** Release trains every {@code cycleDays} with no degraded release. */
    public static ReleaseTrains ordinary(int cycleDays) {
        return new ReleaseTrains(cycleDays, NONE, DEFAULT_DEGRADED_SHARE);
    }

    /** The major version released on or most recently before {@code day}. */
    int major(int day) {
        return ANCHOR_MAJOR + Math.floorDiv(day - ANCHOR_DAY, cycleDays);
    }

    /** The day {@code major}.0 is released. */
    int releaseDay(int major) {
        return ANCHOR_DAY + (major - ANCHOR_MAJOR) * cycleDays;
    }

    /** The beta version on {@code day}: the next major, one beta a week of the cycle. */
    String beta(int day) {
        int major = major(day);
        int week = Math.min((day - releaseDay(major)) / 7, (cycleDays - 1) / 7);
        return (major + 1) + ".0b" + (week + 1);
    }

    /** The nightly version on {@code day}: two majors ahead. */
    String nightly(int day) {
        return (major(day) + 2) + ".0a1";
    }

    /**
     * The degraded release's major for a population whose last day is {@code lastDay}, or -1 for none.
     */
    int degradedMajor(int lastDay) {
        if (degradedRelease.equals(NONE)) {
            return -1;
        }
        if (degradedRelease.equals(NEWEST)) {
            return major(lastDay - DEGRADED_MIN_AGE);
        }
        Matcher m = RELEASE.matcher(degradedRelease);
        m.matches();
        return Integer.parseInt(m.group(1));
    }

    /** The release version on {@code day}, as a string such as {@code 136.0}. */
    public String release(LocalDate day) {
        return major(Days.of(day)) + ".0";
    }

    /** The degraded release's version for a population ending on {@code lastDay}, or null for none. */
    public String degradedVersion(LocalDate lastDay) {
        int major = degradedMajor(Days.of(lastDay));
        return major < 0 ? null : major + ".0";
    }
}
