package dev.engagement.bench;

import dev.engagement.avro.Ping;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Random;

/**
 * The benchmark's pings: {@code clients} clients, each in one of {@code segments} segments (Zipf
 * sizes, so a few segments are large and most are tiny), over three days in time order.
 */
final class BenchPings {

    private static final String[] APPS = {"Firefox", "Focus", "Fenix"};
    private static final String[] CHANNELS = {"release", "beta", "nightly", "esr"};
    private static final String[] OSES = {"Windows_NT", "Darwin", "Linux", "Android", "iOS"};
    static final int DAYS = 3;

    private final int clients;
    private final String[][] segmentValues;
    private final int[] segmentOfClient;
    private final long start = LocalDate.of(2026, 10, 1).atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();

    BenchPings(int clients, int segments, long seed) {
        this.clients = clients;
        Random random = new Random(seed);
        segmentValues = new String[segments][];
        for (int s = 0; s < segments; s++) {
            segmentValues[s] = new String[] {APPS[s % 3], CHANNELS[(s / 3) % 4], OSES[(s / 12) % 5],
                "C" + (s / 60) % 60, "v" + (s / 3600)};
        }
        // Zipf(1) over segments: client i goes to the segment whose cumulative weight covers it.
        double[] cumulative = new double[segments];
        double sum = 0;
        for (int s = 0; s < segments; s++) {
            sum += 1.0 / (s + 1);
            cumulative[s] = sum;
        }
        segmentOfClient = new int[clients];
        for (int c = 0; c < clients; c++) {
            double r = random.nextDouble() * sum;
            int s = java.util.Arrays.binarySearch(cumulative, r);
            segmentOfClient[c] = Math.min(segments - 1, s >= 0 ? s : -s - 1);
        }
    }

    /** The i-th of {@code n} pings: a pseudo-random client, submitted at time i/n of the three days. */
    Ping ping(long i, long n, Random random) {
        int client = random.nextInt(clients);
        String[] v = segmentValues[segmentOfClient[client]];
        long at = start + (long) ((double) i / n * DAYS * 86_400_000L);
        Instant submitted = Instant.ofEpochMilli(at);
        return Ping.newBuilder()
            .setClientId(new java.util.UUID(0x5eedL, client).toString())
            .setSubmissionTimestamp(submitted)
            .setActivityDate(LocalDate.ofInstant(submitted, ZoneOffset.UTC))
            .setAppName(v[0]).setChannel(v[1]).setOs(v[2]).setCountry(v[3]).setAppVersion(v[4])
            .setAttributes(Map.of())
            .build();
    }
}
