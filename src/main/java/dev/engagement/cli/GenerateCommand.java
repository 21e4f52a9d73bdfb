package dev.engagement.cli;

import dev.engagement.avro.Ping;
import dev.engagement.generate.JsonLinesPings;
import dev.engagement.generate.Population;
import dev.engagement.generate.ReleaseTrains;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/** Writes the synthetic population to a JSON Lines file or a topic. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Generate the synthetic population (skewed segments, returning and churning clients, weekly"
        + " seasonality, release trains, a trickle of late pings) to a JSON Lines file (--out) or a Kafka topic (--bootstrap-servers).")
final class GenerateCommand implements Callable<Integer> {

    @Option(names = "--clients", defaultValue = "20000", description = "Clients (default ${DEFAULT-VALUE}).")
    int clients;

    @Option(names = "--days", defaultValue = "60", description = "Days, ending on --end (default ${DEFAULT-VALUE}).")
    int days;

    @Option(names = "--end", description = "Last day, YYYY-MM-DD (default: yesterday, UTC).")
    LocalDate end;

    @Option(names = "--seed", defaultValue = "1", description = "Seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--rate", defaultValue = "0", description = "Most pings per second (default 0: as fast as possible).")
    int rate;

    @Option(names = "--release-cycle-days", defaultValue = "28",
        description = "Days between releases of the synthetic release trains (default ${DEFAULT-VALUE}).")
    int releaseCycleDays;

    @Option(names = "--degraded-release", defaultValue = ReleaseTrains.NONE,
        description = "Make one release less engaging for a share of its clients: none, newest (the newest release"
            + " at least a week old on the last day) or a version such as 136.0 (default ${DEFAULT-VALUE}).")
    String degradedRelease;

    @Option(names = "--degraded-share", defaultValue = "0.5",
        description = "Share of the degraded release's clients it affects (default ${DEFAULT-VALUE}).")
    double degradedShare;

    @Option(names = "--live", description = "The days end today: after the backfill (and today's pings so far), keep"
        + " producing pings as time passes, every second, until stopped (Kafka only).")
    boolean live;

    @Option(names = "--out", description = "Write JSON Lines here instead of producing to Kafka.")
    Path out;

    @Mixin
    ProducerOptions target = new ProducerOptions();

    @Override
    public Integer call() throws Exception {
        if ((out == null) == (target.bootstrapServers == null)) {
            throw new IllegalArgumentException("give exactly one of --out FILE or --bootstrap-servers");
        }
        if (live && (out != null || end != null)) {
            throw new IllegalArgumentException("--live produces to Kafka up to now: not with --out or --end");
        }
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        LocalDate last = live ? today : end != null ? end : today.minusDays(1);
        ReleaseTrains trains = new ReleaseTrains(releaseCycleDays, degradedRelease, degradedShare);
        Population population = new Population(clients, last.minusDays(days - 1L), days, seed, trains);
        long[] count = {0};
        long started = System.nanoTime();
        if (out != null) {
            try (BufferedWriter writer = Files.newBufferedWriter(out, StandardCharsets.UTF_8)) {
                forEachDay(population, last, throttled(count, started, ping -> {
                    try {
                        writer.write(JsonLinesPings.toJson(ping));
                        writer.newLine();
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                }));
            }
        } else {
            try (PingProducer producer = new PingProducer(target.kafka(), target.registry(), target.topic)) {
                Consumer<Ping> send = throttled(count, started, producer::send);
                if (live) {
                    // Up to now, then every second: today's pings arrive as the day goes, so days close and go final.
                    long now = System.currentTimeMillis();
                    for (int d = days - 1; d >= 1; d--) {
                        population.day(last.minusDays(d), Long.MIN_VALUE, Long.MAX_VALUE, send);
                    }
                    population.day(today, Long.MIN_VALUE, now, send);
                    producer.flush();
                    System.out.printf("generate: backfilled %,d pings; now producing live pings%n", count[0]);
                    DemoCommand.live(population, send, new AtomicBoolean(), now);
                } else {
                    forEachDay(population, last, send);
                }
                producer.flush();
            }
        }
        String degraded = trains.degradedVersion(last);
        System.out.printf("generate: %,d pings from %,d clients over %d days ending %s (release %s%s), %.1f s%n",
            count[0], clients, days, last, trains.release(last),
            degraded == null ? "" : "; " + degraded + " degraded for " + Math.round(degradedShare * 100) + " % of its clients",
            (System.nanoTime() - started) / 1e9);
        return 0;
    }

    private void forEachDay(Population population, LocalDate last, Consumer<Ping> sink) {
        for (int d = days - 1; d >= 0; d--) {
            population.day(last.minusDays(d), Long.MIN_VALUE, Long.MAX_VALUE, sink);
        }
    }

    /** Counts pings, prints progress every 100k, and holds the rate under --rate. */
    private Consumer<Ping> throttled(long[] count, long started, Consumer<Ping> sink) {
        return ping -> {
            sink.accept(ping);
            count[0]++;
            if (count[0] % 100_000 == 0) {
                System.err.printf("generate: %,d pings%n", count[0]);
            }
            if (rate > 0) {
                long due = started + count[0] * 1_000_000_000L / rate;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    try {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException("interrupted");
                    }
                }
            }
        };
    }
}
