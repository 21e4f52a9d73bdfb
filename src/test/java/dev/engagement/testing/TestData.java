package dev.engagement.testing;

import dev.engagement.avro.Ping;
import dev.engagement.generate.JsonLinesPings;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * A deterministic population of pings over a few days, with exact answers: the distinct clients of
 * every (channel, os, day). Pings of each day are submitted in time order during that day; a few
 * late pings (for the first day, submitted after its grace) come at the end.
 */
public final class TestData {

    public static final String[] CHANNELS = {"release", "beta", "nightly"};
    public static final String[] OSES = {"Linux", "Darwin", "Windows_NT"};

    public final List<Ping> pings = new ArrayList<>();
    /** Exact distinct clients per "day|channel|os" of the accepted (not late) pings. */
    public final Map<String, Set<String>> exact = new HashMap<>();
    public final int latePings;

    public TestData(LocalDate firstDay, int days, int clients, int pingsPerDay, long seed) {
        Random random = new Random(seed);
        for (int d = 0; d < days; d++) {
            LocalDate day = firstDay.plusDays(d);
            long start = day.atStartOfDay().toInstant(ZoneOffset.UTC).toEpochMilli();
            for (int i = 0; i < pingsPerDay; i++) {
                int client = (int) Math.min(clients - 1, Math.abs(random.nextGaussian()) * clients / 2.5);
                String channel = CHANNELS[client % CHANNELS.length];
                String os = OSES[(client / 3) % OSES.length];
                Instant submitted = Instant.ofEpochMilli(start + (long) i * 86_400_000L / pingsPerDay);
                Ping ping = Pings.ping("client-" + client, submitted, day, channel, os);
                pings.add(ping);
                exact.computeIfAbsent(key(day, channel, os), k -> new HashSet<>()).add("client-" + client);
            }
        }
        // Late: for the first day, submitted at its end plus 2 days of grace (stream time then closes it).
        Instant afterGrace = firstDay.plusDays(3).atStartOfDay().toInstant(ZoneOffset.UTC);
        int late = 0;
        if (days >= 3) {
            for (int i = 0; i < 5; i++) {
                pings.add(Pings.ping("late-" + i, afterGrace, firstDay, "release", "Linux"));
                late++;
            }
        }
        this.latePings = late;
    }

    /** Writes the pings to {@code file} as JSON Lines, one a line (for {@code demo --pings}); returns the file. */
    public Path writeJsonLines(Path file) throws IOException {
        List<String> lines = new ArrayList<>(pings.size());
        for (Ping ping : pings) {
            lines.add(JsonLinesPings.toJson(ping));
        }
        return Files.write(file, lines);
    }

    public static String key(LocalDate day, String channel, String os) {
        return day + "|" + channel + "|" + os;
    }

    public static Set<String> distinct(Map<String, Set<String>> exact) {
        Set<String> all = new HashSet<>();
        exact.values().forEach(all::addAll);
        return all;
    }

    /** A random-looking but stable partition for a client id. */
    public static int partition(String clientId, int partitions) {
        return Math.floorMod(clientId.hashCode(), partitions);
    }
}
