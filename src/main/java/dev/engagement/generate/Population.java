package dev.engagement.generate;

import dev.engagement.avro.Ping;
import dev.engagement.ping.Days;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
    private static final Map<String, String> VERSIONS = Map.of("release", "132.0", "beta", "133.0", "nightly", "134.0a1");

    private record Client(String id, String channel, String os, String country, double activity, int first, int last) {
    }

    private static final double LATE_SHARE = 0.002;
    private static final int LATE_DAYS = 4;

    private final List<Client> clients = new ArrayList<>();
    private final long seed;

    /**
     * @param size     number of clients
     * @param firstDay first day any client may be active
     * @param days     span of days over which clients arrive and churn
     */
    public Population(int size, LocalDate firstDay, int days, long seed) {
        this.seed = seed;
        Random random = new Random(seed);
        int start = Days.of(firstDay);
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
            clients.add(new Client(new java.util.UUID(seed, i).toString(), channel, os,
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
            if (day < c.first() || day > c.last() || random.nextDouble() >= c.activity() * season) {
                continue;
            }
            int count = 1 + random.nextInt(3);
            for (int i = 0; i < count; i++) {
                long at = dayStart + (long) (random.nextDouble() * Days.MILLIS);
                keep(ping(c, date, at), fromMillis, untilMillis, pings);
            }
            // A trickle of late pings: activity four days ago, arriving now (past the 2-day grace).
            if (random.nextDouble() < LATE_SHARE && day - LATE_DAYS >= c.first()) {
                long at = dayStart + (long) (random.nextDouble() * Days.MILLIS);
                keep(ping(c, date.minusDays(LATE_DAYS), at), fromMillis, untilMillis, pings);
            }
        }
        pings.sort(java.util.Comparator.comparing(Ping::getSubmissionTimestamp));
        pings.forEach(out);
    }

    private static Ping ping(Client c, LocalDate activity, long submittedAt) {
        return Ping.newBuilder()
            .setClientId(c.id())
            .setSubmissionTimestamp(Instant.ofEpochMilli(submittedAt))
            .setActivityDate(activity)
            .setAppName("Firefox")
            .setChannel(c.channel())
            .setOs(c.os())
            .setCountry(c.country())
            .setAppVersion(VERSIONS.get(c.channel()))
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
