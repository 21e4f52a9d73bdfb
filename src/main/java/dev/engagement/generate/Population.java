package dev.engagement.generate;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Days;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * A seeded synthetic population of telemetry clients. Deterministic: the same seed gives the same
 * pings.
 * <ul>
 *   <li>Skewed segments: channel release 80 % / beta 15 % / nightly 5 %; OS Windows_NT 70 % /
 *   Darwin 20 % / Linux 10 %; eight countries with unequal shares.</li>
 *   <li>Engagement differs by segment: each client has a daily activity probability, higher on
 *   nightly and beta and on Linux, so ERs differ between segments.</li>
 *   <li>Churn: each client has a first and a last active day; new clients keep arriving.</li>
 *   <li>Weekly seasonality: weekends are 30 % quieter.</li>
 *   <li>Release trains ({@link ReleaseTrains}): a new version every four weeks (configurable), on
 *   nightly and beta before release, taken up by release clients over about two weeks; optionally one
 *   release less engaging for a share of its clients.</li>
 *   <li>A trickle of trouble: about 0.2 % of active clients also send a ping for four days ago,
 *   past the grace period (late), and the caller can mix in malformed records
 *   ({@link #malformedEvery}).</li>
 * </ul>
 */
public final class Population {

    private static final String[] CHANNELS = {"release", "beta", "nightly"};
    private static final double[] CHANNEL_SHARE = {0.80, 0.15, 0.05};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux"};
    private static final double[] OS_SHARE = {0.70, 0.20, 0.10};
    private static final String[] COUNTRIES = {"US", "DE", "IN", "BR", "FR", "JP", "GB", "PL"};
    private static final double[] COUNTRY_SHARE = {0.28, 0.14, 0.14, 0.10, 0.09, 0.09, 0.09, 0.07};

    private record Client(int index, String id, String channel, String os, String country, double activity,
                          int first, int last) {
    }

    /** Most versions back a lagging release client can be. */
    private static final int MAX_VERSIONS_BEHIND = 6;

    private static final double LATE_SHARE = 0.002;
    private static final int LATE_DAYS = 4;

    private final List<Client> clients = new ArrayList<>();
    private final long seed;
    private final int start;
    private final ReleaseTrains trains;
    private final int degradedMajor;

    /**
     * A population on four-week release trains with no degraded release.
     *
     * @param size     number of clients
     * @param firstDay first day any client may be active
     * @param days     span of days over which clients arrive and churn
     */
    public Population(int size, LocalDate firstDay, int days, long seed) {
        this(size, firstDay, days, seed, ReleaseTrains.ordinary(ReleaseTrains.DEFAULT_CYCLE_DAYS));
    }

    /**
     * @param size     number of clients
     * @param firstDay first day any client may be active
     * @param days     span of days over which clients arrive and churn; the last is
     *                 {@code firstDay + days - 1}, which {@link ReleaseTrains#NEWEST} counts from
     * @param trains   the release calendar and the degraded release, if any
     */
    public Population(int size, LocalDate firstDay, int days, long seed, ReleaseTrains trains) {
        this.seed = seed;
        this.trains = trains;
        Random random = new Random(seed);
        int start = Days.of(firstDay);
        this.start = start;
        this.degradedMajor = trains.degradedMajor(start + days - 1);
        for (int i = 0; i < size; i++) {
            String channel = pick(CHANNELS, CHANNEL_SHARE, random);
            String os = pick(OSES, OS_SHARE, random);
            double base = switch (channel) {
                case "nightly" -> 0.75;
                case "beta" -> 0.55;
                default -> 0.35;
            };
            double activity = Math.min(0.95, base * (os.equals("Linux") ? 1.25 : 1.0) * (0.3 + 1.4 * random.nextDouble()));
            int first = start + (random.nextDouble() < 0.6 ? 0 : random.nextInt(Math.max(1, days)));
            int last = random.nextDouble() < 0.5 ? Integer.MAX_VALUE : first + 7 + random.nextInt(Math.max(1, days));
            clients.add(new Client(i, new UUID(seed, i).toString(), channel, os,
                pick(COUNTRIES, COUNTRY_SHARE, random), activity, first, last));
        }
    }

    private static String pick(String[] values, double[] shares, Random random) {
        double r = random.nextDouble();
        for (int i = 0; i < values.length; i++) {
            r -= shares[i];
            if (r <= 0) {
                return values[i];
            }
        }
        return values[values.length - 1];
    }

    /**
     * Emits the pings of one day, in submission-time order, up to {@code until} (exclusive; pass
     * {@code Long.MAX_VALUE} for the whole day).
     */
    public void day(LocalDate date, long fromMillis, long untilMillis, Consumer<Ping> out) {
        int day = Days.of(date);
        Random random = new Random(seed * 31 + day);
        double season = date.getDayOfWeek() == DayOfWeek.SATURDAY || date.getDayOfWeek() == DayOfWeek.SUNDAY ? 0.7 : 1.0;
        long dayStart = Days.startMillis(day);
        List<Ping> pings = new ArrayList<>();
        for (Client c : clients) {
            if (day < c.first() || day > c.last()) {
                continue;
            }
            String version = version(c, day);
            double activity = c.activity() * (degraded(c, version) ? ReleaseTrains.DEGRADED_ACTIVITY : 1.0);
            if (random.nextDouble() >= activity * season) {
                continue;
            }
            int count = 1 + random.nextInt(3);
            for (int i = 0; i < count; i++) {
                long at = dayStart + (long) (random.nextDouble() * Days.MILLIS);
                keep(ping(c, version, date, at), fromMillis, untilMillis, pings);
            }
            // A trickle of late pings: activity four days ago, arriving now (past the 2-day grace).
            if (random.nextDouble() < LATE_SHARE && day - LATE_DAYS >= c.first()) {
                long at = dayStart + (long) (random.nextDouble() * Days.MILLIS);
                keep(ping(c, version(c, day - LATE_DAYS), date.minusDays(LATE_DAYS), at), fromMillis, untilMillis, pings);
            }
        }
        pings.sort(Comparator.comparing(Ping::getSubmissionTimestamp));
        pings.forEach(out);
    }

    /**
     * The version client {@code c} runs on {@code day}. Nightly and beta clients update within a day
     * or two; a release client is on the newest release whose per-client lag has passed, or that was
     * out when it arrived.
     */
    private String version(Client c, int day) {
        switch (c.channel()) {
            case "nightly":
                return trains.nightly(day - (int) (2 * unit(c.index(), -1)));
            case "beta":
                return trains.beta(day - (int) (3 * unit(c.index(), -2)));
            default:
                int newest = trains.major(day);
                for (int m = newest; m > newest - MAX_VERSIONS_BEHIND; m--) {
                    int released = trains.releaseDay(m);
                    if (released + lag(c.index(), m) <= day || (c.first() > start && released <= c.first())) {
                        return m + ".0";
                    }
                }
                return (newest - MAX_VERSIONS_BEHIND) + ".0";
        }
    }

    /** Days after a release before a release client takes it: about two weeks for most, longer for 8 %. */
    private int lag(int client, int major) {
        double u = unit(client, major);
        if (u < 0.08) {
            return 14 + (int) (unit(client, -major) * 42);
        }
        return Math.min(20, (int) (-Math.log((u - 0.08) / 0.92) * 3.5));
    }

    private boolean degraded(Client c, String version) {
        return degradedMajor >= 0 && c.channel().equals("release") && version.equals(degradedMajor + ".0")
            && unit(c.index(), Integer.MIN_VALUE) < trains.degradedShare();
    }

    /** A uniform number in [0, 1) fixed by the seed, a client and a key (SplitMix64's finalizer). */
    private double unit(int client, int key) {
        long z = seed * 0x9E3779B97F4A7C15L + ((long) client << 32) + key;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }

    private static Ping ping(Client c, String version, LocalDate activity, long submittedAt) {
        return Ping.newBuilder()
            .setClientId(c.id())
            .setSubmissionTimestamp(Instant.ofEpochMilli(submittedAt))
            .setActivityDate(activity)
            .setAppName("Firefox")
            .setChannel(c.channel())
            .setOs(c.os())
            .setCountry(c.country())
            .setAppVersion(version)
            .setAttributes(Map.of())
            .build();
    }

    private static void keep(Ping ping, long fromMillis, long untilMillis, List<Ping> out) {
        long submitted = ping.getSubmissionTimestamp().toEpochMilli();
        if (submitted >= fromMillis && submitted < untilMillis) {
            out.add(ping);
        }
    }

    /** One malformed record in this many pings, for the dead-letter path of the demo. */
    public static int malformedEvery() {
        return 2000;
    }

    public int size() {
        return clients.size();
    }
}
